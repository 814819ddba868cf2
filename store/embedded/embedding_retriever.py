"""Exact dense retrieval over the embedded store, as a Haystack component."""

from __future__ import annotations

from typing import Any

import numpy as np
from haystack import Document, component, default_from_dict, default_to_dict

from kavosh.store.embedded.document_store import EmbeddedDocumentStore


@component
class EmbeddedEmbeddingRetriever:
    """Ranks chunks of an ``EmbeddedDocumentStore`` by cosine similarity to a query embedding."""

    def __init__(self, document_store: EmbeddedDocumentStore, filters: dict[str, Any] | None = None, top_k: int = 10):
        """
        :param document_store: the store to search.
        :param filters: default Haystack filters (language, source, date range).
        :param top_k: default number of chunks returned.
        """
        if not isinstance(document_store, EmbeddedDocumentStore):
            raise TypeError("document_store must be an EmbeddedDocumentStore")
        if not isinstance(top_k, int) or top_k <= 0:
            raise ValueError(f"top_k must be a positive integer, got {top_k!r}")
        self.document_store = document_store
        self.filters = filters
        self.top_k = top_k

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(
            self, document_store=self.document_store.to_dict(), filters=self.filters, top_k=self.top_k
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EmbeddedEmbeddingRetriever:
        data["init_parameters"]["document_store"] = EmbeddedDocumentStore.from_dict(
            data["init_parameters"]["document_store"]
        )
        return default_from_dict(cls, data)

    @component.output_types(documents=list[Document])
    def run(
        self,
        query_embedding: list[float] | np.ndarray,
        filters: dict[str, Any] | None = None,
        top_k: int | None = None,
        return_embedding: bool = False,
    ) -> dict:
        """:returns: ``{"documents": chunks}`` best first, each with its cosine ``score`` (and its ``embedding`` when
        ``return_embedding``)."""
        docs = self.document_store.embedding_retrieval(
            query_embedding,
            filters=filters if filters is not None else self.filters,
            top_k=top_k or self.top_k,
            return_embedding=return_embedding,
        )
        return {"documents": docs}
