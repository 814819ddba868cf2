"""Haystack pipelines for search and ask: retrieval by mode (bm25, dense, hybrid with RRF), then a reader."""

from __future__ import annotations

import inspect
import typing
from enum import Enum
from typing import Any

import networkx
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


def run_in_order(
    pipeline: Pipeline, data: dict[str, dict[str, Any]], include_outputs_from: set[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Run a pipeline whose components each run once, in the order of its connections, as ``Pipeline.run`` would.

    For a process that answers one request (a one-shot CLI call). Why not ``Pipeline.run`` there: its first call in a
    process imports ``haystack.tools`` (0.2-0.3 s: tool, telemetry and HTTP client modules) to deep-copy every
    component's inputs, which a chain of three components of ours does not need. The wiring is the pipeline's own.

    :param data: inputs by component name, as for ``Pipeline.run``.
    :param include_outputs_from: components whose every output is returned, consumed or not.
    :returns: as ``Pipeline.run``: each component's outputs that no connection consumed, and all outputs of
        ``include_outputs_from``; components with none left out.
    """
    graph = pipeline.graph
    include = include_outputs_from or set()
    outputs: dict[str, dict[str, Any]] = {}
    result: dict[str, dict[str, Any]] = {}
    for name in networkx.topological_sort(graph):
        inputs = dict(data.get(name, {}))
        for sender, _, edge in graph.in_edges(name, data=True):
            inputs[edge["to_socket"].name] = outputs[sender][edge["from_socket"].name]
        outputs[name] = pipeline.get_component(name).run(**inputs)
        consumed = {edge["from_socket"].name for _, _, edge in graph.out_edges(name, data=True)}
        kept = outputs[name] if name in include else {k: v for k, v in outputs[name].items() if k not in consumed}
        if kept:
            result[name] = kept
    return result


def retrieval_inputs(
    mode: RetrievalMode, query: str, top_k: int, filters: dict[str, Any] | None, per_language: bool = False
) -> dict[str, Any]:
    """The ``Pipeline.run`` data for a query.

    :param per_language: hybrid mode: ``top_k`` passages of the query's language, plus a few of another language
        shown (a reader's list; see ``BilingualHybridRetriever.run``).
    """
    data: dict[str, Any] = {"retriever": {"filters": filters, "top_k": top_k}}
    if per_language and mode is RetrievalMode.HYBRID:
        data["retriever"]["per_language"] = True
    if mode is not RetrievalMode.DENSE:
        data["retriever"]["query"] = query
    if mode is not RetrievalMode.BM25:
        data["embedder"] = {"text": query}
    return data
