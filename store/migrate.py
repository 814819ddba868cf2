"""Copy a store into another (an embedded store into Elasticsearch), stored vectors included: no re-embedding."""

from __future__ import annotations

import logging
import time
from typing import Any

from haystack import Document
from tqdm import tqdm

from kavosh.store.base import StoredArticle, StoreError
from kavosh.store.embedded.document_store import EmbeddedDocumentStore

logger = logging.getLogger(__name__)


def stored_chunks(source: EmbeddedDocumentStore, doc_ids: list[str]) -> list[Document]:
    """The chunks of some articles of an embedded store with their stored vectors, by article and position."""
    return source.chunks_of(list(doc_ids), with_embeddings=True)


def migrate(source: EmbeddedDocumentStore, target: Any, batch_size: int = 500, progress: bool = True) -> dict[str, Any]:
    """Copy every article of ``source`` with its chunks and vectors into ``target``; safe to run again.

    Articles already in the target (same id) are left alone, so an interrupted copy resumes where it stopped.
    The target records the source's embedder; a target built with another embedder is refused.

    :param source: the embedded store to read.
    :param target: any store with the indexer's methods (``ElasticsearchStore``, another ``EmbeddedDocumentStore``).
    :param batch_size: articles per write.
    :param progress: show a progress bar.
    :returns: ``{"articles": copied, "unchanged": already there, "chunks": copied, "seconds": ...}``.
    :raises StoreError: if the target refuses the embedder or documents, or the source has chunks without vectors.
    """
    if not isinstance(batch_size, int) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    started = time.perf_counter()
    summary: dict[str, Any] = {"articles": 0, "unchanged": 0, "chunks": 0, "seconds": 0.0}
    total = source.count_articles()
    settings = source.settings()
    if total == 0:
        return summary
    if not settings.get("embedder") or not settings.get("dim"):
        raise StoreError(f"store {source.path} records no embedder; re-index it before migrating")
    target.check_embedder(settings["embedder"], int(settings["dim"]))
    spec = settings.get("embedder_spec")
    target_spec = target.settings().get("embedder_spec")
    if spec and target_spec and target_spec != spec:
        raise StoreError(f"the target was built with embedder {target_spec!r}, the source with {spec!r}")
    if spec and not target_spec:
        target.record_embedder_spec(spec)

    bar = tqdm(total=total, unit="article", desc="migrating", disable=not progress, dynamic_ncols=True)
    batch: list[StoredArticle] = []
    try:
        for article in source.iter_articles():
            batch.append(article)
            if len(batch) >= batch_size:
                _copy(source, target, batch, summary)
                bar.update(len(batch))
                batch = []
        _copy(source, target, batch, summary)
        bar.update(len(batch))
    finally:
        bar.close()
    summary["seconds"] = round(time.perf_counter() - started, 3)
    logger.info("Migrated %d articles (%d chunks), %d already there", summary["articles"], summary["chunks"],
                summary["unchanged"])  # fmt: skip
    return summary


def _copy(source: EmbeddedDocumentStore, target: Any, batch: list[StoredArticle], summary: dict[str, Any]) -> None:
    if not batch:
        return
    present = target.has_articles(a.doc_id for a in batch)
    todo = [a for a in batch if a.doc_id not in present]
    summary["unchanged"] += len(batch) - len(todo)
    if not todo:
        return
    chunks = stored_chunks(source, [a.doc_id for a in todo])
    if any(c.embedding is None for c in chunks):
        raise StoreError(f"store {source.path} has chunks without vectors; re-index it before migrating")
    target.write_articles(todo, chunks)
    summary["articles"] += len(todo)
    summary["chunks"] += len(chunks)
