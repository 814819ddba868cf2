"""Tests for kavosh.store.base: the chunk-metadata layout and the store protocol both backends follow."""

from __future__ import annotations

import pytest

from kavosh.store.base import ARTICLE_META_FIELDS, CHUNK_COLUMNS, CHUNK_META_FIELDS, ArticleStore, chunk_meta
from kavosh.store.elasticsearch.document_store import ElasticsearchStore
from kavosh.store.embedded.document_store import EmbeddedDocumentStore


def test_chunk_meta_layout():
    article = {"title": "T", "lang": "en", "source": "s", "url": "u", "published": "2020-01-01", "path": "/a.txt"}
    meta = chunk_meta("doc", 2, 10, 20, **article)
    assert list(meta) == list(CHUNK_META_FIELDS)
    assert meta["parent_id"] == "doc" and meta["start"] == 10 and meta["url"] == "u"
    assert "url" not in CHUNK_COLUMNS and set(CHUNK_COLUMNS) | {"url"} == set(CHUNK_META_FIELDS)
    with pytest.raises(ValueError, match=r"missing \['url'\]"):
        chunk_meta("doc", 0, 0, 1, **{k: v for k, v in article.items() if k != "url"})
    assert ARTICLE_META_FIELDS == CHUNK_META_FIELDS[4:]


def test_both_backends_follow_the_store_protocol(tmp_path):
    store = EmbeddedDocumentStore(tmp_path / "store", create=True)
    assert isinstance(store, ArticleStore) and store.backend == "embedded"
    store.close()
    missing = [name for name in dir(ArticleStore) if not name.startswith("_") and not hasattr(ElasticsearchStore, name)]
    assert missing == [] and ElasticsearchStore.backend == "elasticsearch"
