"""Measuring Kavosh on public data: open-domain QA, judged ad-hoc retrieval, cross-lingual retrieval, regressions.

Modules: :mod:`~qa.evaluation.metrics` (answer EM/F1 with Persian normalisation, recall, MRR, no-answer scores),
:mod:`~qa.evaluation.corpus` (fresh stores from records, embeddings cached on disk), :mod:`~qa.evaluation.squad`
(SQuAD-format sets), :mod:`~qa.evaluation.qrels` (Hamshahri with ``ranx``), :mod:`~qa.evaluation.crosslingual`
(NTREX), :mod:`~qa.evaluation.regression` (regression files) and :mod:`~qa.evaluation.cli` (``kavosh eval``).
"""
