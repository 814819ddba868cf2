"""Walking files and folders, and reading one file in whatever format it is."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from enum import Enum
from pathlib import Path

from kavosh.indexer.loaders.encoding import SNIFF_BYTES, decode_bytes, looks_like_text
from kavosh.indexer.loaders.formats import _load_csv, _load_json, _load_jsonl, _load_text
from kavosh.indexer.loaders.html import _load_html
from kavosh.indexer.loaders.records import Article, Skipped

logger = logging.getLogger(__name__)


class FileFormat(Enum):
    """How a file is read. Its extension picks one; ``kavosh index --as FORMAT`` forces one for every file."""

    TXT = "txt"
    MD = "md"
    HTML = "html"
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"

    def __str__(self) -> str:
        return self.value

    @staticmethod
    def from_str(value: str) -> FileFormat:
        """A format by name or extension (``txt``, ``text``, ``.md``, ``markdown``, ``htm``, ``ndjson``, ...).

        :raises ValueError: naming the valid formats.
        """
        name = value.strip().lower().removeprefix(".")
        fmt = _FORMAT_BY_EXTENSION.get(f".{name}") or _FORMAT_ALIASES.get(name)
        if fmt is None:
            raise ValueError(f"unknown file format {value!r}; choose one of: {', '.join(f.value for f in FileFormat)}")
        return fmt


_FORMAT_BY_EXTENSION = {
    ".txt": FileFormat.TXT,
    ".md": FileFormat.MD,
    ".markdown": FileFormat.MD,
    ".html": FileFormat.HTML,
    ".htm": FileFormat.HTML,
    ".json": FileFormat.JSON,
    ".jsonl": FileFormat.JSONL,
    ".ndjson": FileFormat.JSONL,
    ".csv": FileFormat.CSV,
}
_FORMAT_ALIASES = {"text": FileFormat.TXT, "plain": FileFormat.TXT}
SUPPORTED_EXTENSIONS = set(_FORMAT_BY_EXTENSION)
DEFAULT_MAX_BYTES = 50 * 2**20

# Files of other extensions are read as plain text when their first bytes are text (``looks_like_text``), except
# these: documents, images, audio, video, archives, programs and data blobs that are never plain text. They are
# left out of folders without being opened, and skipped as unsupported when named, unless ``--as`` forces a format.
_NON_TEXT_EXTENSIONS = frozenset(
    ".pdf .doc .docx .xls .xlsx .ppt .pptx .odt .ods .odp .epub .rtf .png .jpg .jpeg .gif .bmp .tif .tiff .webp .ico "
    ".heic .psd .svgz .mp3 .wav .ogg .flac .m4a .aac .mp4 .m4v .mkv .avi .mov .webm .wmv .zip .gz .tgz .bz2 .xz .zst "
    ".7z .rar .tar .jar .whl .exe .dll .so .dylib .o .a .class .pyc .pyo .wasm .sqlite .sqlite3 .db .parquet "
    ".npy .npz .pkl .pickle .onnx .pt .pth .safetensors .h5 .arrow .feather .ttf .otf .woff .woff2".split()
)

# A folder's licence and read-me files (examples/NOTICE, LICENSE, README) are not articles: inside folders, one of these
# names without a known article extension is left out. Named on the command line, it is read like any other file.
_PROJECT_FILES = frozenset(
    {"readme", "license", "licence", "notice", "copying", "authors", "changelog", "contributing"}
)


def _is_project_file(name: str) -> bool:
    path = Path(name)
    return path.suffix.lower() not in _FORMAT_BY_EXTENSION and path.stem.lower() in _PROJECT_FILES


_LOADERS: dict[FileFormat, Callable[[str, str, str, str], Iterator[Article | Skipped]]] = {
    FileFormat.TXT: _load_text,
    FileFormat.MD: _load_text,
    FileFormat.HTML: _load_html,
    FileFormat.JSON: _load_json,
    FileFormat.JSONL: _load_jsonl,
    FileFormat.CSV: _load_csv,
}
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


def _as_file_format(value: FileFormat | str | None) -> FileFormat | None:
    return FileFormat.from_str(value) if isinstance(value, str) else value


def iter_files(paths: Iterable[str | Path], as_format: FileFormat | str | None = None) -> Iterator[Path | Skipped]:
    """Expand files and folders into the files to load.

    Folders are walked recursively in sorted order (by path components). Inside folders hidden files and folders
    (name starting with ``.``) and files whose extension says they are never text (PDF, images, archives, ...)
    are left out; every other file is taken, and :func:`load_file` reads one of unknown extension as plain text
    if its first bytes are text. A path given explicitly is taken as is, but one that does not exist, or whose
    extension says it is never text while ``as_format`` is not given, is skipped. Each file is yielded once even
    if named twice.

    :param paths: files and folders, as given by the user.
    :param as_format: the format every file will be read as (``kavosh index --as``); a named file is then taken
        whatever its extension.
    :returns: an iterator of resolved file paths and :class:`Skipped` entries.
    :raises ValueError: for an unknown ``as_format``, naming the valid ones.
    """
    forced = _as_file_format(as_format)
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
        if forced is None and resolved.suffix.lower() in _NON_TEXT_EXTENSIONS:
            yield Skipped(str(resolved), f"unsupported file type ({resolved.suffix})")
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
            if name.startswith(".") or Path(name).suffix.lower() in _NON_TEXT_EXTENSIONS or _is_project_file(name):
                continue
            file = Path(dirpath, name)
            if file.is_file():
                files.append(file)
    yield from problems
    # Sort by path components so that a folder's files and subfolders interleave by name, the same on every run.
    yield from sorted(files, key=lambda f: f.relative_to(folder).parts)


def load_file(
    path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES, as_format: FileFormat | str | None = None
) -> Iterator[Article | Skipped]:
    """Yield the articles of one file.

    A bad file yields exactly one :class:`Skipped`. A multi-record file (JSON array, JSONL, CSV) yields its good
    articles plus one :class:`Skipped` per bad record, naming the line, record or row (a CSV's header is row 1);
    if no record is good, a single :class:`Skipped` summarises the file. Never raises for bad input.

    A file of unknown extension is read as plain text (title = first line) when its first :data:`SNIFF_BYTES`
    are text (:func:`~kavosh.indexer.loaders.encoding.looks_like_text`), and skipped as ``binary file (.ext)``
    otherwise, without reading the rest.

    :param path: the file; its extension picks the format unless ``as_format`` is given.
    :param max_bytes: larger files are skipped without being read.
    :param as_format: read the file in this format whatever its extension (``kavosh index --as``).
    :returns: an iterator of :class:`Article` and :class:`Skipped`.
    :raises ValueError: for an unknown ``as_format``, naming the valid ones.
    """
    fmt = _as_file_format(as_format)
    p = Path(path).expanduser()
    try:
        p = p.resolve()
    except (OSError, RuntimeError):
        pass
    name = str(p)
    suffix = p.suffix.lower()
    fmt = fmt or _FORMAT_BY_EXTENSION.get(suffix)
    if fmt is None and suffix in _NON_TEXT_EXTENSIONS:
        yield Skipped(name, f"unsupported file type ({p.suffix})")
        return
    sniffed = fmt is None  # unknown extension: plain text if it looks like text
    binary = f"binary file ({p.suffix or 'no extension'})"
    try:
        size = p.stat().st_size
        if size > max_bytes:
            yield Skipped(name, f"file too large ({_size(size)} > {_size(max_bytes)})")
            return
        with p.open("rb") as f:
            data = f.read(min(SNIFF_BYTES, max_bytes + 1) if sniffed else max_bytes + 1)
            if sniffed and data.strip() and not looks_like_text(data, truncated=len(data) == SNIFF_BYTES):
                yield Skipped(name, binary)
                return
            if sniffed:
                data += f.read(max_bytes + 1 - len(data))
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
    fmt = fmt or FileFormat.TXT
    declared = None
    if fmt is FileFormat.HTML:
        m = _HTML_CHARSET.search(data[:4096])
        declared = m.group(1).decode("ascii") if m else None
    try:
        text, encoding = decode_bytes(data, declared=declared)
    except ValueError as exc:
        logger.debug("%s: %s", name, exc)
        yield Skipped(name, binary if sniffed and str(exc) == "binary file" else str(exc))
        return
    if not text.strip(_INVISIBLE):
        yield Skipped(name, "empty file")
        return
    produced = 0
    try:
        for item in _LOADERS[fmt](text, name, fmt.value, encoding):
            produced += 1
            yield item
    except Exception as exc:  # noqa: BLE001 - a loader bug must not stop a batch; details go to the log
        logger.debug("failed to load %s", name, exc_info=True)
        detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        where = "stopped after the first records: " if produced else ""
        yield Skipped(name, f"{where}cannot load file ({detail})")


def load_paths(
    paths: Iterable[str | Path], max_bytes: int = DEFAULT_MAX_BYTES, as_format: FileFormat | str | None = None
) -> Iterator[Article | Skipped]:
    """Load every article under ``paths`` (files and folders), in the order of :func:`iter_files`.

    :param paths: files and folders, as given by the user.
    :param max_bytes: larger files are skipped without being read.
    :param as_format: read every file in this format whatever its extension.
    :returns: an iterator of :class:`Article` and :class:`Skipped`.
    """
    for item in iter_files(paths, as_format=as_format):
        if isinstance(item, Skipped):
            yield item
        else:
            yield from load_file(item, max_bytes=max_bytes, as_format=as_format)
