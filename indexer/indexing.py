"""The indexing job: files → articles → chunks → embeddings → store, incremental and interruptible."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from haystack import Document
from tqdm import tqdm

from indexer.chunking import chunk_text
from indexer.embedders import get_backend
from indexer.loaders import Article, Skipped, iter_files, load_file

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_CHARS = 600
DEFAULT_OVERLAP_SENTENCES = 1


class ArticleSink(Protocol):
    """What the indexer writes to: the embedded store and the Elasticsearch store both provide this."""

    def article_state(self, keys: Iterable[str]) -> dict[str, str]: ...
    def has_articles(self, doc_ids: Iterable[str]) -> set[str]: ...
    def article_keys_for_path(self, path: str) -> dict[str, str]: ...
    def check_embedder(self, model_id: str, dim: int) -> None: ...
    def write_articles(self, articles: list, chunks: list[Document]) -> None: ...
    def delete_articles(self, doc_ids: list[str]) -> int: ...


@dataclass
class IndexSummary:
    """What an indexing run did; ``skipped`` holds one ``Skipped`` (path, reason) per file or record left out."""

    indexed: int = 0
    unchanged: int = 0
    replaced: int = 0
    removed: int = 0
    chunks: int = 0
    files: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    interrupted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "indexed": self.indexed,
            "unchanged": self.unchanged,
            "replaced": self.replaced,
            "removed": self.removed,
            "chunks": self.chunks,
            "files": self.files,
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "seconds": round(self.seconds, 3),
            "interrupted": self.interrupted,
        }


def article_id(title: str, text: str) -> str:
    """Id from content: the same article text (and title) always gets the same id, wherever it comes from."""
    return hashlib.sha256(f"{title}\x00{text}".encode()).hexdigest()[:20]


def chunk_id(doc_id: str, start: int, end: int) -> str:
    return hashlib.sha256(f"{doc_id}:{start}:{end}".encode()).hexdigest()[:20]


def chunk_article(
    article: Article,
    doc_id: str,
    max_chars: int = DEFAULT_CHUNK_CHARS,
    overlap_sentences: int = DEFAULT_OVERLAP_SENTENCES,
) -> list[Document]:
    """Split an article into chunk Documents whose ``content`` is ``article.text[start:end]``.

    :returns: chunk documents carrying the news meta fields (see STYLE.md: Data).
    """
    return [
        Document(
            id=chunk_id(doc_id, c.start, c.end),
            content=c.text,
            meta={
                "parent_id": doc_id,
                "chunk_index": c.index,
                "start": c.start,
                "end": c.end,
                "title": article.title,
                "lang": article.lang,
                "source": article.source,
                "url": article.url,
                "published": article.published,
                "path": article.path,
            },
        )
        for c in chunk_text(article.text, max_chars=max_chars, overlap_sentences=overlap_sentences)
    ]


def to_stored(article: Article, doc_id: str):
    """The store's record of an article."""
    from store.embedded_document_store import StoredArticle

    return StoredArticle(
        doc_id=doc_id,
        key=article.key,
        path=article.path,
        title=article.title,
        text=article.text,
        lang=article.lang,
        source=article.source,
        url=article.url,
        published=article.published,
        format=article.format,
    )


class Indexer:
    """Index files into a store, a batch at a time; each committed batch survives a crash or Ctrl-C.

    :param store: where articles go (``EmbeddedDocumentStore`` or the Elasticsearch store).
    :param document_embedder: a warmed-up-on-demand ``KavoshDocumentEmbedder`` (its progress bar off).
    :param batch_articles: articles embedded and committed together.
    """

    def __init__(
        self,
        store: ArticleSink,
        document_embedder: Any,
        batch_articles: int = 64,
        max_chars: int = DEFAULT_CHUNK_CHARS,
        overlap_sentences: int = DEFAULT_OVERLAP_SENTENCES,
        max_bytes: int = 50 * 2**20,
    ):
        if batch_articles <= 0:
            raise ValueError(f"batch_articles must be positive, got {batch_articles}")
        self.store = store
        self.document_embedder = document_embedder
        self.batch_articles = batch_articles
        self.max_chars = max_chars
        self.overlap_sentences = overlap_sentences
        self.max_bytes = max_bytes

    def index(
        self,
        paths: Iterable[str | Path],
        progress: bool = False,
        on_skip: Callable[[Skipped], None] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> IndexSummary:
        """Index files and folders.

        :param paths: files or folders (recursive), any mix of supported formats and languages.
        :param progress: show a tqdm bar (files done, articles and chunks so far).
        :param on_skip: called once per skipped file or record as it happens (the CLI prints one line).
        :param on_progress: called with (files done, files total) after each file (the UI's progress bar).
        :returns: the summary; ``interrupted`` is set if Ctrl-C stopped the run (committed batches are kept).
        """
        started = time.perf_counter()
        summary = IndexSummary()
        files: list[Path] = []
        for item in iter_files(paths):
            if isinstance(item, Skipped):
                self._skip(summary, item, on_skip)
            else:
                files.append(item)
        summary.files = len(files)
        batch: list[tuple[Article, str]] = []
        bar = tqdm(total=len(files), unit="file", desc="indexing", disable=not progress, dynamic_ncols=True)
        try:
            for done, path in enumerate(files, start=1):
                seen_keys: set[str] = set()
                for item in load_file(path, max_bytes=self.max_bytes):
                    if isinstance(item, Skipped):
                        self._skip(summary, item, on_skip)
                        continue
                    seen_keys.add(item.key)
                    batch.append((item, article_id(item.title, item.text)))
                    if len(batch) >= self.batch_articles:
                        self._flush(batch, summary)
                        batch = []
                if seen_keys:  # a file that yields nothing now (unreadable, all bad) keeps what it had
                    self._remove_vanished(str(path.resolve()), seen_keys, summary)
                bar.update(1)
                bar.set_postfix(articles=summary.indexed, chunks=summary.chunks, skipped=len(summary.skipped))
                if on_progress:
                    on_progress(done, len(files))
            self._flush(batch, summary)
        except KeyboardInterrupt:
            summary.interrupted = True
            logger.warning("Interrupted: %d articles were committed before the stop", summary.indexed)
        finally:
            bar.close()
            summary.seconds = time.perf_counter() - started
        return summary

    @staticmethod
    def _skip(summary: IndexSummary, item: Skipped, on_skip: Callable[[Skipped], None] | None) -> None:
        summary.skipped.append(item)
        logger.info("skipped %s: %s", item.path, item.reason)
        if on_skip:
            on_skip(item)

    def _flush(self, batch: list[tuple[Article, str]], summary: IndexSummary) -> None:
        if not batch:
            return
        known = self.store.article_state(a.key for a, _ in batch)
        stored_ids = self.store.has_articles(doc_id for _, doc_id in batch)
        new: dict[str, tuple[Article, str]] = {}
        for article, doc_id in batch:
            if known.get(article.key) == doc_id or doc_id in stored_ids or doc_id in new:
                summary.unchanged += 1  # same content already stored (here or, as a duplicate, from another file)
                continue
            if article.key in known:
                summary.replaced += 1
            new[doc_id] = (article, doc_id)
        if not new:
            return
        chunks = [
            c
            for article, doc_id in new.values()
            for c in chunk_article(article, doc_id, self.max_chars, self.overlap_sentences)
        ]
        embedded = self.document_embedder.run(documents=chunks)["documents"] if chunks else []
        backend = get_backend(self.document_embedder.embedder)
        self.store.check_embedder(backend.model_id, backend.dim)
        self.store.write_articles([to_stored(a, d) for a, d in new.values()], embedded)
        summary.indexed += len(new)
        summary.chunks += len(chunks)

    def _remove_vanished(self, path: str, seen_keys: set[str], summary: IndexSummary) -> None:
        """Articles stored from this file that the file no longer holds (a record removed from a JSONL file)."""
        vanished = [doc_id for key, doc_id in self.store.article_keys_for_path(path).items() if key not in seen_keys]
        if vanished:
            summary.removed += self.store.delete_articles(vanished)
