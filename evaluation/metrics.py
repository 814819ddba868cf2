"""Evaluation measures: SQuAD answer EM/F1 (with Persian normalisation), ranking recall/MRR, no-answer P/R/F1.

The answer normalisation is the official SQuAD 2.0 evaluation script's (lower case, drop ASCII punctuation and the
articles a/an/the, collapse whitespace). For Persian, :func:`kavosh.text.analysis.normalize` runs first (Arabic
yeh/kaf -> Persian, ZWNJ and harakat deleted, Persian digits -> ASCII) and Unicode punctuation (، ؛ ؟ « ») is
dropped too, so ``مي‌شود`` and ``میشود`` are the same answer. Ranked-list measures over judged collections
(MAP, nDCG) are left to ``ranx`` (see :mod:`kavosh.evaluation.qrels`).
"""

from __future__ import annotations

import collections
import math
import re
import statistics
import string
import unicodedata
from collections.abc import Iterable, Sequence

from kavosh.text.analysis import normalize

__all__ = [
    "answer_tokens",
    "contains_answer",
    "exact_match",
    "f1_score",
    "latency_summary",
    "mean",
    "no_answer_scores",
    "normalize_answer",
    "rank_of",
    "recall_at_k",
    "reciprocal_rank",
]

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_ASCII_PUNCTUATION = frozenset(string.punctuation)


def _is_punctuation(ch: str) -> bool:
    return ch in _ASCII_PUNCTUATION or unicodedata.category(ch).startswith("P")


def normalize_answer(text: str, persian: bool = False) -> str:
    """SQuAD answer normalisation; with ``persian`` also the project's Persian character normalisation.

    :param text: an answer or a passage.
    :param persian: apply :func:`kavosh.text.analysis.normalize` first and drop all Unicode punctuation.
    :returns: the normalised text, tokens separated by single spaces.
    """
    if persian:
        text = normalize(text)
        text = "".join(" " if _is_punctuation(ch) else ch for ch in text)
    else:
        text = "".join(ch for ch in text.lower() if ch not in _ASCII_PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def answer_tokens(text: str, persian: bool = False) -> list[str]:
    """The tokens F1 counts: the normalised answer split on whitespace."""
    return normalize_answer(text, persian).split()


def _f1(prediction: list[str], gold: list[str]) -> float:
    if not prediction or not gold:
        return float(prediction == gold)  # SQuAD 2.0: no-answer vs no-answer is a match
    common = collections.Counter(prediction) & collections.Counter(gold)
    overlap = sum(common.values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(prediction), overlap / len(gold)
    return 2 * precision * recall / (precision + recall)


def exact_match(prediction: str, golds: Sequence[str], persian: bool = False) -> float:
    """1.0 when the normalised prediction equals a normalised gold answer (max over golds).

    :param prediction: the predicted answer, ``""`` for "no answer".
    :param golds: the gold answers; empty (or only ``""``) for an unanswerable question.
    :returns: 1.0 or 0.0.
    """
    golds = [g for g in golds if normalize_answer(g, persian)] or [""]
    pred = normalize_answer(prediction, persian)
    return float(any(pred == normalize_answer(g, persian) for g in golds))


def f1_score(prediction: str, golds: Sequence[str], persian: bool = False) -> float:
    """Token F1 between the normalised prediction and the best-matching gold answer (SQuAD 2.0).

    :param prediction: the predicted answer, ``""`` for "no answer".
    :param golds: the gold answers; empty for an unanswerable question (then only ``""`` scores 1).
    :returns: F1 in [0, 1].
    """
    golds = [g for g in golds if normalize_answer(g, persian)] or [""]
    pred = answer_tokens(prediction, persian)
    return max(_f1(pred, answer_tokens(g, persian)) for g in golds)


def contains_answer(passage: str, golds: Iterable[str], persian: bool = False) -> bool:
    """Whether a normalised gold answer occurs as whole tokens in the normalised passage.

    :param passage: e.g. the sentence an answer cites.
    :param golds: the gold answers (blank ones are ignored).
    :returns: True when some gold answer is inside the passage.
    """
    haystack = f" {normalize_answer(passage, persian)} "
    for gold in golds:
        needle = normalize_answer(gold, persian)
        if needle and f" {needle} " in haystack:
            return True
    return False


def no_answer_scores(predicted_none: Sequence[bool], gold_none: Sequence[bool]) -> dict[str, float | int]:
    """Precision, recall and F1 of answering "no answer", treating unanswerable questions as the positives.

    :param predicted_none: per question, whether the system gave no answer.
    :param gold_none: per question, whether the question is unanswerable.
    :returns: ``precision``, ``recall``, ``f1`` (0.0 where undefined) and the counts behind them.
    """
    if len(predicted_none) != len(gold_none):
        raise ValueError(f"{len(predicted_none)} predictions for {len(gold_none)} questions")
    tp = sum(1 for p, g in zip(predicted_none, gold_none, strict=True) if p and g)
    predicted = sum(1 for p in predicted_none if p)
    actual = sum(1 for g in gold_none if g)
    precision = tp / predicted if predicted else 0.0
    recall = tp / actual if actual else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "predicted": predicted, "unanswerable": actual}


def rank_of(ranked: Sequence[str], relevant: str | Iterable[str]) -> int | None:
    """1-based rank of the first relevant item, or None when none is ranked."""
    wanted = {relevant} if isinstance(relevant, str) else set(relevant)
    for i, item in enumerate(ranked, start=1):
        if item in wanted:
            return i
    return None


def recall_at_k(ranked: Sequence[str], relevant: str | Iterable[str], k: int) -> float:
    """1.0 when a relevant item is among the first ``k`` (one gold item per query: recall = hit rate)."""
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}")
    rank = rank_of(ranked, relevant)
    return float(rank is not None and rank <= k)


def reciprocal_rank(ranked: Sequence[str], relevant: str | Iterable[str]) -> float:
    """1 / rank of the first relevant item; 0.0 when it is not in the list (MRR over a cut-off list)."""
    rank = rank_of(ranked, relevant)
    return 1.0 / rank if rank else 0.0


def mean(values: Iterable[float]) -> float:
    """Arithmetic mean; 0.0 for no values (a measure over an empty set of questions)."""
    values = list(values)
    return math.fsum(values) / len(values) if values else 0.0


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """Median, 95th percentile and mean of per-question latencies, in milliseconds."""
    if not seconds:
        return {"median_ms": 0.0, "p95_ms": 0.0, "mean_ms": 0.0}
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return {
        "median_ms": 1000 * statistics.median(ordered),
        "p95_ms": 1000 * p95,
        "mean_ms": 1000 * mean(ordered),
    }
