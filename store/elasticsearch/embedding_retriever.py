"""Dense retrieval over Kavosh's Elasticsearch index, as a Haystack component."""

from __future__ import annotations

from typing import Any

import numpy as np
from haystack import Document, component, default_from_dict, default_to_dict

from kavosh.store.elasticsearch.document_store import ElasticsearchStore


@component
class EsEmbeddingRetriever:
    """Ranks chunks of an ``ElasticsearchStore`` by cosine similarity to a query embedding (kNN, or exact).

    Not ``elasticsearch-haystack``'s ``ElasticsearchEmbeddingRetriever``: that one returns each chunk's stored vector
    and every stored field as meta, and Elasticsearch's ``(1 + cosine) / 2`` as the score; this one returns the
    chunks exactly as the embedded store does, with cosine scores.
    """

    def __init__(
        self,
        document_store: ElasticsearchStore,
        filters: dict[str, Any] | None = None,
        top_k: int = 10,
        num_candidates: int | None = None,
        exact: bool = False,
    ):
        """
        :param document_store: the store to search.
        :param filters: default Haystack filters (language, source, date range).
        :param top_k: default number of chunks returned.
        :param num_candidates: HNSW candidates per shard (default ``max(100, 10 * top_k)``).
        :param exact: score every chunk passing the filters (brute force) instead of the HNSW graph.
        """
        if not isinstance(document_store, ElasticsearchStore):
            raise TypeError("document_store must be an ElasticsearchStore")
        if not isinstance(top_k, int) or top_k <= 0:
            raise ValueError(f"top_k must be a positive integer, got {top_k!r}")
        if num_candidates is not None and (not isinstance(num_candidates, int) or num_candidates <= 0):
            raise ValueError(f"num_candidates must be a positive integer, got {num_candidates!r}")
        self.document_store = document_store
        self.filters = filters
        self.top_k = top_k
        self.num_candidates = num_candidates
        self.exact = exact

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(
            self,
            document_store=self.document_store.to_dict(),
            filters=self.filters,
            top_k=self.top_k,
            num_candidates=self.num_candidates,
            exact=self.exact,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EsEmbeddingRetriever:
        data["init_parameters"]["document_store"] = ElasticsearchStore.from_dict(
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
            num_candidates=self.num_candidates,
            exact=self.exact,
            return_embedding=return_embedding,
        )
        return {"documents": docs}
