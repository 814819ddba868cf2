"""The one table from a store to its retrievers: which BM25 and embedding retriever components search it.

Stores do not build retrievers (a store module importing its retrievers, which import the store, was a loop); the
service asks this table, keyed by the store's ``backend``. A backend's classes are imported only when a store of that
backend is used, so the Elasticsearch extra is needed only with an Elasticsearch store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["RETRIEVERS", "bm25_retriever", "embedding_retriever", "retriever_classes"]


def _embedded() -> tuple[type, type]:
    from kavosh.store.embedded.bm25_retriever import EmbeddedBM25Retriever
    from kavosh.store.embedded.embedding_retriever import EmbeddedEmbeddingRetriever

    return EmbeddedBM25Retriever, EmbeddedEmbeddingRetriever


def _elasticsearch() -> tuple[type, type]:
    from kavosh.store.elasticsearch.bm25_retriever import EsBM25Retriever
    from kavosh.store.elasticsearch.embedding_retriever import EsEmbeddingRetriever

    return EsBM25Retriever, EsEmbeddingRetriever


#: Store backend (``store.backend``) -> its (BM25 retriever, embedding retriever) classes.
RETRIEVERS: dict[str, Callable[[], tuple[type, type]]] = {"embedded": _embedded, "elasticsearch": _elasticsearch}


def retriever_classes(store: Any) -> tuple[type, type]:
    """The (BM25, embedding) retriever classes for a store.

    :raises TypeError: for a store whose backend no retriever searches.
    """
    backend = getattr(store, "backend", None)
    if backend not in RETRIEVERS:
        raise TypeError(f"no retrievers for store backend {backend!r}; known backends: {', '.join(RETRIEVERS)}")
    return RETRIEVERS[backend]()


def bm25_retriever(store: Any, top_k: int = 10) -> Any:
    """The BM25 retriever component for ``store``."""
    return retriever_classes(store)[0](store, top_k=top_k)


def embedding_retriever(store: Any, top_k: int = 10) -> Any:
    """The dense retriever component for ``store``."""
    return retriever_classes(store)[1](store, top_k=top_k)
