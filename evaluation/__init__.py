"""Measuring Kavosh on public data: open-domain QA, judged ad-hoc retrieval, cross-lingual retrieval, regressions.

Modules: :mod:`~kavosh.evaluation.metrics` (answer EM/F1 with Persian normalisation, recall, MRR, no-answer scores),
:mod:`~kavosh.evaluation.corpus` (fresh stores from records, embeddings cached on disk), :mod:`~kavosh.evaluation.squad`
(SQuAD-format sets), :mod:`~kavosh.evaluation.qrels` (Hamshahri with ``ranx``), :mod:`~kavosh.evaluation.crosslingual`
(NTREX), :mod:`~kavosh.evaluation.regression` (regression files) and :mod:`~kavosh.evaluation.cli` (``kavosh eval``).
"""

from kavosh.text import telemetry as _telemetry  # noqa: F401  (Haystack telemetry off before Haystack loads)
