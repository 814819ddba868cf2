"""Turn user files and folders into article records.

Supported formats: plain text, Markdown, HTML, JSON (one object, an array, or ``{"articles": [...]}``), JSON Lines
and CSV, picked by extension or forced (:class:`FileFormat`); a file of any other extension is read as plain text
when its first bytes are text (:func:`~kavosh.indexer.loaders.encoding.looks_like_text`). Every problem with a file
becomes a :class:`Skipped` with a one-line, user-facing reason; details go to the log at DEBUG level. Nothing in this
package raises for a bad file.

Why our own code rather than Haystack's converters: the stock converters neither detect legacy Persian encodings
(Windows-1256), nor keep a text file's characters unchanged (answers cite character offsets into it), nor read
news metadata (source, date, Jalali dates) from JSON/CSV records.

One module per concern: :mod:`.encoding` (bytes to text), :mod:`.records` (the ``Article`` record and the mapping of
record fields), :mod:`.formats` (text, Markdown, JSON, JSONL, CSV), :mod:`.html` (main-text extraction) and
:mod:`.files` (walking folders, reading one file). Dates are parsed by :mod:`kavosh.text.dates`.
"""

from kavosh.indexer.loaders.encoding import decode_bytes
from kavosh.indexer.loaders.files import (
    DEFAULT_MAX_BYTES,
    SUPPORTED_EXTENSIONS,
    FileFormat,
    iter_files,
    load_file,
    load_paths,
)
from kavosh.indexer.loaders.records import MAX_TITLE_CHARS, Article, Skipped, normalize_lang
from kavosh.text.dates import jalali_to_gregorian, parse_date

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_TITLE_CHARS",
    "SUPPORTED_EXTENSIONS",
    "Article",
    "FileFormat",
    "Skipped",
    "decode_bytes",
    "iter_files",
    "jalali_to_gregorian",
    "load_file",
    "load_paths",
    "normalize_lang",
    "parse_date",
]
