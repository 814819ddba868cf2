"""The UI's one link to ``kavosh.service``: a per-process service, the question-or-keywords rule, queries and uploads.

The page (``ui/app.py``) renders what these functions return and holds no retrieval logic. The service (store,
pipelines, models) is built once per process by ``st.cache_resource`` and shared by all browser sessions, so only
the first query pays for loading models.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import tempfile
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import streamlit as st

from kavosh.service.settings import Settings
from kavosh.text.lexicon import ENGLISH_QUESTION_WORDS, PERSIAN_QUESTION_WORDS
from kavosh.text.scripts import fold_typed_letters

logger = logging.getLogger(__name__)

_RESULT_CACHE_SIZE = 64

# ---------------------------------------------------------------------------------------------------------------
# Question or keywords
# ---------------------------------------------------------------------------------------------------------------

QUESTION_MARKS = ("?", "؟")
MIN_QUESTION_WORDS = 4

_WORD = re.compile(r"[\w\u200c]+")


class QueryKind(Enum):
    """What the page does with the text in the box."""

    AUTO = "auto"
    ASK = "ask"
    SEARCH = "search"

    def __str__(self) -> str:
        return self.value

    @staticmethod
    def from_str(value: str) -> QueryKind:
        """:raises ValueError: naming the valid kinds."""
        for kind in QueryKind:
            if kind.value == value:
                return kind
        raise ValueError(f"unknown query kind {value!r}; choose one of: {', '.join(k.value for k in QueryKind)}")


def query_kind(text: str, override: QueryKind | str = QueryKind.AUTO) -> QueryKind:
    """Ask (answers first, then passages) or search (ranked passages) for the text in the box.

    A question ends with ``?``/``؟``, starts with an English or Persian question word, or has at least
    four words; anything shorter is keywords. ``override`` (ask/search) wins over the rule.

    :returns: ``QueryKind.ASK`` or ``QueryKind.SEARCH``, never ``AUTO``.
    """
    kind = QueryKind.from_str(override) if isinstance(override, str) else override
    if kind is not QueryKind.AUTO:
        return kind
    text = fold_typed_letters(unicodedata.normalize("NFC", text or "")).strip()
    if text.endswith(QUESTION_MARKS):
        return QueryKind.ASK
    words = [w.strip("\u200c") for w in _WORD.findall(text.lower())]
    words = [w for w in words if w]
    if not words:
        return QueryKind.SEARCH
    if words[0] in ENGLISH_QUESTION_WORDS or words[0] in PERSIAN_QUESTION_WORDS:
        return QueryKind.ASK
    return QueryKind.ASK if len(words) >= MIN_QUESTION_WORDS else QueryKind.SEARCH


# ---------------------------------------------------------------------------------------------------------------
# Settings and the per-process service
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreStatus:
    """Whether the store can answer: ``ok`` with its stats, else a one-line ``message`` for the page."""

    ok: bool
    message: str = ""
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.ok and not self.stats.get("articles")


class ServiceHandle:
    """One ``kavosh.service.service.Kavosh`` for this process, opened on first use.

    Opening is lazy so a missing store gives a message (and an upload can create it) instead of an error page.
    Queries, indexing and the warm-up take turns (one work lock); statistics and articles come straight from the
    store, which is thread-safe, so the page renders while models load.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self._service: Any = None
        self._open_lock = threading.Lock()
        self._work_lock = threading.RLock()
        self._cache_lock = threading.Lock()
        self._results: OrderedDict[Any, Any] = OrderedDict()
        self._warming = False

    @property
    def where(self) -> str:
        return self.settings.es_url or self.settings.store

    def service(self, create: bool = False) -> Any:
        """The service; ``create`` makes a missing embedded store.

        :raises kavosh.store.embedded.document_store.StoreError: the store is missing (and ``create`` is false).
        """
        with self._open_lock:
            if self._service is None:
                from kavosh.service.service import Kavosh

                self._service = Kavosh.from_settings(self.settings, reader=self.settings.reader, create=create)
            return self._service

    def status(self) -> StoreStatus:
        """Store statistics, or why there are none (missing store, unreachable Elasticsearch)."""
        from kavosh.store.base import StoreError

        try:
            return StoreStatus(ok=True, stats=self.service().stats())
        except StoreError as exc:
            logger.info("store not available: %s", exc)
            if not self.settings.es_url and not Path(self.settings.store).exists():
                return StoreStatus(
                    ok=False,
                    message=f"No store at {self.settings.store}. Upload articles in the sidebar, or run "
                    f"`kavosh index PATH --store {self.settings.store}`.",
                )
            return StoreStatus(ok=False, message=f"Cannot open the store at {self.where}: {exc}")
        except Exception as exc:  # an unreachable cluster, a broken store: one line on the page, details in the log
            logger.warning("cannot open the store at %s", self.where, exc_info=True)
            return StoreStatus(ok=False, message=f"Cannot open the store at {self.where}: {exc}")

    def warm_up_in_background(self) -> None:
        """Load the models in a thread (once) so the first query does not wait for all of them."""
        with self._open_lock:
            if self._warming or not self.settings.warm_up:
                return
            self._warming = True
        threading.Thread(target=self._warm_up, name="kavosh-warm-up", daemon=True).start()

    def _warm_up(self) -> None:
        started = time.perf_counter()
        try:
            with self._work_lock:
                service = self.service()
                if service.stats().get("articles"):
                    service.ask("warm up", k=1)
            logger.info("models loaded in %.1f s", time.perf_counter() - started)
        except Exception:
            logger.warning("warm-up failed; the first query will load the models", exc_info=True)

    def cached(self, key: Any, compute: Callable[[Any], Any]) -> tuple[Any, bool]:
        """``compute(service)`` under the work lock, remembered in a small cache emptied when the store changes.

        :returns: ``(value, True)`` for a value from the cache, ``(value, False)`` for a fresh one.
        """
        with self._cache_lock:
            if key in self._results:
                self._results.move_to_end(key)
                return self._results[key], True
        with self._work_lock:
            value = compute(self.service())
        with self._cache_lock:
            self._results[key] = value
            while len(self._results) > _RESULT_CACHE_SIZE:
                self._results.popitem(last=False)
        return value, False

    def article(self, doc_id: str) -> Any:
        """The stored article (``StoredArticle``). :raises KeyError: if it is not in the store."""
        return self.service().show(doc_id)

    def index(self, paths: Sequence[Path], on_progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        """Index files (creating the store if missing); :returns: ``IndexSummary.to_dict()``."""
        try:
            with self._work_lock:
                return self.service(create=True).index(paths, on_progress=on_progress).to_dict()
        finally:
            with self._cache_lock:
                self._results.clear()


@st.cache_resource(show_spinner=False)
def get_handle(settings: Settings) -> ServiceHandle:
    """The process-wide handle for these settings (one store, one set of models)."""
    return ServiceHandle(settings)


# ---------------------------------------------------------------------------------------------------------------
# Queries and articles
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryRequest:
    """One query from the page; its fields are the cache key of the result."""

    text: str
    kind: str = "auto"
    mode: str = "hybrid"
    k: int = 5
    lang: str | None = None
    source: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    include_undated: bool = False


@dataclass(frozen=True)
class QueryOutcome:
    """What the page shows: an ``AskResult`` (ask) or a ``SearchResult`` (search), or a one-line error.

    ``seconds`` is the service's time when the result was computed; ``cached`` says it came from the cache now.
    """

    request: QueryRequest
    kind: QueryKind
    ask: Any = None
    search: Any = None
    error: str = ""
    seconds: float = 0.0
    cached: bool = False


def run_query(handle: ServiceHandle, request: QueryRequest) -> QueryOutcome:
    """Ask or search, per :func:`query_kind` and the request's override; bad input becomes ``error``."""
    from kavosh.store.base import StoreError

    kind = query_kind(request.text, request.kind)
    filters = {
        "lang": request.lang,
        "source": request.source,
        "date_from": request.date_from,
        "date_to": request.date_to,
        "include_undated": request.include_undated,
        "per_article": True,
    }

    def compute(service: Any) -> QueryOutcome:
        started = time.perf_counter()
        if kind is QueryKind.ASK:
            result = service.ask(request.text, k=request.k, mode=request.mode, **filters)
            return QueryOutcome(request, kind, ask=result, seconds=time.perf_counter() - started)
        result = service.search(request.text, mode=request.mode, k=request.k, **filters)
        return QueryOutcome(request, kind, search=result, seconds=time.perf_counter() - started)

    try:
        outcome, hit = handle.cached((kind, request), compute)
        return dataclasses.replace(outcome, cached=True) if hit else outcome
    except (ValueError, KeyError, StoreError) as exc:
        logger.info("query failed: %s", exc, exc_info=True)
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        return QueryOutcome(request, kind, error=message)


def load_article(handle: ServiceHandle, doc_id: str) -> Any:
    """The stored article (``StoredArticle``: full text and metadata).

    :raises KeyError: if it is no longer in the store.
    """
    return handle.article(doc_id)


def stats_options(stats: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Languages and sources the store holds, for the filter menus."""
    return sorted(stats.get("languages") or {}), list(stats.get("sources") or {})


# ---------------------------------------------------------------------------------------------------------------
# Uploads
# ---------------------------------------------------------------------------------------------------------------

_UNSAFE_NAME_CHARS = re.compile(r"[^\w.\- \u200c]+")


def safe_filename(name: str) -> str:
    """A file name that is safe to write in a folder: no directories, no control or shell characters."""
    base = Path((name or "").replace("\\", "/")).name
    base = _UNSAFE_NAME_CHARS.sub("_", unicodedata.normalize("NFC", base)).strip(" .")
    if not base:
        return "upload"
    stem, dot, ext = base.rpartition(".")
    if dot and len(base) > 120:
        base = stem[: 119 - len(ext)] + "." + ext
    return base[:120]


@dataclass(frozen=True)
class UploadReport:
    """The end summary of an upload, with file names as the user gave them."""

    summary: dict[str, Any] = field(default_factory=dict)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    error: str = ""


def index_uploads(
    handle: ServiceHandle,
    files: Sequence[tuple[str, bytes]],
    on_progress: Callable[[int, int], None] | None = None,
) -> UploadReport:
    """Write uploaded files to a temporary folder and index them (the same formats as ``kavosh index``).

    Files over the size limit are refused before anything is written. The store is created if missing.

    :param files: ``(file name as uploaded, content)`` pairs.
    :param on_progress: called with ``(chunks committed, chunks in all)``, the total estimated until the last
        commit (the page's progress bar).
    :returns: the summary (``IndexSummary.to_dict()``, paths shown as the uploaded names), refused files, or an
        error line if indexing could not run.
    """
    from kavosh.store.base import StoreError

    limit = handle.settings.upload_max_bytes
    rejected: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="kavosh-upload-") as tmp:
        folder = Path(tmp).resolve()
        shown: dict[str, str] = {}
        written: list[Path] = []
        for name, data in files:
            if len(data) > limit:
                size = f"{len(data) / 2**20:.1f} MB > {handle.settings.upload_max_mb} MB"
                rejected.append((name, f"file too large ({size})"))
                continue
            safe = Path(safe_filename(name))
            target, n = folder / safe, 2
            while target.exists():  # two uploads with one name: keep both
                target, n = folder / f"{safe.stem}-{n}{safe.suffix}", n + 1
            target.write_bytes(data)
            shown[str(target)] = name
            written.append(target)
        if not written:
            return UploadReport(summary={"indexed": 0, "unchanged": 0, "skipped": []}, rejected=rejected)
        try:
            summary = handle.index(written, on_progress=on_progress)
        except (StoreError, ValueError, OSError) as exc:
            logger.warning("upload indexing failed", exc_info=True)
            return UploadReport(rejected=rejected, error=f"Indexing failed: {exc}")
    for item in summary.get("skipped", []):
        item["path"] = _shown_path(item["path"], shown, folder)
    return UploadReport(summary=summary, rejected=rejected)


def _shown_path(path: str, shown: dict[str, str], folder: Path) -> str:
    """A skipped item's path as the user knows it (the uploaded name, not the temporary file)."""
    for written, name in shown.items():
        if path == written or path.startswith(written + ":"):
            return name + path[len(written) :]
    prefix = str(folder) + os.sep
    return path[len(prefix) :] if path.startswith(prefix) else path
