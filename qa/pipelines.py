"""Haystack pipelines for search and ask: retrieval by mode (bm25, dense, hybrid with RRF), then a reader."""

from __future__ import annotations

import inspect
import typing
from enum import Enum
from typing import Any

import numpy as np
from haystack import Pipeline

from kavosh.qa.bilingual_hybrid_retriever import BilingualHybridRetriever


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


def _embedding_output(pipeline: Pipeline, receiver: str) -> str:
    """The embedder's array output (``vector``) where ``receiver`` takes an array, else its list (``embedding``).

    Why: a pipeline deep-copies each component's inputs, a list of 384 floats element by element (~8 ms), an array at
    once; Haystack's own components (the in-memory retrievers of the benchmark's baseline) take the list.
    """
    socket = pipeline.graph.nodes[receiver]["input_sockets"]["query_embedding"]
    accepted = typing.get_args(socket.type) or (socket.type,)
    return "embedder.vector" if np.ndarray in accepted else "embedder.embedding"


def build_retrieval_pipeline(
    mode: RetrievalMode, bm25_retriever: Any, embedding_retriever: Any, text_embedder: Any, reader: Any | None = None
) -> Pipeline:
    """Wire retrievers (and optionally a reader) for one mode.

    Components are passed in (not built here) so the embedded store and Elasticsearch share these pipelines.
    Component names: ``embedder``, ``retriever``, ``reader``.
    """
    pipeline = Pipeline()
    if mode is RetrievalMode.BM25:
        pipeline.add_component("retriever", bm25_retriever)
    else:
        pipeline.add_component("embedder", text_embedder)
        if mode is RetrievalMode.HYBRID:
            pipeline.add_component("retriever", BilingualHybridRetriever(bm25_retriever, embedding_retriever))
        else:
            pipeline.add_component("retriever", embedding_retriever)
        pipeline.connect(_embedding_output(pipeline, "retriever"), "retriever.query_embedding")
    if reader is not None:
        pipeline.add_component("reader", reader)
        pipeline.connect("retriever.documents", "reader.documents")
        # The offline reader reuses the query embedding; the transformer reader has no such input.
        if mode is not RetrievalMode.BM25 and "query_embedding" in inspect.signature(reader.run).parameters:
            pipeline.connect(_embedding_output(pipeline, "reader"), "reader.query_embedding")
    return pipeline


def retrieval_inputs(
    mode: RetrievalMode, query: str, top_k: int, filters: dict[str, Any] | None, per_language: bool = False
) -> dict[str, Any]:
    """The ``Pipeline.run`` data for a query.

    :param per_language: hybrid mode: ``top_k`` passages of each language shown (a reader's depth), not in all.
    """
    data: dict[str, Any] = {"retriever": {"filters": filters, "top_k": top_k}}
    if per_language and mode is RetrievalMode.HYBRID:
        data["retriever"]["per_language"] = True
    if mode is not RetrievalMode.DENSE:
        data["retriever"]["query"] = query
    if mode is not RetrievalMode.BM25:
        data["embedder"] = {"text": query}
    return data
