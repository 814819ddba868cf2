"""Walking files and folders, and reading one file in whatever format it is."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from kavosh.indexer.loaders.encoding import decode_bytes
from kavosh.indexer.loaders.formats import _load_csv, _load_json, _load_jsonl, _load_text
from kavosh.indexer.loaders.html import _load_html
from kavosh.indexer.loaders.records import Article, Skipped

logger = logging.getLogger(__name__)

SUPPORTED_EXTENSIONS = {".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".ndjson", ".csv"}
DEFAULT_MAX_BYTES = 50 * 2**20

_FORMAT_BY_EXTENSION = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
}


_LOADERS = {"txt": _load_text, "md": _load_text, "html": _load_html, "json": _load_json, "jsonl": _load_jsonl,
            "csv": _load_csv}  # fmt: skip
# Whitespace plus the invisible characters an editor leaves in an "empty" file (a doubled BOM, zero-width spaces).
_INVISIBLE = " \t\n\r\f\v\u00a0\ufeff\u200b\u200c\u200d\u2028\u2029"
_HTML_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)


# ---------------------------------------------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------------------------------------------


def _size(n: int) -> str:
    if n >= 2**20:
        mb = n / 2**20
        return f"{mb:.0f} MB" if mb >= 10 else f"{mb:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path | Skipped]:
    """Expand files and folders into the files to load.

    Folders are walked recursively in sorted order (by path components); inside folders only files with a supported
    extension are taken and hidden files and folders (name starting with ``.``) are left out. A path given
    explicitly is taken as is, but one that does not exist or has an unsupported extension is skipped. Each file
    is yielded once even if named twice.

    :param paths: files and folders, as given by the user.
    :returns: an iterator of resolved file paths and :class:`Skipped` entries.
    """
    seen: set[Path] = set()
    for given in paths:
        p = Path(given).expanduser()
        try:
            resolved = p.resolve()
        except (OSError, RuntimeError) as exc:
            yield Skipped(str(p), f"cannot resolve path ({exc})")
            continue
        if not resolved.exists():
            yield Skipped(str(resolved), "no such file or directory")
            continue
        if resolved.is_dir():
            found = 0
            for file in _walk(resolved):
                if isinstance(file, Skipped):
                    yield file
                elif file not in seen:
                    seen.add(file)
                    found += 1
                    yield file
            if not found:
                yield Skipped(str(resolved), "no supported files in folder")
            continue
        if not resolved.is_file():
            yield Skipped(str(resolved), "not a regular file")
            continue
        if resolved.suffix.lower() not in SUPPORTED_EXTENSIONS:
            shown = resolved.suffix or "no extension"
            yield Skipped(str(resolved), f"unsupported file type ({shown})")
            continue
        if resolved not in seen:
            seen.add(resolved)
            yield resolved


def _walk(folder: Path) -> Iterator[Path | Skipped]:
    problems: list[Skipped] = []

    def on_error(exc: OSError) -> None:
        problems.append(Skipped(str(exc.filename or folder), f"cannot read folder ({exc.strerror or exc})"))

    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder, onerror=on_error):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.startswith(".") or Path(name).suffix.lower() not in SUPPORTED_EXTENSIONS:
                continue
            file = Path(dirpath, name)
            if file.is_file():
                files.append(file)
    yield from problems
    # Sort by path components so that a folder's files and subfolders interleave by name, the same on every run.
    yield from sorted(files, key=lambda f: f.relative_to(folder).parts)


def load_file(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Article | Skipped]:
    """Yield the articles of one file.

    A bad file yields exactly one :class:`Skipped`. A multi-record file (JSON array, JSONL, CSV) yields its good
    articles plus one :class:`Skipped` per bad record, naming the line, record or row (a CSV's header is row 1);
    if no record is good, a single :class:`Skipped` summarises the file. Never raises for bad input.

    :param path: the file; its extension picks the format.
    :param max_bytes: larger files are skipped without being read.
    :returns: an iterator of :class:`Article` and :class:`Skipped`.
    """
    p = Path(path).expanduser()
    try:
        p = p.resolve()
    except (OSError, RuntimeError):
        pass
    name = str(p)
    fmt = _FORMAT_BY_EXTENSION.get(p.suffix.lower())
    if fmt is None:
        yield Skipped(name, f"unsupported file type ({p.suffix or 'no extension'})")
        return
    try:
        size = p.stat().st_size
        if size > max_bytes:
            yield Skipped(name, f"file too large ({_size(size)} > {_size(max_bytes)})")
            return
        with p.open("rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as exc:
        logger.debug("cannot read %s", name, exc_info=True)
        yield Skipped(name, f"cannot read file ({exc.strerror or exc})")
        return
    if len(data) > max_bytes:  # grew since stat()
        yield Skipped(name, f"file too large (> {_size(max_bytes)})")
        return
    if not data.strip():
        yield Skipped(name, "empty file")
        return
    declared = None
    if fmt == "html":
        m = _HTML_CHARSET.search(data[:4096])
        declared = m.group(1).decode("ascii") if m else None
    try:
        text, encoding = decode_bytes(data, declared=declared)
    except ValueError as exc:
        logger.debug("%s: %s", name, exc)
        yield Skipped(name, str(exc))
        return
    if not text.strip(_INVISIBLE):
        yield Skipped(name, "empty file")
        return
    produced = 0
    try:
        for item in _LOADERS[fmt](text, name, fmt, encoding):
            produced += 1
            yield item
    except Exception as exc:  # noqa: BLE001 - a loader bug must not stop a batch; details go to the log
        logger.debug("failed to load %s", name, exc_info=True)
        detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        where = "stopped after the first records: " if produced else ""
        yield Skipped(name, f"{where}cannot load file ({detail})")


def load_paths(paths: Iterable[str | Path], max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Article | Skipped]:
    """Load every article under ``paths`` (files and folders), in the order of :func:`iter_files`.

    :param paths: files and folders, as given by the user.
    :param max_bytes: larger files are skipped without being read.
    :returns: an iterator of :class:`Article` and :class:`Skipped`.
    """
    for item in iter_files(paths):
        if isinstance(item, Skipped):
            yield item
        else:
            yield from load_file(item, max_bytes=max_bytes)
