"""Plain text, Markdown, JSON, JSON Lines and CSV files to articles."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import sys
from collections.abc import Iterator
from typing import Any

from kavosh.indexer.loaders.records import (
    _DATE_FIELDS,
    _LANG_FIELDS,
    _LIST_KEYS,
    _SOURCE_FIELDS,
    _SUMMARY_FIELDS,
    _TEXT_FIELDS,
    _URL_FIELDS,
    Article,
    Skipped,
    _article_from_record,
    _clip_title,
    _first,
    _host,
    _lower_keys,
    _record_text,
    _RecordCollector,
    normalize_lang,
)
from kavosh.text.dates import parse_date
from kavosh.text.scripts import detect_language

logger = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------------------------------
# Format loaders
# ---------------------------------------------------------------------------------------------------------------


def _first_line_title(text: str, markdown: bool) -> str:
    first = ""
    for line in text.splitlines():
        if line.strip():
            first = line
            break
    if markdown:
        for line in text.splitlines():
            if re.match(r" {0,3}#{1,6}(\s|$)", line):
                first = line
                break
        first = re.sub(r"^\s*#{1,6}\s*|\s+#+\s*$", "", first)
    return _clip_title(" ".join(first.split()))


_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)


def _front_matter(text: str) -> dict[str, str]:
    m = _FRONT_MATTER.match(text)
    if not m:
        return {}
    fields = {}
    for line in m.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and not key.startswith((" ", "\t")):
            fields[key.strip().lower()] = value.strip().strip("\"'")
    return fields


def _load_text(text: str, path: str, fmt: str, encoding: str) -> Iterator[Article | Skipped]:
    meta = _front_matter(text) if fmt == "md" else {}
    if meta.get("title"):
        title = _clip_title(meta["title"])
    else:
        title = _first_line_title(_FRONT_MATTER.sub("", text) if meta else text, fmt == "md")
    url = _first(meta, _URL_FIELDS) or ""
    date_value = _first(meta, _DATE_FIELDS)
    yield Article(
        text=text,
        title=title,
        path=path,
        key=path,
        source=_first(meta, _SOURCE_FIELDS) or _host(url),
        url=url,
        published=parse_date(date_value) if date_value else "",
        lang=normalize_lang(_first(meta, _LANG_FIELDS)) or detect_language(text),
        format=fmt,
        encoding=encoding,
    )


def _load_json(text: str, path: str, fmt: str, encoding: str, fallback: bool = True) -> Iterator[Article | Skipped]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        if fallback and exc.msg == "Extra data":  # one object per line in a .json file
            logger.debug("%s: not a single JSON document, reading it as JSON Lines", path)
            yield from _load_jsonl(text, path, fmt, encoding, fallback=False)
            return
        logger.debug("%s: malformed JSON", path, exc_info=True)
        yield Skipped(path, f"malformed JSON (line {exc.lineno}: {exc.msg})")
        return
    records: list[Any] | None = None
    if isinstance(doc, list):
        records = doc
    elif isinstance(doc, dict):
        rec = _lower_keys(doc)
        if not _record_text(rec):
            records = next((rec[k] for k in _LIST_KEYS if isinstance(rec.get(k), list)), None)
            if records is None:
                yield Skipped(path, "no text field")
                return
        else:
            yield _article_from_record(doc, path, path, fmt, encoding)  # type: ignore[misc]
            return
    else:
        yield Skipped(path, "JSON holds neither an object nor an array of objects")
        return
    collector = _RecordCollector(path, fmt, encoding)
    for n, record in enumerate(records, start=1):
        yield from collector.add(record, n, f"record {n}")
    yield from collector.finish()


def _load_jsonl(text: str, path: str, fmt: str, encoding: str, fallback: bool = True) -> Iterator[Article | Skipped]:
    collector = _RecordCollector(path, fmt, encoding)
    lines = text.splitlines()
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            if fallback and n == 1 and line.strip() in ("[", "{"):
                # A pretty-printed JSON document saved as .jsonl.
                logger.debug("%s: first line is not a JSON value, reading the file as one JSON document", path)
                yield from _load_json(text, path, fmt, encoding, fallback=False)
                return
            logger.debug("%s line %d: %s", path, n, exc)
            yield from collector.skip(f"line {n}", "malformed JSON")
            continue
        yield from collector.add(record, n, f"line {n}")
    yield from collector.finish()


_CSV_DELIMITERS = (",", ";", "\t", "|")


def _load_csv(text: str, path: str, fmt: str, encoding: str) -> Iterator[Article | Skipped]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # news bodies can exceed the 128 KiB default
    sample = text[:65536]
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(_CSV_DELIMITERS)).delimiter
    except csv.Error:
        sniffed = ","
    header: list[str] = []
    delimiter = sniffed
    # The sniffer can be fooled by commas inside long text fields; the delimiter that yields a known text column
    # in the header is the one that matters.
    for candidate in (sniffed, *_CSV_DELIMITERS):
        first_row = next(csv.reader(io.StringIO(sample, newline=""), delimiter=candidate), [])
        names = [h.strip().lower() for h in first_row]
        if any(f in names for f in (*_TEXT_FIELDS, *_SUMMARY_FIELDS)):
            header, delimiter = names, candidate
            break
    if not header:
        first_row = next(csv.reader(io.StringIO(sample, newline=""), delimiter=sniffed), [])
        shown = ", ".join(h.strip() for h in first_row[:8])[:120]
        yield Skipped(path, f"no text column in the CSV header (found: {shown})")
        return
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    next(reader)
    collector = _RecordCollector(path, fmt, encoding)
    try:
        # Row numbers as a spreadsheet shows them: the header is row 1.
        for n, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            record = dict(zip(header, row, strict=False))
            yield from collector.add(record, n, f"row {n}")
    except csv.Error as exc:
        logger.debug("%s: CSV error near line %d: %s", path, reader.line_num, exc)
        yield from collector.skip(f"line {reader.line_num}", f"malformed CSV ({exc})")
    yield from collector.finish()
