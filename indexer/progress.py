"""Progress of an indexing run, counted in chunks: an estimate of the total, a tqdm bar or plain lines."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from tqdm import tqdm

# Before anything is read there is nothing to measure, so the estimate starts from one chunk per this many bytes of
# file: the five seed articles (short news in plain text, English and Persian) give 1 per 363 bytes (38 chunks from
# 13.8 kB), longer articles fill their chunks better.
PRIOR_BYTES_PER_CHUNK = 400
PROGRESS_SECONDS = 5.0


@dataclass(frozen=True)
class IndexProgress:
    """Where an indexing run stands.

    :param chunks: chunks committed (searchable).
    :param total: the chunks the whole run will commit: an estimate (`ChunkEstimate`) until ``finished``, then exact.
    :param articles: articles committed.
    :param seconds: since the run started.
    :param finished: every batch is committed.
    :param embedding: ``(embedded, of)`` chunks of the batch being embedded, when it is embedded in several steps.
    """

    chunks: int
    total: int
    articles: int
    seconds: float
    finished: bool = False
    embedding: tuple[int, int] | None = None

    @property
    def work(self) -> int:
        """Chunks committed, plus those of the batch being embedded that are embedded already."""
        return self.chunks + (self.embedding[0] if self.embedding else 0)

    @property
    def rate(self) -> float:
        """Chunks per second since the start (committed or embedded)."""
        return self.work / self.seconds if self.seconds > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the rate so far; ``None`` before anything is embedded."""
        if self.finished:
            return 0.0
        return max(self.total - self.work, 0) / self.rate if self.rate > 0 else None

    def line(self) -> str:
        """One plain line, e.g. ``indexed 120/~900 chunks, 35 articles, 18.2 chunks/s, ETA 0:43``."""
        approx = "" if self.finished else "~"
        line = f"indexed {self.chunks}/{approx}{self.total} chunks, {self.articles} articles, {self.rate:.1f} chunks/s"
        if self.finished:
            return f"{line}, took {_clock(self.seconds)}"
        eta = self.eta
        line += f", ETA {_clock(eta) if eta is not None else '?'}"
        if self.embedding:
            line += f" (embedding the next batch: {self.embedding[0]}/{self.embedding[1]} chunks)"
        return line


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ChunkEstimate:
    """The chunks a run will commit, estimated from the chunks found per byte read so far.

    Chunks are known only once articles are checked against the store and chunked, so the estimate is: the chunks
    found so far, plus the bytes whose chunks are not known yet (files not read, articles read but not chunked) times
    the chunks found per byte so far. Bytes read are the sizes of the files finished plus the UTF-8 bytes of the
    articles read from the file being read (a news file is mostly its text, so the part of a file not read yet is
    slightly overestimated). Articles already stored count as bytes with no chunks, so re-indexing an unchanged folder
    soon estimates little work; skipped files and articles count as no bytes at all (a huge degenerate file says
    nothing about the others). Before anything is chunked the guess is one chunk per ``PRIOR_BYTES_PER_CHUNK`` bytes.
    The estimate is exact once every file is read and chunked.
    """

    def __init__(self, total_bytes: int) -> None:
        self.total_bytes = total_bytes
        self.chunks = 0
        self.done_bytes = 0  # files finished
        self.current_bytes = 0  # articles read from the file being read
        self.current_skipped = 0  # articles skipped in the file being read
        self.pending_bytes = 0  # articles read, not chunked yet

    def read(self, text_bytes: int) -> None:
        """An article was read from the file being read (``text_bytes``: UTF-8 bytes of its text)."""
        self.current_bytes += text_bytes
        self.pending_bytes += text_bytes

    def skipped(self, text_bytes: int) -> None:
        """An article of the file being read was skipped: its bytes are no work."""
        self.current_skipped += text_bytes
        self.total_bytes -= text_bytes

    def chunked(self, chunks: int, text_bytes: int) -> None:
        """Articles read earlier were checked and chunked: ``chunks`` new chunks from ``text_bytes`` bytes of text."""
        self.chunks += chunks
        self.pending_bytes = max(self.pending_bytes - text_bytes, 0)

    def file_done(self, size: int, read: bool = True) -> None:
        """The file being read is finished.

        :param size: its size in bytes.
        :param read: whether any article was read from it; if not, it was skipped and is no work.
        """
        rest = max(size - self.current_skipped, 0)
        if read:
            self.done_bytes += rest
        else:
            self.total_bytes -= rest
        self.current_bytes = self.current_skipped = 0

    @property
    def total(self) -> int:
        seen = self.done_bytes + self.current_bytes
        unknown = max(self.total_bytes - seen, 0) + self.pending_bytes
        known = seen - self.pending_bytes
        per_byte = self.chunks / known if known > 0 else 1 / PRIOR_BYTES_PER_CHUNK
        return self.chunks + math.ceil(unknown * per_byte)


class ProgressDisplay:
    """Shows `IndexProgress`: a tqdm bar on a terminal, else a plain line every ``every`` seconds and at the end.

    :param show: show anything at all (``--no-progress`` turns it off).
    :param stream: where; default ``sys.stderr``.
    :param every: seconds between plain lines.
    :param on_progress: called with ``(chunks committed, total)`` whenever either changes (the web UI's bar).
    """

    def __init__(
        self,
        show: bool,
        stream: TextIO | None = None,
        every: float = PROGRESS_SECONDS,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        stream = stream if stream is not None else sys.stderr
        self.file = stream
        tty = show and hasattr(stream, "isatty") and stream.isatty()
        self.tty = tty
        self.bar: tqdm | None = None  # made on the first update, when there is a total to show
        self.stream = stream if show and not tty else None
        self.every = every
        self.on_progress = on_progress
        self._last_line = time.perf_counter()
        self._last: tuple[int, int] | None = None

    def update(self, progress: IndexProgress) -> None:
        if self.tty and self.bar is None:
            self.bar = tqdm(total=progress.total, unit="chunk", desc="indexing", file=self.file, dynamic_ncols=True)
        if self.bar is not None:
            postfix: dict[str, object] = {"articles": progress.articles}
            if progress.embedding:
                postfix["embedding"] = f"{progress.embedding[0]}/{progress.embedding[1]}"
            self.bar.set_postfix(postfix, refresh=False)
            self.bar.total = progress.total
            self.bar.update(progress.chunks - self.bar.n)
        if self.stream is not None:
            now = time.perf_counter()
            if progress.finished or now - self._last_line >= self.every:
                self._last_line = now
                self.stream.write(progress.line() + "\n")
                self.stream.flush()
        if self.on_progress is not None and self._last != (progress.chunks, progress.total):
            self._last = (progress.chunks, progress.total)
            self.on_progress(progress.chunks, progress.total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
