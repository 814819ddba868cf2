"""The indexing job: files → articles → chunks → embeddings → store, incremental and interruptible."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from haystack import Document
from tqdm import tqdm

from kavosh.embedding.embedders import get_backend
from kavosh.indexer.loaders import Article, Skipped, iter_files, load_file
from kavosh.store.base import ARTICLE_META_FIELDS, ArticleStore, StoredArticle, chunk_meta
from kavosh.text.chunking import chunk_text

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_CHARS = 600
DEFAULT_OVERLAP_SENTENCES = 1


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

    :returns: chunk documents whose meta is the one chunk layout (`kavosh.store.base.CHUNK_META_FIELDS`).
    """
    fields = {name: getattr(article, name) for name in ARTICLE_META_FIELDS}
    return [
        Document(
            id=chunk_id(doc_id, c.start, c.end),
            content=c.text,
            meta=chunk_meta(doc_id, c.index, c.start, c.end, **fields),
        )
        for c in chunk_text(article.text, max_chars=max_chars, overlap_sentences=overlap_sentences)
    ]


def to_stored(article: Article, doc_id: str) -> StoredArticle:
    """The store's record of an article."""
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


def index_articles(
    store: ArticleStore,
    articles: Sequence[tuple[Article, str]],
    document_embedder: Any,
    *,
    embed: Callable[[list[Document]], list[Document]] | None = None,
    max_chars: int = DEFAULT_CHUNK_CHARS,
    overlap_sentences: int = DEFAULT_OVERLAP_SENTENCES,
    write_batch: int | None = None,
    on_chunks: Callable[[int], None] | None = None,
) -> int:
    """The one indexing step: chunk the articles, embed the chunks, check the embedder against the store, write.

    ``kavosh index`` (`Indexer`), the evaluation corpora and the benchmarks all write through here, so a store built
    by any of them holds the same ids, chunks and records.

    :param store: where the articles go.
    :param articles: ``(article, doc_id)`` pairs, each doc_id once.
    :param document_embedder: the ``KavoshDocumentEmbedder`` whose model the store records.
    :param embed: chunks -> the same chunks with embeddings; default ``document_embedder.run``. (The evaluation
        corpora pass one that reads an embedding cache.)
    :param write_batch: articles per ``write_articles`` call; ``None`` writes them all at once.
    :param on_chunks: called with the number of chunks once the articles are chunked, before embedding.
    :returns: the number of chunks written.
    """
    chunks = [c for article, doc_id in articles for c in chunk_article(article, doc_id, max_chars, overlap_sentences)]
    if on_chunks:
        on_chunks(len(chunks))
    if embed is None:
        embed = lambda docs: document_embedder.run(documents=docs)["documents"]  # noqa: E731
    embedded = embed(chunks) if chunks else []
    backend = get_backend(document_embedder.embedder)
    write_embedded(store, articles, embedded, backend.model_id, backend.dim, write_batch=write_batch)
    return len(chunks)


def write_embedded(
    store: ArticleStore,
    articles: Sequence[tuple[Article, str]],
    chunks: list[Document],
    model_id: str,
    dim: int,
    write_batch: int | None = None,
) -> None:
    """The write half of `index_articles`: check the embedder against the store, then write records and chunks.

    :param articles: ``(article, doc_id)`` pairs.
    :param chunks: their chunks, with embeddings from the model ``model_id`` of dimension ``dim``.
    :param write_batch: articles per ``write_articles`` call; ``None`` writes them all at once.
    :raises kavosh.store.base.StoreError: when the store was built with another embedder.
    """
    store.check_embedder(model_id, dim)
    step = write_batch or max(len(articles), 1)
    by_parent: dict[str, list[Document]] = {}
    for chunk in chunks:
        by_parent.setdefault(chunk.meta["parent_id"], []).append(chunk)
    for i in range(0, len(articles), step):
        part = articles[i : i + step]
        store.write_articles([to_stored(a, d) for a, d in part], [c for _, d in part for c in by_parent.get(d, [])])


class Indexer:
    """Index files into a store, a batch at a time; each committed batch survives a crash or Ctrl-C.

    :param store: where articles go (``EmbeddedDocumentStore`` or the Elasticsearch store).
    :param document_embedder: a warmed-up-on-demand ``KavoshDocumentEmbedder`` (its progress bar off).
    :param batch_articles: articles embedded and committed together.
    """

    def __init__(
        self,
        store: ArticleStore,
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
        summary.chunks += index_articles(
            self.store,
            list(new.values()),
            self.document_embedder,
            max_chars=self.max_chars,
            overlap_sentences=self.overlap_sentences,
        )
        summary.indexed += len(new)

    def _remove_vanished(self, path: str, seen_keys: set[str], summary: IndexSummary) -> None:
        """Articles stored from this file that the file no longer holds (a record removed from a JSONL file)."""
        vanished = [doc_id for key, doc_id in self.store.article_keys_for_path(path).items() if key not in seen_keys]
        if vanished:
            summary.removed += self.store.delete_articles(vanished)
