"""The language gate of hybrid search: fit it, and measure when it lets the other language's passages in.

Hybrid search ranks each language apart and shows a language the query is not written in only when the gate says
that language holds something on topic (:func:`kavosh.qa.bilingual_hybrid_retriever.other_language_probability`):
a logistic model of three numbers, the other language's best cosine, how far it lies below the query language's
best, and how much the two languages' first passages resemble each other. This module measures that decision on
labelled queries, read through the retriever hybrid search uses, and fits its four weights.

Labelled queries, both directions, in one store:

- on topic: NTREX-128 headlines and lead words, four and two (see :mod:`kavosh.evaluation.crosslingual`); the
  other language holds the professional translation of the query's article;
- off topic: titles and lead words of articles of another collection (BBC politics 2004-05 in English, Fars News in
  Persian) whose other side holds nothing on their story (the store's other language has only NTREX's news and the
  other collection).

Each query's key (the NTREX document id, the off-topic article's file name and record, :func:`off_topic_key`) puts it
in the tuning half or the evaluation half (:func:`split_of`). The weights are fitted on the tuning half only; the
crosslingual keyword level and the admission rates of the regression file are measured on the evaluation half only.
The store holds the articles of both halves (unlabelled content, as any archive holds news nobody asks about).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from kavosh.evaluation.crosslingual import (
    DIRECTIONS,
    KEYWORD_KINDS,
    SPLITS,
    ParallelCorpus,
    keyword_query,
    split_of,
)
from kavosh.indexer.loaders import Article
from kavosh.qa.bilingual_hybrid_retriever import (
    FUSION_DEPTH,
    GATE_BAR,
    GATE_WEIGHTS,
    BilingualHybridRetriever,
    other_language_probability,
)
from kavosh.text.chunking import split_sentences

logger = logging.getLogger(__name__)

#: Query kinds the weights are fitted on. Two-word queries are measured, not fitted on: with them in the fit the tune
#: half's two-word admission barely moved (on-topic 0.68 -> 0.70, off-topic 0.25 -> 0.27) and its headline admission
#: fell from 0.972 to 0.953 (2026-11-26): one or two words give the cosines too little to go on.
FIT_KINDS = ("headline", "lead-words")
L2 = 1e-6  # a trace of ridge on the slopes, only to keep Newton's steps finite on separable data


@dataclass(frozen=True)
class GateSample:
    """One labelled query: whether the other language is on topic, and the three numbers the gate reads."""

    on_topic: bool
    split: str
    kind: str  # one of KEYWORD_KINDS
    direction: str  # "en->fa": query language -> other language
    query: str
    best: float  # the other language's best cosine
    own_best: float  # the query language's best cosine
    resembling: float  # best cosine between the two languages' first passages


def off_topic_key(article: Article) -> str:
    """The key that puts an off-topic article in a half: its file's name and its record in the file (``001.txt``,
    ``fars-news-1.json#123``), not the whole path, so the halves are the same wherever the data lies."""
    record = article.key[len(article.path) :] if article.key.startswith(article.path) else ""
    return Path(article.path).name + record


def off_topic_queries(article: Article, kind: str) -> str:
    """An off-topic article's keyword query (:func:`keyword_query`): its title, or the first content words of its
    first body sentence."""
    body = article.text[len(article.title) :] if article.text.startswith(article.title) else article.text
    body = body.strip()
    spans = split_sentences(body)
    return keyword_query(article.title, body[spans[0][0] : spans[0][1]] if spans else body, kind)


def gate_samples(
    retriever: BilingualHybridRetriever,
    embed: Any,
    corpus: ParallelCorpus,
    off_topic: Sequence[Article],
    progress: bool = False,
) -> list[GateSample]:
    """Every labelled query's three numbers, as hybrid search computes them.

    :param retriever: the hybrid retriever over a store holding ``corpus`` and ``off_topic``.
    :param embed: query text -> query embedding (the service's text embedder).
    """
    jobs: list[tuple[bool, str, str, str, str, str]] = []
    for doc in corpus.documents:
        for src, tgt in DIRECTIONS:
            for kind in KEYWORD_KINDS:
                jobs.append((True, split_of(doc.doc_id), kind, src, tgt, doc.keywords(src, kind)))
    for article in off_topic:
        tgt = next(other for lang, other in DIRECTIONS if lang == article.lang)
        for kind in KEYWORD_KINDS:
            jobs.append(
                (False, split_of(off_topic_key(article)), kind, article.lang, tgt, off_topic_queries(article, kind))
            )
    samples = []
    for on_topic, split, kind, src, tgt, query in tqdm(jobs, desc="language gate", unit="q", disable=not progress):
        if not query.strip():
            continue
        _, gate = retriever.rankings(query, embed(query), None, retriever.top_k * FUSION_DEPTH)
        if tgt not in gate:  # no letters, or both scripts: both languages are the query's own
            continue
        samples.append(GateSample(on_topic, split, kind, f"{src}->{tgt}", query, *gate[tgt]))
    return samples


def features(samples: Sequence[GateSample]) -> np.ndarray:
    """Rows of (1, best, best - own_best, resembling): the gate's inputs, in the order of ``GATE_WEIGHTS``."""
    return np.array([[1.0, s.best, s.best - s.own_best, s.resembling] for s in samples], dtype=np.float64)


def fit_gate(samples: Sequence[GateSample], iterations: int = 50) -> tuple[float, float, float, float]:
    """Logistic regression by Newton's method, on- and off-topic queries weighted to count equally.

    Equal class weights make 0.5 the point where on-topic and off-topic are equally likely whatever their shares in
    the tuning set.

    :returns: (bias, weight of best, of best - own_best, of resembling).
    :raises ValueError: without queries of both kinds.
    """
    y = np.array([s.on_topic for s in samples], dtype=np.float64)
    if not 0 < y.sum() < len(y):
        raise ValueError("fitting the gate needs both on-topic and off-topic queries")
    x = features(samples)
    weight = np.where(y == 1, 0.5 / y.sum(), 0.5 / (len(y) - y.sum()))
    ridge = np.diag([0.0, L2, L2, L2])
    w = np.zeros(4)
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        gradient = x.T @ (weight * (p - y)) + ridge @ w
        hessian = (x * (weight * p * (1 - p))[:, None]).T @ x + ridge
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return tuple(round(float(v), 3) for v in w)  # type: ignore[return-value]


def admission(
    samples: Sequence[GateSample], weights: Sequence[float] = GATE_WEIGHTS, bar: float = GATE_BAR
) -> dict[str, Any]:
    """Share of queries whose other language the gate lets in, by split, label and kind.

    :returns: ``{"test": {"on-topic": {"headline": 0.93, "lead-words": ..., "all": ...}, "off-topic": ...}, ...}``
        with the number of queries beside each group.
    """
    out: dict[str, Any] = {}
    for split in SPLITS:
        for on_topic, label in ((True, "on-topic"), (False, "off-topic")):
            group = [s for s in samples if s.split == split and s.on_topic == on_topic]
            cell: dict[str, Any] = {}
            for kind in (*KEYWORD_KINDS, "all"):
                chosen = [s for s in group if kind in ("all", s.kind)]
                passed = [other_language_probability(s.best, s.own_best, s.resembling, weights) >= bar for s in chosen]
                cell[kind] = round(sum(passed) / len(passed), 4) if passed else None
            cell["queries"] = len(group)
            out.setdefault(split, {})[label] = cell
    return out


def evaluate_language_gate(
    retriever: BilingualHybridRetriever,
    embed: Any,
    corpus: ParallelCorpus,
    off_topic: Sequence[Article],
    progress: bool = False,
) -> dict[str, Any]:
    """Measure the shipped gate and fit a new one on the tuning half's ``FIT_KINDS`` (arguments: see
    :func:`gate_samples`).

    :returns: ``{"shipped": {"weights", "bar", "admission"}, "fitted": {...}}``; ``fitted.weights`` are what
        ``GATE_WEIGHTS`` should hold when the data or the embedder changes (a reviewed diff).
    """
    samples = gate_samples(retriever, embed, corpus, off_topic, progress)
    fitted = fit_gate([s for s in samples if s.split == "tune" and s.kind in FIT_KINDS])
    return {
        "shipped": {"weights": list(GATE_WEIGHTS), "bar": GATE_BAR, "admission": admission(samples)},
        "fitted": {"weights": list(fitted), "bar": GATE_BAR, "admission": admission(samples, fitted)},
        "samples": len(samples),
    }


__all__ = [
    "GateSample",
    "admission",
    "evaluate_language_gate",
    "features",
    "fit_gate",
    "gate_samples",
    "off_topic_queries",
]
