"""BilingualHybridRetriever over Haystack's in-memory store and retrievers (real components, hand-set vectors)."""

import numpy as np
import pytest
from haystack import Document
from haystack.components.retrievers.in_memory import InMemoryBM25Retriever, InMemoryEmbeddingRetriever
from haystack.document_stores.in_memory import InMemoryDocumentStore

from kavosh.qa.bilingual_hybrid_retriever import BilingualHybridRetriever, interleave


def unit(*values: float) -> list[float]:
    v = np.asarray(values, dtype=np.float32)
    return (v / np.linalg.norm(v)).tolist()


QUERY = "Putin sanctions 2024"
QUERY_VECTOR = unit(1.0, 0.0, 0.0)


@pytest.fixture()
def retriever() -> BilingualHybridRetriever:
    store = InMemoryDocumentStore(embedding_similarity_function="cosine")
    store.write_documents(
        [
            Document(
                id="en-story",
                content="Putin said the sanctions of 2024 failed.",
                embedding=unit(1, 0.1, 0),
                meta={"lang": "en"},
            ),
            Document(id="en-other", content="Football results of 2024.", embedding=unit(0, 1, 0), meta={"lang": "en"}),
            # The Persian translation of the story: no word in common with the query, close in meaning.
            Document(
                id="fa-story", content="پوتین گفت تحریم‌ها شکست خوردند.", embedding=unit(1, 0.25, 0), meta={"lang": "fa"}
            ),
            # Off topic, but it shares the query's number (BM25 matches 2024 across the scripts).
            Document(
                id="fa-digits",
                content="قیمت نان در سال 2024 بالا رفت.",
                embedding=unit(1, 0.6, 0.3),
                meta={"lang": "fa"},
            ),
            Document(id="fa-far", content="هوای تهران آلوده است.", embedding=unit(0, 0.2, 1), meta={"lang": "fa"}),
        ]
    )
    return BilingualHybridRetriever(InMemoryBM25Retriever(store), InMemoryEmbeddingRetriever(store), top_k=4)


def test_both_languages_are_interleaved_when_both_are_on_topic(retriever):
    docs = retriever.run(query=QUERY, query_embedding=QUERY_VECTOR)["documents"]
    assert docs[0].id == "en-story"
    assert docs[1].meta["lang"] == "fa"  # the languages take turns


def test_in_the_other_language_only_meaning_counts_not_shared_digits(retriever):
    docs = retriever.run(query=QUERY, query_embedding=QUERY_VECTOR)["documents"]
    persian = [d.id for d in docs if d.meta["lang"] == "fa"]
    # With BM25 fused for Persian too, the page about bread prices (it has "2024") came first.
    assert persian[0] == "fa-story"


def test_bm25_still_counts_in_the_query_language(retriever):
    # A Persian query: its BM25 matches in Persian are fused (fa-digits has both words), English is dense only.
    docs = retriever.run(query="قیمت نان", query_embedding=unit(0.2, 0.1, 1))["documents"]
    persian = [d.id for d in docs if d.meta["lang"] == "fa"]
    assert persian[0] == "fa-digits"


def test_a_mixed_query_gets_bm25_in_both_languages(retriever):
    # Mostly English, with the Persian word for "price": that word still matches Persian passages by BM25.
    docs = retriever.run(query="Putin sanctions قیمت", query_embedding=QUERY_VECTOR)["documents"]
    assert [d.id for d in docs if d.meta["lang"] == "fa"][0] == "fa-digits"


def test_a_language_far_below_the_best_is_left_out():
    store = InMemoryDocumentStore(embedding_similarity_function="cosine")
    store.write_documents(
        [
            Document(id="en", content="Putin sanctions", embedding=unit(1, 0, 0), meta={"lang": "en"}),
            Document(id="fa", content="آب و هوا", embedding=unit(0.5, 1, 0), meta={"lang": "fa"}),
        ]
    )
    hybrid = BilingualHybridRetriever(InMemoryBM25Retriever(store), InMemoryEmbeddingRetriever(store), top_k=5)
    assert [d.id for d in hybrid.run(query="Putin sanctions", query_embedding=unit(1, 0, 0))["documents"]] == ["en"]


def test_interleave_takes_rank_by_rank_and_drops_repeats():
    a = [Document(id="a1", content="x", score=0.5), Document(id="a2", content="x", score=0.4)]
    b = [Document(id="b1", content="y", score=0.9), Document(id="a1", content="x", score=0.1)]
    assert [d.id for d in interleave([a, b])] == ["b1", "a1", "a2"]


def test_init_rejects_bad_settings():
    store = InMemoryDocumentStore()
    with pytest.raises(TypeError):
        BilingualHybridRetriever(object(), InMemoryEmbeddingRetriever(store))
    with pytest.raises(ValueError, match="language_margin"):
        BilingualHybridRetriever(InMemoryBM25Retriever(store), InMemoryEmbeddingRetriever(store), language_margin=3)
