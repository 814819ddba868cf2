"""The embedded store on real tantivy indexes and memory-mapped vectors in temporary folders.

Vectors here are small hand-made unit vectors: these tests check the store's mechanics (ranking, filters,
replacement, crash recovery), not an embedding model; the end-to-end tests use the real offline embedder.
"""

from __future__ import annotations

import numpy as np
import pytest
from haystack import Document
from haystack.document_stores.types import DuplicatePolicy

from kavosh.store.base import StoredArticle, StoreError
from kavosh.store.embedded.document_store import EmbeddedDocumentStore
from kavosh.store.embedded.embedding_retriever import EmbeddedEmbeddingRetriever
from kavosh.store.filters import FilterError

DIM = 4


def unit(*values: float) -> list[float]:
    v = np.asarray(values, dtype=np.float32)
    return (v / np.linalg.norm(v)).tolist()


def article(
    doc_id: str,
    text: str,
    *,
    key: str | None = None,
    lang: str = "en",
    source: str = "",
    published: str = "",
    title: str = "",
) -> StoredArticle:
    return StoredArticle(
        doc_id=doc_id,
        key=key or f"/news/{doc_id}.txt",
        path=key or f"/news/{doc_id}.txt",
        title=title,
        text=text,
        lang=lang,
        source=source,
        published=published,
    )


def chunks_of(a: StoredArticle, vectors: list[list[float]], size: int | None = None) -> list[Document]:
    """Cut an article into equal slices, one per vector (offsets into the article, as the indexer does)."""
    size = size or -(-len(a.text) // len(vectors))
    docs = []
    for i, vector in enumerate(vectors):
        start, end = i * size, min(len(a.text), (i + 1) * size)
        docs.append(
            Document(
                id=f"{a.doc_id}-{i}",
                content=a.text[start:end],
                embedding=vector,
                meta={
                    "parent_id": a.doc_id,
                    "chunk_index": i,
                    "start": start,
                    "end": end,
                    "title": a.title,
                    "lang": a.lang,
                    "source": a.source,
                    "published": a.published,
                    "path": a.path,
                },
            )
        )
    return docs


@pytest.fixture
def corpus():
    return [
        article(
            "en1",
            "Tehran and Moscow will pursue extension of their treaty which will end next March.",
            source="islamtimes",
            published="2020-07-22",
            title="Iran Russia treaty",
        ),
        article(
            "en2",
            "Xi Jinping denounced sanctions and the behaviour of the United States.",
            source="irna",
            published="2020-03-10",
        ),
        article(
            "fa1",
            "پوتین با اشاره به تحریم‌های آمریکا علیه ایران، این اقدامات را نقض حقوق انسانی دانست.",
            lang="fa",
            source="tasnim",
            published="2020-07-16",
        ),
        article("fa2", "همکاریهای ایران و روسیه در مبارزه با ویروس کرونا گسترش می‌یابد.", lang="fa", source="tasnim"),
    ]


VECTORS = {"en1": [unit(1, 0, 0, 0)], "en2": [unit(0, 1, 0, 0)], "fa1": [unit(0.2, 1, 0, 0)], "fa2": [unit(0, 0, 1, 0)]}


@pytest.fixture
def store(tmp_path, corpus):
    s = EmbeddedDocumentStore(tmp_path / "store")
    s.check_embedder("test-model", DIM)
    s.write_articles(corpus, [c for a in corpus for c in chunks_of(a, VECTORS[a.doc_id])])
    yield s
    s.close()


def ids(docs: list[Document]) -> list[str]:
    return [d.meta["parent_id"] for d in docs]


def test_bm25_matches_zwnj_variants_and_arabic_letters(store):
    # The article has تحریم‌های (with ZWNJ) and همکاریهای (without); queries in every spelling find them.
    for query in ("تحریم ها", "تحریمها", "تحریم‌ها", "تحريم"):
        assert ids(store.bm25_retrieval(query))[:1] == ["fa1"], query
    for query in ("همکاری‌ها", "همکاری ها", "همكاري"):
        assert ids(store.bm25_retrieval(query))[:1] == ["fa2"], query


def test_bm25_ranks_english_with_stemming_and_title(store):
    assert ids(store.bm25_retrieval("treaties extended")) == ["en1"]
    assert ids(store.bm25_retrieval("sanction"))[0] == "en2"
    assert store.bm25_retrieval("the of and") == []  # stopwords only: nothing to match


def test_dense_retrieval_is_exact_cosine(store):
    docs = store.embedding_retrieval(unit(0, 1, 0, 0), top_k=2)
    assert ids(docs) == ["en2", "fa1"]
    assert docs[0].score == pytest.approx(1.0, abs=1e-6)
    assert docs[1].score == pytest.approx(float(np.dot(unit(0.2, 1, 0, 0), unit(0, 1, 0, 0))), abs=1e-6)


def test_dense_retriever_returns_vectors_only_when_asked(store):
    retriever = EmbeddedEmbeddingRetriever(store, top_k=2)
    assert all(d.embedding is None for d in retriever.run(query_embedding=unit(0, 1, 0, 0))["documents"])
    docs = retriever.run(query_embedding=unit(0, 1, 0, 0), return_embedding=True)["documents"]
    assert docs[0].embedding == pytest.approx(unit(0, 1, 0, 0), abs=1e-6)  # en2's own vector


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"field": "meta.lang", "operator": "==", "value": "fa"}, {"fa1", "fa2"}),
        ({"field": "meta.source", "operator": "in", "value": ["irna", "islamtimes"]}, {"en1", "en2"}),
        (
            {
                "operator": "AND",
                "conditions": [
                    {"field": "meta.published", "operator": ">=", "value": "2020-07-01"},
                    {"field": "meta.published", "operator": "<=", "value": "2020-07-31"},
                ],
            },
            {"en1", "fa1"},
        ),
        ({"operator": "NOT", "conditions": [{"field": "meta.lang", "operator": "==", "value": "fa"}]}, {"en1", "en2"}),
    ],
)
def test_filters_apply_alike_to_bm25_dense_and_listing(store, filters, expected):
    everything = "treaty sanctions تحریم همکاری Xi Putin پوتین ایران"
    assert set(ids(store.bm25_retrieval(everything, filters=filters, top_k=10))) <= expected
    assert set(ids(store.embedding_retrieval(unit(1, 1, 1, 0), filters=filters, top_k=10))) == expected
    assert set(ids(store.filter_documents(filters))) == expected


def test_language_filtered_dense_search_follows_writes_and_deletes(store):
    # Hybrid search asks once per language with the same query vector; the store reuses the scores of that vector
    # and keeps each language's rows in memory. Neither may go stale when the archive changes.
    fa = {"field": "meta.lang", "operator": "==", "value": "fa"}
    query = unit(0, 0, 1, 0.1)
    assert ids(store.embedding_retrieval(query, filters=fa, top_k=1)) == ["fa2"]
    assert ids(store.embedding_retrieval(query, top_k=1)) == ["fa2"]
    closer = article("fa3", "آلودگی هوای تهران در زمستان بیشتر می‌شود.", lang="fa")
    store.write_articles([closer], chunks_of(closer, [query]))
    assert ids(store.embedding_retrieval(query, filters=fa, top_k=2)) == ["fa3", "fa2"]
    store.delete_articles(["fa3"])
    assert ids(store.embedding_retrieval(query, filters=fa, top_k=2)) == ["fa2", "fa1"]
    en = {"field": "meta.lang", "operator": "==", "value": "en"}
    assert set(ids(store.embedding_retrieval(query, filters=en, top_k=5))) == {"en1", "en2"}


def test_unsupported_filter_names_the_supported_fields(store):
    with pytest.raises(FilterError, match="meta.lang"):
        store.filter_documents({"field": "meta.colour", "operator": "==", "value": "red"})


def test_facets_count_languages_sources_dates_and_undated_articles(store):
    facets = store.facets()
    assert facets == {
        "languages": {"en": 2, "fa": 2},
        "sources": {"tasnim": 2, "irna": 1, "islamtimes": 1},
        "published_range": ["2020-03-10", "2020-07-22"],
        "undated": 1,  # fa2 has no date
    }
    assert {key: store.stats()[key] for key in facets} == facets


def test_changed_article_replaces_its_old_chunks(store):
    new = article("en1-v2", "The treaty between Iran and Russia now ends in March 2026.", key="/news/en1.txt")
    store.write_articles([new], chunks_of(new, [unit(0, 0, 0, 1)]))
    assert store.get_article("en1") is None
    assert store.get_article("/news/en1.txt").doc_id == "en1-v2"
    assert ids(store.bm25_retrieval("treaty")) == ["en1-v2"]
    assert ids(store.embedding_retrieval(unit(1, 0, 0, 0), top_k=10)).count("en1") == 0
    assert store.stats()["dead_vector_rows"] == 1


def test_delete_removes_from_both_indexes_and_compact_keeps_results(store):
    assert store.delete_articles(["en2", "missing"]) == 1
    assert "en2" not in ids(store.bm25_retrieval("sanctions Xi"))
    assert "en2" not in ids(store.embedding_retrieval(unit(0, 1, 0, 0), top_k=10))
    before = [(d.id, round(d.score, 5)) for d in store.embedding_retrieval(unit(1, 1, 1, 1), top_k=10)]
    store.compact()
    assert store.stats()["dead_vector_rows"] == 0
    assert [(d.id, round(d.score, 5)) for d in store.embedding_retrieval(unit(1, 1, 1, 1), top_k=10)] == before
    assert ids(store.bm25_retrieval("تحریم"))[:1] == ["fa1"]


def test_store_persists_across_reopening(store, tmp_path):
    bm25_before = [(d.id, d.score) for d in store.bm25_retrieval("treaty sanctions")]
    store.close()
    reopened = EmbeddedDocumentStore(tmp_path / "store", create=False)
    assert reopened.count_articles() == 4
    assert [(d.id, d.score) for d in reopened.bm25_retrieval("treaty sanctions")] == bm25_before
    assert ids(reopened.embedding_retrieval(unit(0, 0, 1, 0), top_k=1)) == ["fa2"]


def test_crash_after_vectors_before_commit_is_trimmed_on_open(store, tmp_path):
    store.close()
    vectors = tmp_path / "store" / "vectors.f32"
    committed = vectors.stat().st_size
    with open(vectors, "ab") as f:  # a batch whose SQLite transaction never committed
        f.write(np.ones((3, DIM), dtype=np.float32).tobytes())
    reopened = EmbeddedDocumentStore(tmp_path / "store")
    assert reopened.embedding_retrieval(unit(1, 0, 0, 0), top_k=10)[0].meta["parent_id"] == "en1"
    assert vectors.stat().st_size == committed
    late = article("late", "A later article about trade.")
    reopened.write_articles([late], chunks_of(late, [unit(1, 1, 0, 0)]))
    assert ids(reopened.embedding_retrieval(unit(1, 1, 0, 0), top_k=1)) == ["late"]


def test_crash_before_bm25_commit_rebuilds_bm25_on_open(store, tmp_path):
    store.db.execute("UPDATE settings SET value = '0' WHERE key = 'bm25_generation'")  # tantivy lagging
    store.close()
    reopened = EmbeddedDocumentStore(tmp_path / "store")
    assert ids(reopened.bm25_retrieval("treaty")) == ["en1"]
    assert reopened.settings()["bm25_generation"] == reopened.settings()["generation"]


def test_bm25_index_lost_entirely_is_rebuilt_from_sqlite(store, tmp_path):
    import shutil

    store.close()
    shutil.rmtree(tmp_path / "store" / "bm25")
    reopened = EmbeddedDocumentStore(tmp_path / "store")
    assert ids(reopened.bm25_retrieval("تحریم‌ها"))[:1] == ["fa1"]


def test_embedder_mismatch_is_refused_with_a_clear_message(store):
    store.check_embedder("test-model", DIM)  # same: fine
    with pytest.raises(StoreError, match="built with embedder 'test-model'"):
        store.check_embedder("other-model", 384)


def test_missing_store_is_an_error_when_not_creating(tmp_path):
    with pytest.raises(StoreError, match="no Kavosh store"):
        EmbeddedDocumentStore(tmp_path / "nowhere", create=False).count_documents()


def test_haystack_protocol_round_trip_and_writes(tmp_path):
    s = EmbeddedDocumentStore(tmp_path / "proto")
    assert s.to_dict() == {
        "type": "kavosh.store.embedded.document_store.EmbeddedDocumentStore",
        "init_parameters": {"path": str(tmp_path / "proto"), "create": True},
    }
    assert EmbeddedDocumentStore.from_dict(s.to_dict()).path == s.path
    docs = [
        Document(id="c1", content="nuclear deal talks", embedding=unit(1, 0, 0, 0), meta={"parent_id": "a"}),
        Document(id="c2", content="health cooperation", embedding=unit(0, 1, 0, 0), meta={"parent_id": "a"}),
    ]
    assert s.write_documents(docs) == 2
    assert s.write_documents(docs, policy=DuplicatePolicy.SKIP) == 0
    assert s.count_documents() == 2
    assert ids(s.bm25_retrieval("nuclear")) == ["a"]
    s.delete_documents(["c1"])
    assert [d.id for d in s.filter_documents()] == ["c2"]
    assert s.bm25_retrieval("nuclear") == []
