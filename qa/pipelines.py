"""Haystack pipelines for search and ask: retrieval by mode (bm25, dense, hybrid with RRF), then a reader."""

from __future__ import annotations

import inspect
from enum import Enum
from typing import Any

from haystack import Pipeline
from haystack.components.joiners import DocumentJoiner


class RetrievalMode(Enum):
    BM25 = "bm25"
    DENSE = "dense"
    HYBRID = "hybrid"

    def __str__(self) -> str:
        return self.value

    @staticmethod
    def from_str(value: str) -> RetrievalMode:
        """:raises ValueError: naming the valid modes."""
        for mode in RetrievalMode:
            if mode.value == value:
                return mode
        raise ValueError(
            f"unknown retrieval mode {value!r}; choose one of: {', '.join(m.value for m in RetrievalMode)}"
        )


# How many candidates each retriever passes to fusion for every result wanted: RRF needs a deeper list than k.
FUSION_DEPTH = 3


def build_retrieval_pipeline(
    mode: RetrievalMode, bm25_retriever: Any, embedding_retriever: Any, text_embedder: Any, reader: Any | None = None
) -> Pipeline:
    """Wire retrievers (and optionally a reader) for one mode.

    Components are passed in (not built here) so the embedded store and Elasticsearch share these pipelines, and
    loaded models are shared between pipelines.

    Component names: ``bm25``, ``embedder``, ``dense``, ``joiner`` (hybrid), ``reader``.
    """
    pipeline = Pipeline()
    if mode in (RetrievalMode.BM25, RetrievalMode.HYBRID):
        pipeline.add_component("bm25", bm25_retriever)
    if mode in (RetrievalMode.DENSE, RetrievalMode.HYBRID):
        pipeline.add_component("embedder", text_embedder)
        pipeline.add_component("dense", embedding_retriever)
        pipeline.connect("embedder.embedding", "dense.query_embedding")
    if mode is RetrievalMode.HYBRID:
        pipeline.add_component("joiner", DocumentJoiner(join_mode="reciprocal_rank_fusion"))
        pipeline.connect("bm25.documents", "joiner.documents")
        pipeline.connect("dense.documents", "joiner.documents")
    if reader is not None:
        pipeline.add_component("reader", reader)
        pipeline.connect(f"{final_component(mode)}.documents", "reader.documents")
        # The offline reader reuses the query embedding; the transformer reader has no such input.
        if mode is not RetrievalMode.BM25 and "query_embedding" in inspect.signature(reader.run).parameters:
            pipeline.connect("embedder.embedding", "reader.query_embedding")
    return pipeline


def final_component(mode: RetrievalMode) -> str:
    """Name of the component whose ``documents`` output is the ranked result."""
    return {RetrievalMode.BM25: "bm25", RetrievalMode.DENSE: "dense", RetrievalMode.HYBRID: "joiner"}[mode]


def retrieval_inputs(mode: RetrievalMode, query: str, top_k: int, filters: dict[str, Any] | None) -> dict[str, Any]:
    """The ``Pipeline.run`` data for a query, with each retriever fetching deeper lists under hybrid fusion."""
    depth = top_k * FUSION_DEPTH if mode is RetrievalMode.HYBRID else top_k
    data: dict[str, Any] = {}
    if mode in (RetrievalMode.BM25, RetrievalMode.HYBRID):
        data["bm25"] = {"query": query, "filters": filters, "top_k": depth}
    if mode in (RetrievalMode.DENSE, RetrievalMode.HYBRID):
        data["embedder"] = {"text": query}
        data["dense"] = {"filters": filters, "top_k": depth}
    if mode is RetrievalMode.HYBRID:
        data["joiner"] = {"top_k": top_k}
    return data
