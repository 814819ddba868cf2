"""What every store shares: the protocol the indexer and the service use, the shared types and errors, and the one
layout of a chunk's metadata. The embedded and Elasticsearch backends both build on this module; neither imports the
other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from haystack import Document

__all__ = [
    "ARTICLE_META_FIELDS",
    "CHUNK_COLUMNS",
    "CHUNK_META_FIELDS",
    "SCHEMA_VERSION",
    "ArticleStore",
    "StoreError",
    "StoredArticle",
    "chunk_meta",
]

#: The layout of the stored records (articles, chunks, settings); a store records it and refuses another.
SCHEMA_VERSION = "1"

#: Article fields every chunk carries in its meta (see STYLE.md: Data), in this order.
ARTICLE_META_FIELDS: tuple[str, ...] = ("title", "lang", "source", "url", "published", "path")

#: A chunk's meta: its article (``parent_id``), its place in it (``chunk_index``, and ``start``/``end`` character
#: offsets into the article text), then the article's fields.
CHUNK_META_FIELDS: tuple[str, ...] = ("parent_id", "chunk_index", "start", "end", *ARTICLE_META_FIELDS)

#: The meta keys a store keeps as their own columns (SQLite) or fields (Elasticsearch), for filters and display;
#: everything else in a chunk's meta (``url``, anything a caller adds) is kept with the chunk as it came.
CHUNK_COLUMNS: tuple[str, ...] = tuple(f for f in CHUNK_META_FIELDS if f != "url")


def chunk_meta(parent_id: str, chunk_index: int, start: int, end: int, **article: Any) -> dict[str, Any]:
    """A chunk's meta in the one layout (`CHUNK_META_FIELDS`).

    :param article: the article's fields, `ARTICLE_META_FIELDS` exactly.
    :raises ValueError: naming a missing or unknown article field.
    """
    if set(article) != set(ARTICLE_META_FIELDS):
        missing = sorted(set(ARTICLE_META_FIELDS) - set(article))
        unknown = sorted(set(article) - set(ARTICLE_META_FIELDS))
        raise ValueError(f"chunk meta needs the fields {ARTICLE_META_FIELDS}; missing {missing}, unknown {unknown}")
    meta: dict[str, Any] = {"parent_id": parent_id, "chunk_index": chunk_index, "start": start, "end": end}
    meta.update((field, article[field]) for field in ARTICLE_META_FIELDS)
    return meta


class StoreError(RuntimeError):
    """A store that cannot be opened or used as asked; the message is meant for users."""


@dataclass(frozen=True)
class StoredArticle:
    """An article as the store keeps it. ``doc_id`` comes from the content; ``key`` names its origin."""

    doc_id: str
    key: str
    path: str
    title: str
    text: str
    lang: str
    source: str = ""
    url: str = ""
    published: str = ""
    format: str = "txt"

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "key": self.key,
            "path": self.path,
            "title": self.title,
            "lang": self.lang,
            "source": self.source,
            "url": self.url,
            "published": self.published,
            "format": self.format,
            "text": self.text,
        }


#: sources a store's ``facets()`` (and ``stats()``) list, the largest first (a shorter list is every source there is);
#: ``facets()`` also counts the ``undated`` articles (no or no readable publication date)
SOURCES_IN_STATS = 20


@runtime_checkable
class ArticleStore(Protocol):
    """What the indexer, the service and the retrievers use: the embedded store and the Elasticsearch store."""

    backend: str  # "embedded" or "elasticsearch"

    def article_state(self, keys: Iterable[str]) -> dict[str, str]: ...
    def has_articles(self, doc_ids: Iterable[str]) -> set[str]: ...
    def article_keys_for_path(self, path: str) -> dict[str, str]: ...
    def check_embedder(self, model_id: str, dim: int) -> None: ...
    def record_embedder_spec(self, spec: str) -> None: ...
    def write_articles(self, articles: list[StoredArticle], chunks: list[Document]) -> None: ...
    def delete_articles(self, doc_ids: list[str]) -> int: ...
    def get_article(self, doc_id_or_path: str) -> StoredArticle | None: ...
    def find_articles(self, doc_id_or_path: str) -> list[str]: ...
    def settings(self) -> dict[str, str]: ...
    def facets(self) -> dict[str, Any]: ...
    def stats(self) -> dict[str, Any]: ...
    def close(self) -> None: ...
