"""BM25 retrieval over Kavosh's Elasticsearch index, as a Haystack component."""

from __future__ import annotations

from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict

from kavosh.store.elasticsearch.document_store import ElasticsearchStore


@component
class EsBM25Retriever:
    """Ranks chunks of an ``ElasticsearchStore`` by BM25 over the ``kavosh`` analysis, with highlighted terms.

    Not ``elasticsearch-haystack``'s ``ElasticsearchBM25Retriever``: that one sends ``multi_match`` over every field
    with fuzziness for all words (Persian included) and no highlighting, and returns every stored field as meta.
    """

    def __init__(
        self,
        document_store: ElasticsearchStore,
        filters: dict[str, Any] | None = None,
        top_k: int = 10,
        fuzziness: str | None = None,
        highlight: bool = True,
    ):
        """
        :param document_store: the store to search.
        :param filters: default Haystack filters (language, source, date range).
        :param top_k: default number of chunks returned.
        :param fuzziness: Elasticsearch fuzziness (``"AUTO"``, ``"1"``) for non-Persian words; None: exact terms.
        :param highlight: add ``meta["highlights"]``: ``[start, end]`` offsets of matched terms in ``content``.
        """
        if not isinstance(document_store, ElasticsearchStore):
            raise TypeError("document_store must be an ElasticsearchStore")
        if not isinstance(top_k, int) or top_k <= 0:
            raise ValueError(f"top_k must be a positive integer, got {top_k!r}")
        if fuzziness is not None and not isinstance(fuzziness, str):
            raise TypeError(f"fuzziness must be a string such as 'AUTO' or None, got {fuzziness!r}")
        self.document_store = document_store
        self.filters = filters
        self.top_k = top_k
        self.fuzziness = fuzziness
        self.highlight = highlight

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(
            self,
            document_store=self.document_store.to_dict(),
            filters=self.filters,
            top_k=self.top_k,
            fuzziness=self.fuzziness,
            highlight=self.highlight,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EsBM25Retriever:
        data["init_parameters"]["document_store"] = ElasticsearchStore.from_dict(
            data["init_parameters"]["document_store"]
        )
        return default_from_dict(cls, data)

    @component.output_types(documents=list[Document])
    def run(self, query: str, filters: dict[str, Any] | None = None, top_k: int | None = None) -> dict:
        """:returns: ``{"documents": chunks}`` best first, each with its BM25 ``score``."""
        docs = self.document_store.bm25_retrieval(
            query,
            filters=filters if filters is not None else self.filters,
            top_k=top_k or self.top_k,
            fuzziness=self.fuzziness,
            highlight=self.highlight,
        )
        return {"documents": docs}
