"""BilingualHybridRetriever over Haystack's in-memory store and retrievers (real components, hand-set vectors)."""

import numpy as np
import pytest
from haystack import Document
from haystack.components.retrievers.in_memory import InMemoryBM25Retriever, InMemoryEmbeddingRetriever
from haystack.document_stores.in_memory import InMemoryDocumentStore

from kavosh.qa.bilingual_hybrid_retriever import (
    BilingualHybridRetriever,
    interleave,
    other_language_probability,
    resemblance,
    top_vectors,
)


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


def test_passages_come_back_without_their_vectors(retriever):
    # the gate reads the vectors; the results travel without them (pipelines deep-copy what they pass on)
    docs = retriever.run(query=QUERY, query_embedding=QUERY_VECTOR)["documents"]
    assert docs and all(d.embedding is None for d in docs)


def test_the_gate_reads_the_other_languages_cosine_gap_and_resemblance(retriever):
    fused, gate = retriever.rankings(QUERY, QUERY_VECTOR, None, 6)
    assert set(fused) == {"en", "fa"} and set(gate) == {"fa"}  # an English query: only Persian is gated
    best, own_best, resembling = gate["fa"]
    assert best == pytest.approx(float(np.dot(QUERY_VECTOR, unit(1, 0.25, 0))))  # fa-story
    assert own_best == pytest.approx(float(np.dot(QUERY_VECTOR, unit(1, 0.1, 0))))  # en-story
    # the closest pair among each language's first passages: fa-story and en-story
    assert resembling == pytest.approx(float(np.dot(unit(1, 0.25, 0), unit(1, 0.1, 0))))


def test_a_mixed_query_has_no_other_language_to_gate(retriever):
    _, gate = retriever.rankings("Putin sanctions قیمت", QUERY_VECTOR, None, 6)
    assert gate == {}


def test_probability_rises_with_resemblance_and_is_one_without_own_language_passages():
    low = other_language_probability(0.82, 0.86, 0.76)
    high = other_language_probability(0.82, 0.86, 0.92)
    assert 0.0 <= low < 0.5 < high <= 1.0
    assert other_language_probability(0.5, float("-inf"), float("-inf")) == 1.0  # nothing in the query's language
    assert other_language_probability(0.9, 0.9, float("-inf")) == 0.0  # no vectors to compare


def test_resemblance_is_the_best_pair_of_first_passages():
    a = top_vectors([Document(content="a", embedding=unit(1, 0, 0)), Document(content="b", embedding=unit(0, 1, 0))])
    b = top_vectors([Document(content="c", embedding=unit(0, 1, 1))])
    assert resemblance(a, b) == pytest.approx(float(np.dot(unit(0, 1, 0), unit(0, 1, 1))))
    assert resemblance(a, top_vectors([Document(content="no vector")])) == float("-inf")


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
    with pytest.raises(ValueError, match="language_bar"):
        BilingualHybridRetriever(InMemoryBM25Retriever(store), InMemoryEmbeddingRetriever(store), language_bar=1.5)


def test_a_readers_list_keeps_its_depth_in_the_query_language_and_adds_a_few_of_the_other(retriever):
    from kavosh.qa.bilingual_hybrid_retriever import OTHER_LANGUAGE_PASSAGES

    docs = retriever.run(query=QUERY, query_embedding=QUERY_VECTOR, top_k=1, per_language=True)["documents"]
    assert [d.meta["lang"] for d in docs].count("en") == 1
    assert [d.meta["lang"] for d in docs].count("fa") == min(OTHER_LANGUAGE_PASSAGES, 3)  # the store holds 3
    assert len(retriever.run(query=QUERY, query_embedding=QUERY_VECTOR, top_k=1)["documents"]) == 1
