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

from kavosh.embedding.embedders import get_backend
from kavosh.indexer.loaders import Article, FileFormat, Skipped, iter_files, load_file
from kavosh.indexer.progress import PROGRESS_SECONDS, ChunkEstimate, IndexProgress, ProgressDisplay
from kavosh.store.base import ARTICLE_META_FIELDS, ArticleStore, StoredArticle, chunk_meta
from kavosh.text.chunking import chunk_text

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_CHARS = 600
DEFAULT_OVERLAP_SENTENCES = 1
# Longer articles are skipped. 500,000 characters is about 80,000 English words: more than a novel such as The Great
# Gatsby (~270,000 characters), while the longest long-form news features run to ~30,000 words (~200,000 characters).
# Text that long is a dump, a book or a degenerate file; at ~1,000 chunks it would still take a minute to embed.
DEFAULT_MAX_ARTICLE_CHARS = 500_000
# Chunks embedded and committed together: ~6 s of embedding on two cores (~21 chunks/s), so what was read is searchable
# within seconds, while a commit (fsync, SQLite, tantivy: 0.04-0.13 s measured here) costs 1-2% of the batch.
DEFAULT_BATCH_CHUNKS = 128


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

    ``kavosh index`` (`Indexer`, which chunks first to size its batches, then calls `embed_and_write`), the evaluation
    corpora and the benchmarks all write through here, so a store built by any of them holds the same ids, chunks
    and records.

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
    return embed_and_write(store, articles, chunks, document_embedder, embed=embed, write_batch=write_batch)


def embed_and_write(
    store: ArticleStore,
    articles: Sequence[tuple[Article, str]],
    chunks: list[Document],
    document_embedder: Any,
    *,
    embed: Callable[[list[Document]], list[Document]] | None = None,
    write_batch: int | None = None,
) -> int:
    """`index_articles` after chunking: embed the chunks, check the embedder against the store, write.

    :param articles: ``(article, doc_id)`` pairs, each doc_id once.
    :param chunks: all their chunks, from `chunk_article`.
    :param embed: as in `index_articles`.
    :returns: the number of chunks written.
    """
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


@dataclass(frozen=True)
class _NewArticle:
    """An article to add (new, or changed), chunked, waiting for its batch to be embedded and committed."""

    article: Article
    doc_id: str
    chunks: list[Document]
    replaces: bool  # an older version (same key) is stored


class Indexer:
    """Index files into a store, a batch at a time; each committed batch survives a crash or Ctrl-C.

    Batches are bounded in articles and in chunks, and what waits is committed before a file big enough to fill a
    batch on its own is read, so that everything read before a slow or huge file is searchable while it is processed.

    :param store: where articles go (``EmbeddedDocumentStore`` or the Elasticsearch store).
    :param document_embedder: a warmed-up-on-demand ``KavoshDocumentEmbedder`` (its progress bar off).
    :param batch_articles: at most this many articles per committed batch.
    :param batch_chunks: at most this many chunks per committed batch (a longer article is a batch of its own).
    :param max_article_chars: longer articles are skipped, with the reason in the summary.
    :param max_bytes: larger files are skipped without being read.
    :param progress_seconds: seconds between plain progress lines (when stderr is not a terminal).
    """

    def __init__(
        self,
        store: ArticleStore,
        document_embedder: Any,
        batch_articles: int = 64,
        max_chars: int = DEFAULT_CHUNK_CHARS,
        overlap_sentences: int = DEFAULT_OVERLAP_SENTENCES,
        max_bytes: int = 50 * 2**20,
        batch_chunks: int = DEFAULT_BATCH_CHUNKS,
        max_article_chars: int = DEFAULT_MAX_ARTICLE_CHARS,
        progress_seconds: float = PROGRESS_SECONDS,
    ):
        for name, value in (
            ("batch_articles", batch_articles),
            ("batch_chunks", batch_chunks),
            ("max_article_chars", max_article_chars),
        ):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int, got {type(value).__name__}")
            if value <= 0:
                raise ValueError(f"{name} must be positive, got {value}")
        self.store = store
        self.document_embedder = document_embedder
        self.batch_articles = batch_articles
        self.batch_chunks = batch_chunks
        self.max_article_chars = max_article_chars
        self.max_chars = max_chars
        self.overlap_sentences = overlap_sentences
        self.max_bytes = max_bytes
        self.progress_seconds = progress_seconds
        self._run: _Run | None = None

    def index(
        self,
        paths: Iterable[str | Path],
        progress: bool = False,
        on_skip: Callable[[Skipped], None] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        as_format: FileFormat | str | None = None,
    ) -> IndexSummary:
        """Index files and folders.

        :param paths: files or folders (recursive), any mix of supported formats and languages.
        :param progress: show progress on stderr in chunks, with a rate and an ETA: a tqdm bar on a terminal, else a
            plain line every ``progress_seconds`` and one at the end.
        :param on_skip: called once per skipped file or record as it happens (the CLI prints one line).
        :param on_progress: called with ``(chunks committed, chunks in all)`` as they change (the UI's progress bar);
            the total is an estimate (`kavosh.indexer.progress.ChunkEstimate`) and ``done == total`` only once the
            last batch is committed.
        :param as_format: read every file in this format whatever its extension (``kavosh index --as``).
        :returns: the summary; ``interrupted`` is set if Ctrl-C stopped the run (committed batches are kept).
        """
        as_format = FileFormat.from_str(as_format) if isinstance(as_format, str) else as_format  # bad value: fail now
        started = time.perf_counter()
        summary = IndexSummary()
        files: list[Path] = []
        for item in iter_files(paths, as_format=as_format):
            if isinstance(item, Skipped):
                self._skip(summary, item, on_skip)
            else:
                files.append(item)
        summary.files = len(files)
        # Bytes to read, for the estimate of the work: a file over max_bytes is skipped unread, so it counts as none.
        sizes = [size if size <= self.max_bytes else 0 for size in map(_file_size, files)]
        display = ProgressDisplay(progress, every=self.progress_seconds, on_progress=on_progress)
        run = self._run = _Run(self, summary, ChunkEstimate(sum(sizes)), display, on_skip, started)
        try:
            run.report()
            for i, path in enumerate(files):
                seen_keys: set[str] = set()
                for item in load_file(path, max_bytes=self.max_bytes, as_format=as_format):
                    if isinstance(item, Skipped):
                        self._skip(summary, item, on_skip)
                        continue
                    seen_keys.add(item.key)  # even if it is too long now: a version stored earlier is kept
                    run.add(item)
                if seen_keys:  # a file that yields nothing now (unreadable, all bad) keeps what it had
                    self._remove_vanished(str(path.resolve()), seen_keys, summary)
                run.end_file(sizes[i], next_size=sizes[i + 1] if i + 1 < len(files) else 0)
            run.finish()
        except KeyboardInterrupt:
            summary.interrupted = True
            logger.warning("Interrupted: %d articles were committed before the stop", summary.indexed)
        finally:
            self._run = None
            display.close()
            summary.seconds = time.perf_counter() - started
        return summary

    @staticmethod
    def _skip(summary: IndexSummary, item: Skipped, on_skip: Callable[[Skipped], None] | None) -> None:
        summary.skipped.append(item)
        logger.info("skipped %s: %s", item.path, item.reason)
        if on_skip:
            on_skip(item)

    def _new_articles(
        self, read: list[tuple[Article, str]], summary: IndexSummary, taken: set[str]
    ) -> list[_NewArticle]:
        """The articles not in the store (or changed), chunked; the others are counted as unchanged.

        :param taken: doc ids this run has already taken (a duplicate from another file is unchanged); updated.
        """
        known = self.store.article_state(a.key for a, _ in read)
        stored_ids = self.store.has_articles(doc_id for _, doc_id in read)
        new: list[_NewArticle] = []
        for article, doc_id in read:
            if known.get(article.key) == doc_id or doc_id in stored_ids or doc_id in taken:
                summary.unchanged += 1  # same content already stored (here or, as a duplicate, from another file)
                continue
            taken.add(doc_id)
            chunks = chunk_article(article, doc_id, self.max_chars, self.overlap_sentences)
            new.append(_NewArticle(article, doc_id, chunks, replaces=article.key in known))
        return new

    def _flush(self, batch: list[_NewArticle], summary: IndexSummary) -> None:
        """Embed one batch of new articles and commit it."""
        if not batch:
            return
        summary.chunks += embed_and_write(
            self.store,
            [(new.article, new.doc_id) for new in batch],
            [chunk for new in batch for chunk in new.chunks],
            self.document_embedder,
            embed=self._embed,
        )
        summary.indexed += len(batch)
        summary.replaced += sum(new.replaces for new in batch)

    def _embed(self, chunks: list[Document]) -> list[Document]:
        """Embed ``batch_chunks`` at a time, so that an article longer than a batch shows progress as it goes."""
        embedded: list[Document] = []
        for i in range(0, len(chunks), self.batch_chunks):
            embedded += self.document_embedder.run(documents=chunks[i : i + self.batch_chunks])["documents"]
            if self._run is not None and len(chunks) > self.batch_chunks:
                self._run.embedded(len(embedded), len(chunks))
        return embedded

    def _remove_vanished(self, path: str, seen_keys: set[str], summary: IndexSummary) -> None:
        """Articles stored from this file that the file no longer holds (a record removed from a JSONL file)."""
        vanished = [doc_id for key, doc_id in self.store.article_keys_for_path(path).items() if key not in seen_keys]
        if vanished:
            summary.removed += self.store.delete_articles(vanished)


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


class _Run:
    """The state of one `Indexer.index` call: articles read, articles chunked and waiting, and progress.

    Articles read wait in ``pending`` until there are enough to check against the store in one lookup (or a batch's
    worth of text); the new ones, chunked, wait in ``queue`` until a batch is full, then are embedded and committed.
    """

    def __init__(
        self,
        indexer: Indexer,
        summary: IndexSummary,
        estimate: ChunkEstimate,
        display: ProgressDisplay,
        on_skip: Callable[[Skipped], None] | None,
        started: float,
    ) -> None:
        self.indexer, self.summary, self.estimate, self.display = indexer, summary, estimate, display
        self.on_skip = on_skip
        self.started = started
        self.batch_text_chars = indexer.batch_chunks * indexer.max_chars  # text that makes at least a batch of chunks
        self.pending: list[tuple[Article, str, int]] = []  # (article, doc_id, UTF-8 bytes of its text)
        self.pending_chars = 0
        self.queue: list[_NewArticle] = []
        self.queued_chunks = 0
        self.taken: set[str] = set()
        self.embedding: tuple[int, int] | None = None
        self.read_in_file = 0  # articles read from the current file (not skipped)

    def add(self, article: Article) -> None:
        """An article read from the current file."""
        text_bytes = len(article.text.encode("utf-8", "surrogatepass"))
        if len(article.text) > self.indexer.max_article_chars:
            self.estimate.skipped(text_bytes)
            record = article.key[len(article.path) + 1 :] if article.key != article.path else ""
            reason = (
                f"{f'record {record}: ' if record else ''}article too long ({len(article.text):,} characters;"
                f" the limit is {self.indexer.max_article_chars:,})"
            )
            Indexer._skip(self.summary, Skipped(article.path, reason), self.on_skip)
            return
        self.estimate.read(text_bytes)
        self.read_in_file += 1
        self.pending.append((article, article_id(article.title, article.text), text_bytes))
        self.pending_chars += len(article.text)
        if len(self.pending) >= self.indexer.batch_articles or self.pending_chars >= self.batch_text_chars:
            self.prepare()
        if len(self.queue) >= self.indexer.batch_articles or self.queued_chunks >= self.indexer.batch_chunks:
            self.commit(full_only=True)

    def prepare(self) -> None:
        """Check the pending articles against the store and chunk the new ones into the queue."""
        if not self.pending:
            return
        new = self.indexer._new_articles([(a, d) for a, d, _ in self.pending], self.summary, self.taken)
        chunks = sum(len(n.chunks) for n in new)
        self.queue += new
        self.queued_chunks += chunks
        self.estimate.chunked(chunks, sum(b for _, _, b in self.pending))
        self.pending, self.pending_chars = [], 0
        self.report()

    def end_file(self, size: int, next_size: int) -> None:
        """The current file is read; ``next_size`` is the size of the next one (0 if none)."""
        self.estimate.file_done(size, read=self.read_in_file > 0)
        self.read_in_file = 0
        # A file that could fill a batch on its own may be slow to read and embed: commit what waits before it.
        if next_size >= self.batch_text_chars and (self.pending or self.queue):
            self.commit()
        self.report()

    def commit(self, full_only: bool = False) -> None:
        """Embed and commit what was read, in batches of at most ``batch_articles`` and ``batch_chunks``.

        :param full_only: keep a last batch that is not full in the queue, for the articles still to come.
        """
        self.prepare()
        limit_articles, limit_chunks = self.indexer.batch_articles, self.indexer.batch_chunks
        batch: list[_NewArticle] = []
        chunks = 0
        for new in self.queue:
            if batch and (len(batch) >= limit_articles or chunks + len(new.chunks) > limit_chunks):
                self._commit(batch)
                batch, chunks = [], 0
            batch.append(new)
            chunks += len(new.chunks)
        if full_only and len(batch) < limit_articles and chunks < limit_chunks:
            self.queue, self.queued_chunks = batch, chunks
            return
        self._commit(batch)
        self.queue, self.queued_chunks = [], 0

    def _commit(self, batch: list[_NewArticle]) -> None:
        if batch:
            self.indexer._flush(batch, self.summary)
            self.embedding = None
            self.report()

    def finish(self) -> None:
        self.commit()
        self.report(finished=True)

    def embedded(self, done: int, of: int) -> None:
        """Progress inside a batch embedded in several steps."""
        self.embedding = (done, of)
        self.report()

    def report(self, finished: bool = False) -> None:
        done = self.summary.chunks
        # Until the last batch is committed the total stays above what is committed, so the bar never shows 100%.
        total = done if finished else max(self.estimate.total, done + 1)
        self.display.update(
            IndexProgress(
                chunks=done,
                total=total,
                articles=self.summary.indexed,
                seconds=time.perf_counter() - self.started,
                finished=finished,
                embedding=self.embedding,
            )
        )
