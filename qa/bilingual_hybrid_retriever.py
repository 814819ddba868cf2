"""Hybrid retrieval for a bilingual archive: BM25 and dense fused per language, then the languages interleaved."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from itertools import zip_longest
from typing import Any

import numpy as np
from haystack import Document, component, default_from_dict, default_to_dict
from haystack.components.joiners import DocumentJoiner

from kavosh.text.analysis import languages_in

LANGUAGES = ("en", "fa")
#: The language gate: a language the query is not written in joins the list when the probability that it holds
#: something on topic reaches ``GATE_BAR``: ``sigmoid(bias + w_best * best + w_gap * (best - own_best) + w_resemblance
#: * resemblance)``, where ``best`` is that language's best cosine with the query, ``own_best`` the query language's,
#: and ``resemblance`` the best cosine between the first ``RESEMBLANCE_DEPTH`` passages of the two languages (do its
#: passages say what the query's own language found?). Weights fitted by ``kavosh eval language-gate`` (logistic
#: regression, on- and off-topic queries weighted equally) on the tuning half of its labelled queries: NTREX-128
#: headlines and 4-word leads (on topic: the other side holds the translation) and BBC / Fars News titles and 4-word
#: leads (off topic); multilingual-e5-small (regressions/language-gate.yaml). Why not a fixed margin below the best
#: language (0.06 until 2026-11): the cross-lingual cosine of a short query runs 0.05-0.15 below the same-language one
#: even for the translation itself, so a margin let the other language in for 21% of NTREX headlines.
GATE_WEIGHTS: tuple[float, float, float, float] = (-77.198, 13.493, 45.072, 85.99)
GATE_BAR = 0.5
RESEMBLANCE_DEPTH = 3
#: With ``per_language`` (a reader's list), the passages a language the gate lets in adds to the question's own
#: ``top_k``: enough for an answer that only the other language holds, few enough not to double the reader's work
#: (Kavosh's reader, trained on same-language questions, took 368 vs 189 ms p50 reading both languages in full).
OTHER_LANGUAGE_PASSAGES = 3
# Each retriever fetches this many candidates per result wanted, so fusion sees deeper lists than k.
FUSION_DEPTH = 3


def with_language(filters: dict[str, Any] | None, lang: str) -> dict[str, Any]:
    """``filters`` AND ``meta.lang == lang``."""
    condition = {"field": "meta.lang", "operator": "==", "value": lang}
    if not filters:
        return condition
    return {"operator": "AND", "conditions": [filters, condition]}


def top_vectors(ranking: Sequence[Document], depth: int = RESEMBLANCE_DEPTH) -> np.ndarray:
    """The embeddings of a dense ranking's first ``depth`` passages (rows; none when they carry no embedding)."""
    rows = [d.embedding for d in ranking[:depth] if d.embedding is not None]
    return np.asarray(rows, dtype=np.float32) if rows else np.empty((0, 0), dtype=np.float32)


def resemblance(a: np.ndarray, b: np.ndarray) -> float:
    """Best cosine between two sets of L2-normalised passage vectors; ``-inf`` when either is empty."""
    if a.size == 0 or b.size == 0:
        return float("-inf")
    return float((a @ b.T).max())


def other_language_probability(
    best: float, own_best: float, resembling: float, weights: Sequence[float] = GATE_WEIGHTS
) -> float:
    """The gate's probability that a language the query is not written in holds something on topic.

    :param best: that language's best cosine with the query.
    :param own_best: the best cosine in the query's own language(s); ``-inf`` when it has no passages.
    :param resembling: :func:`resemblance` of that language's first passages and the query language's.
    :param weights: (bias, weight of ``best``, of ``best - own_best``, of ``resembling``).
    """
    if own_best == float("-inf"):
        return 1.0  # nothing in the query's language: the other language is all there is
    if best == float("-inf") or resembling == float("-inf"):
        return 0.0
    bias, w_best, w_gap, w_resemblance = weights
    z = bias + w_best * best + w_gap * (best - own_best) + w_resemblance * resembling
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


def interleave(rankings: list[list[Document]]) -> list[Document]:
    """Merge rankings by rank (first of each, then second of each, ...); within a rank the higher score first."""
    merged: list[Document] = []
    seen: set[str] = set()
    for tier in zip_longest(*rankings):
        for doc in sorted((d for d in tier if d is not None), key=lambda d: -(d.score or 0.0)):
            if doc.id not in seen:
                seen.add(doc.id)
                merged.append(doc)
    return merged


@component
class BilingualHybridRetriever:
    """BM25 + dense retrieval fused with reciprocal rank fusion separately for each language, then interleaved.

    Why not one fused list: BM25 cannot match across languages and cross-lingual cosine runs lower, so in a single
    fusion an English query's Persian passages rank below every weak English one. Fusing per language and
    interleaving the query's language with each other language the gate lets in (see ``GATE_WEIGHTS``) shows both.

    In a language whose script the query does not use, only the dense ranking counts: BM25 matches there are the
    query's numbers alone, and fusing them pushed the translation of an English news story from the top Persian hit
    to fourth or lower (NTREX-128, document level: R@1 0.68 with them, dense alone 0.97). A mixed query ("Putin
    تحریم") gets BM25 in both languages, and both count as its own; one without letters ("2024") too.
    """

    def __init__(
        self,
        bm25_retriever: Any,
        embedding_retriever: Any,
        languages: tuple[str, ...] | list[str] = LANGUAGES,
        language_bar: float = GATE_BAR,
        top_k: int = 10,
    ):
        """
        :param bm25_retriever: component with ``run(query, filters, top_k)``.
        :param embedding_retriever: component with ``run(query_embedding, filters, top_k)``.
        :param languages: language codes ranked separately.
        :param language_bar: the gate's probability (``other_language_probability``) a language the query is not
            written in needs to appear; 0 shows every language, 1 only the query's own.
        :param top_k: default number of passages returned.
        """
        for name, retriever in (("bm25_retriever", bm25_retriever), ("embedding_retriever", embedding_retriever)):
            if not hasattr(retriever, "run"):
                raise TypeError(f"{name} must be a Haystack retriever component")
        if not languages:
            raise ValueError("languages must not be empty")
        if not 0 <= language_bar <= 1:
            raise ValueError(f"language_bar must be within [0, 1], got {language_bar}")
        if top_k <= 0:
            raise ValueError(f"top_k must be positive, got {top_k}")
        self.bm25_retriever = bm25_retriever
        self.embedding_retriever = embedding_retriever
        self.languages = tuple(languages)
        self.language_bar = language_bar
        self.top_k = top_k
        self._joiner = DocumentJoiner(join_mode="reciprocal_rank_fusion")

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(
            self,
            bm25_retriever=self.bm25_retriever.to_dict(),
            embedding_retriever=self.embedding_retriever.to_dict(),
            languages=list(self.languages),
            language_bar=self.language_bar,
            top_k=self.top_k,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BilingualHybridRetriever:
        from haystack.core.serialization import component_from_dict
        from haystack.utils import deserialize_type

        params = data["init_parameters"]
        for name in ("bm25_retriever", "embedding_retriever"):
            params[name] = component_from_dict(deserialize_type(params[name]["type"]), params[name], name)
        return default_from_dict(cls, data)

    def rankings(
        self, query: str, query_embedding: list[float] | np.ndarray, filters: dict[str, Any] | None, depth: int
    ) -> tuple[dict[str, list[Document]], dict[str, tuple[float, float, float]]]:
        """Each language's fused ranking, and the gate's inputs for each language the query is not written in.

        :returns: (language -> BM25 + dense ranking, RRF-fused, dense passages still carrying their vectors;
            language -> ``(best, own_best, resembling)``, the arguments of :func:`other_language_probability`);
            languages with no passage are left out.
        """
        fused: dict[str, list[Document]] = {}
        best: dict[str, float] = {}
        vectors: dict[str, np.ndarray] = {}
        query_langs = languages_in(query)
        for lang in self.languages:
            lang_filters = with_language(filters, lang)
            bm25 = []
            if lang in query_langs:
                bm25 = self.bm25_retriever.run(query=query, filters=lang_filters, top_k=depth)["documents"]
            dense = self.embedding_retriever.run(
                query_embedding=query_embedding, filters=lang_filters, top_k=depth, return_embedding=True
            )["documents"]
            if not bm25 and not dense:
                continue
            vectors[lang] = top_vectors(dense)
            fused[lang] = self._joiner.run(documents=[bm25, dense])["documents"]
            best[lang] = max((d.score or 0.0 for d in dense), default=float("-inf"))
        own = [lang for lang in fused if lang in query_langs]
        own_best = max((best[lang] for lang in own), default=float("-inf"))
        own_found = [vectors[lang] for lang in own if vectors[lang].size]
        own_vectors = np.concatenate(own_found) if own_found else np.empty((0, 0), dtype=np.float32)
        gate = {
            lang: (best[lang], own_best, resemblance(vectors[lang], own_vectors)) for lang in fused if lang not in own
        }
        return fused, gate

    @component.output_types(documents=list[Document])
    def run(
        self,
        query: str,
        query_embedding: list[float] | np.ndarray,
        filters: dict[str, Any] | None = None,
        top_k: int | None = None,
        per_language: bool = False,
    ) -> dict:
        """:param per_language: a reader's list: ``top_k`` passages of the query's own language(s), and the first
            ``OTHER_LANGUAGE_PASSAGES`` of each other language the gate lets in, added rather than taking the place
            of the question's own.
        :returns: ``{"documents": ...}`` best first, at most ``top_k`` (more with ``per_language``); scores are
            per-language RRF scores."""
        top_k = top_k or self.top_k
        fused, gate = self.rankings(query, query_embedding, filters, top_k * FUSION_DEPTH)
        kept = {
            lang: ranking
            for lang, ranking in fused.items()
            if lang not in gate or other_language_probability(*gate[lang]) >= self.language_bar
        }
        if per_language:
            documents = interleave(
                [ranking[: OTHER_LANGUAGE_PASSAGES if lang in gate else top_k] for lang, ranking in kept.items()]
            )
        else:
            documents = interleave(list(kept.values()))[:top_k]
        # the gate has read the vectors; the passages travel on without them (a pipeline deep-copies every input,
        # a list of 384 floats element by element), and only those returned are copied
        return {"documents": [replace(d, embedding=None) if d.embedding is not None else d for d in documents]}
