"""Copying an embedded store into another store (Elasticsearch, or another embedded store) without re-embedding."""

from __future__ import annotations

import numpy as np
import pytest

from kavosh.store.base import StoreError
from kavosh.store.elasticsearch.document_store import open_elasticsearch_store
from kavosh.store.embedded.document_store import EmbeddedDocumentStore
from kavosh.store.migrate import migrate, stored_chunks
from tests.store.elasticsearch.test_document_store import DIM, PERSIAN, SPORTS, TREATY, URL, FakeCluster, write_all

ARTICLES = (TREATY, SPORTS, PERSIAN)
CHUNKS = sum(len(chunks) for _, chunks in ARTICLES)


@pytest.fixture
def source(tmp_path) -> EmbeddedDocumentStore:
    store = EmbeddedDocumentStore(tmp_path / "source")
    store.check_embedder("test-model", DIM)
    store.record_embedder_spec("test-spec")
    write_all(store, *ARTICLES)
    yield store
    store.close()


def test_copy_into_an_embedded_store_keeps_articles_chunks_and_vectors(source, tmp_path):
    target = EmbeddedDocumentStore(tmp_path / "target")
    summary = migrate(source, target, batch_size=2, progress=False)
    assert summary["articles"] == 3 and summary["chunks"] == CHUNKS and summary["unchanged"] == 0
    assert list(target.iter_articles()) == list(source.iter_articles())
    ids = [a.doc_id for a, _ in ARTICLES]
    copied, original = stored_chunks(target, ids), stored_chunks(source, ids)
    assert [(c.id, c.content, c.meta) for c in copied] == [(c.id, c.content, c.meta) for c in original]
    assert np.array_equal(np.array([c.embedding for c in copied]), np.array([c.embedding for c in original]))
    assert target.settings()["embedder"] == "test-model" and target.settings()["embedder_spec"] == "test-spec"
    query = TREATY[1][1].embedding
    assert [d.id for d in target.embedding_retrieval(query, top_k=3)] == [
        d.id for d in source.embedding_retrieval(query, top_k=3)
    ]
    target.close()


def test_running_it_again_copies_nothing(source, tmp_path):
    target = EmbeddedDocumentStore(tmp_path / "target")
    migrate(source, target, progress=False)
    again = migrate(source, target, progress=False)
    assert again["articles"] == 0 and again["chunks"] == 0 and again["unchanged"] == 3
    assert target.count_documents() == CHUNKS
    target.close()


class StopsAfter:
    """A target that is interrupted (Ctrl-C) after some batches."""

    def __init__(self, store: EmbeddedDocumentStore, batches: int):
        self.store, self.batches = store, batches

    def __getattr__(self, name):
        return getattr(self.store, name)

    def write_articles(self, articles, chunks):
        if self.batches == 0:
            raise KeyboardInterrupt
        self.batches -= 1
        self.store.write_articles(articles, chunks)


def test_an_interrupted_copy_resumes(source, tmp_path):
    target = EmbeddedDocumentStore(tmp_path / "target")
    with pytest.raises(KeyboardInterrupt):
        migrate(source, StopsAfter(target, batches=1), batch_size=1, progress=False)
    assert target.count_articles() == 1
    resumed = migrate(source, target, batch_size=1, progress=False)
    assert resumed["articles"] == 2 and resumed["unchanged"] == 1
    assert target.count_documents() == CHUNKS
    target.close()


def test_copy_into_elasticsearch_sends_the_stored_vectors(source):
    cluster = FakeCluster()
    target = open_elasticsearch_store(URL, node_class=cluster.node_class())
    summary = migrate(source, target, batch_size=2, progress=False)
    assert summary["articles"] == 3 and summary["chunks"] == CHUNKS
    sent = {
        line_id: body
        for request in cluster.sent(None, "/_bulk")
        for line_id, body in zip([line["index"]["_id"] for line in request.body[::2]], request.body[1::2], strict=True)
    }
    for chunk in stored_chunks(source, [a.doc_id for a, _ in ARTICLES]):
        assert np.array_equal(np.float32(sent[chunk.id]["embedding"]), np.float32(chunk.embedding))
        assert sent[chunk.id]["content"] == chunk.content
    meta = cluster.indices["kavosh-articles"]["mappings"]["_meta"]["kavosh"]
    assert meta["embedder"] == "test-model" and meta["dim"] == str(DIM) and meta["embedder_spec"] == "test-spec"
    assert cluster.indices["kavosh"]["mappings"]["properties"]["embedding"]["dims"] == DIM

    bulks = len(cluster.sent(None, "/_bulk"))
    assert migrate(source, target, progress=False)["unchanged"] == 3
    assert len(cluster.sent(None, "/_bulk")) == bulks  # nothing written the second time


def test_a_target_built_with_another_embedder_is_refused(source, tmp_path):
    target = EmbeddedDocumentStore(tmp_path / "target")
    target.check_embedder("other-model", DIM)
    with pytest.raises(StoreError, match="built with embedder 'other-model'"):
        migrate(source, target, progress=False)
    assert target.count_articles() == 0
    target.close()


def test_an_empty_store_migrates_to_nothing(tmp_path):
    empty = EmbeddedDocumentStore(tmp_path / "empty")
    target = EmbeddedDocumentStore(tmp_path / "target")
    assert migrate(empty, target, progress=False) == {"articles": 0, "unchanged": 0, "chunks": 0, "seconds": 0.0}
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        migrate(empty, target, batch_size=0)
