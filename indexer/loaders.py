"""Turn user files and folders into article records.

Supported formats: plain text, Markdown, HTML, JSON (one object, an array, or ``{"articles": [...]}``), JSON Lines
and CSV. Every problem with a file becomes a :class:`Skipped` with a one-line, user-facing reason; details go to the
log at DEBUG level. Nothing in this module raises for a bad file.

Why our own code rather than Haystack's converters: the stock converters neither detect legacy Persian encodings
(Windows-1256), nor keep a text file's characters unchanged (answers cite character offsets into it), nor read
news metadata (source, date, Jalali dates) from JSON/CSV records.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import os
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

SUPPORTED_EXTENSIONS = {".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".ndjson", ".csv"}
DEFAULT_MAX_BYTES = 50 * 2**20
MAX_TITLE_CHARS = 300

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


@dataclass(frozen=True)
class Article:
    """One article read from a user file."""

    text: str
    title: str
    path: str
    key: str
    source: str
    url: str
    published: str
    lang: str
    format: str
    encoding: str


@dataclass(frozen=True)
class Skipped:
    """A file (or one record of a file) that could not be loaded, with a one-line reason."""

    path: str
    reason: str


# ---------------------------------------------------------------------------------------------------------------
# Encodings
# ---------------------------------------------------------------------------------------------------------------

# ASCII control bytes that do not occur in text (everything below 0x20 except \t \n \v \f \r and ESC, plus DEL).
_CONTROL_BYTES = bytes([*range(0, 9), 14, 15, *range(16, 27), 28, 29, 30, 31, 127])
_MAX_CONTROL_SHARE = 0.05
_ARABIC_LETTER = re.compile(r"[\u0621-\u064a\u0671-\u06d3\u06fa-\u06ff\u0750-\u077f]")
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_WORD = re.compile(r"\w+")


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode the bytes of a text file, detecting its encoding.

    Order: byte-order marks (UTF-8, UTF-16, UTF-32), BOM-less UTF-16 (NUL bytes on one side of each code unit),
    strict UTF-8, UTF-8 with a few broken bytes, a declared charset (HTML ``<meta charset>``), and finally a choice
    between Windows-1256 (Persian/Arabic) and Windows-1252/Latin-1 by which decoding gives whole Arabic-script
    words rather than Arabic letters scattered inside Latin words.

    :param data: the raw bytes.
    :param declared: a charset the file declares about itself, used only when the bytes are not UTF-8.
    :returns: ``(text, encoding)``; the BOM is not part of the text.
    :raises ValueError: ``"binary file"`` for NUL bytes or many control bytes, ``"cannot decode text"`` when no
        encoding gives readable text.
    """
    for bom, name, codec in (
        (codecs.BOM_UTF32_LE, "utf-32", "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32", "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig", "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16", "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16", "utf-16"),
    ):
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError as exc:
                logger.debug("BOM says %s but decoding failed: %s", name, exc)
                raise ValueError("cannot decode text") from exc
            _check_readable(text)
            return text, name

    if b"\x00" in data:
        guess = _guess_bomless_utf16(data)
        if guess is not None:
            return guess
        raise ValueError("binary file")

    if _control_share(data) > _MAX_CONTROL_SHARE:
        raise ValueError("binary file")

    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass

    text = data.decode("utf-8", errors="replace")
    broken = text.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    multibyte = sum(1 for ch in text if ord(ch) > 0x7F) - broken
    if multibyte >= 20 * max(broken, 1):
        logger.debug("mostly UTF-8 with %d undecodable byte sequences replaced by U+FFFD", broken)
        return text, "utf-8"

    legacy_text, legacy_name = _decode_single_byte(data)
    if declared:
        declared_name = _codec_name(declared)
        if declared_name and not (legacy_name == "cp1256" and declared_name in ("cp1252", "latin-1")):
            try:
                text = data.decode(declared_name)
            except (UnicodeDecodeError, LookupError):
                logger.debug("declared charset %r does not decode the file", declared)
            else:
                _check_readable(text)
                return text, declared_name
    _check_readable(legacy_text)
    return legacy_text, legacy_name


def _control_share(data: bytes) -> float:
    if not data:
        return 0.0
    return (len(data) - len(data.translate(None, _CONTROL_BYTES))) / len(data)


def _check_readable(text: str) -> None:
    """Raise ``ValueError("cannot decode text")`` when a decoding is mostly control or unassigned characters."""
    if not text:
        return
    sample = text[:100_000]
    bad = sum(1 for ch in sample if unicodedata.category(ch) in ("Cc", "Cn", "Co", "Cs") and not ch.isspace())
    if bad / len(sample) > _MAX_CONTROL_SHARE:
        raise ValueError("cannot decode text")


def _guess_bomless_utf16(data: bytes) -> tuple[str, str] | None:
    """UTF-16 without a BOM: NUL high bytes (ASCII, spaces) all on one side of the code units."""
    if len(data) % 2:
        return None
    units = len(data) // 2
    even_nuls, odd_nuls = data[0::2].count(0), data[1::2].count(0)
    for nuls, others, codec in ((odd_nuls, even_nuls, "utf-16-le"), (even_nuls, odd_nuls, "utf-16-be")):
        if nuls >= max(1, 0.05 * units) and others <= 0.01 * nuls:
            try:
                text = data.decode(codec)
                _check_readable(text)
            except (UnicodeDecodeError, ValueError):
                continue
            if "\x00" in text:
                continue
            return text, codec
    return None


def _decode_single_byte(data: bytes) -> tuple[str, str]:
    """Choose between Windows-1256 and Windows-1252/Latin-1 for bytes that are not UTF-8.

    Persian decoded as Windows-1256 gives words made only of Arabic-script letters; French or German decoded as
    Windows-1256 gives Latin words with a stray Arabic letter (``ä`` is lam in 1256) or unchanged letters (1256
    keeps ``é è à ç``). So count Arabic letters in pure Arabic-script words against those inside Latin words.
    """
    arabic_text = data.decode("cp1256")
    pure = mixed = 0
    for word in _WORD.findall(arabic_text):
        arabic = len(_ARABIC_LETTER.findall(word))
        if not arabic:
            continue
        if _ASCII_LETTER.search(word):
            mixed += arabic
        else:
            pure += arabic
    if pure > 2 * mixed:
        return arabic_text, "cp1256"
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"
    # Bytes 0x80-0x9f are the only ones where cp1252 and latin-1 differ; without them the simpler name is exact.
    if any(0x80 <= b <= 0x9F for b in data):
        return text, "cp1252"
    return text, "latin-1"


def _codec_name(label: str) -> str | None:
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    return {"iso8859-1": "latin-1", "utf-8": "utf-8"}.get(name, name)


# ---------------------------------------------------------------------------------------------------------------
# Dates (Gregorian and Jalali)
# ---------------------------------------------------------------------------------------------------------------

# Borkowski's break years of the Jalali calendar, as in jalaali-js; valid for Jalali years -61 .. 3177.
_JALALI_BREAKS = (-61, 9, 38, 199, 426, 686, 756, 818, 1111, 1181, 1210, 1635, 2060, 2097, 2192, 2262, 2324, 2394,
                  2456, 3178)  # fmt: skip


def _tdiv(a: int, b: int) -> int:
    """Integer division truncating toward zero (as JavaScript's ``~~(a / b)`` in the reference algorithm)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _tmod(a: int, b: int) -> int:
    return a - _tdiv(a, b) * b


def _nowruz(jy: int) -> date:
    """Gregorian date of 1 Farvardin of Jalali year ``jy`` (Borkowski's algorithm, as in jalaali-js ``jalCal``)."""
    if not _JALALI_BREAKS[0] <= jy < _JALALI_BREAKS[-1]:
        raise ValueError(f"Jalali year out of range: {jy}")
    gy = jy + 621
    leap_j = -14
    jp = _JALALI_BREAKS[0]
    for jm in _JALALI_BREAKS[1:]:
        jump = jm - jp
        if jy < jm:
            break
        leap_j += _tdiv(jump, 33) * 8 + _tdiv(_tmod(jump, 33), 4)
        jp = jm
    n = jy - jp
    leap_j += _tdiv(n, 33) * 8 + _tdiv(_tmod(n, 33) + 3, 4)
    if _tmod(jump, 33) == 4 and jump - n == 4:
        leap_j += 1
    leap_g = _tdiv(gy, 4) - _tdiv((_tdiv(gy, 100) + 1) * 3, 4) - 150
    return date(gy, 3, 20 + leap_j - leap_g)


def jalali_to_gregorian(jy: int, jm: int, jd: int) -> date:
    """Convert a Jalali (Solar Hijri, Persian calendar) date to a Gregorian date.

    :param jy: Jalali year, e.g. 1399.
    :param jm: month 1-12 (Farvardin = 1).
    :param jd: day of the month.
    :returns: the Gregorian date (1399/05/01 -> 2020-07-22).
    :raises ValueError: for an invalid Jalali date.
    """
    start = _nowruz(jy)
    if not 1 <= jm <= 12:
        raise ValueError(f"invalid Jalali month: {jm}")
    if jm <= 6:
        month_days = 31
    elif jm <= 11:
        month_days = 30
    else:
        month_days = (_nowruz(jy + 1) - start).days - 336
    if not 1 <= jd <= month_days:
        raise ValueError(f"invalid Jalali day: {jy}/{jm}/{jd}")
    return start + timedelta(days=(jm - 1) * 31 - (jm // 7) * (jm - 7) + jd - 1)


# Persian and Arabic-Indic digits to ASCII; Arabic yeh/kaf to Persian so month names match in either spelling.
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩يك", "01234567890123456789یک")
_MONTHS = {
    name: i
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_JALALI_MONTHS = {
    name: i
    for i, name in enumerate(
        ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"), start=1
    )
}
_YMD = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_DMY_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?!\d)")
_DAY_MONTH_YEAR = re.compile(r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)?[\s\-.,]+([A-Za-z]{3,9})\.?[\s\-.,]+(\d{4})(?!\d)")
_MONTH_DAY_YEAR = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)")
_JALALI_WORDS = re.compile(r"(?<!\d)(\d{1,2})\s+(" + "|".join(_JALALI_MONTHS) + r")\s+(\d{4})(?!\d)")


def parse_date(value: Any) -> str:
    """Parse a publication date into ISO form.

    Accepts ISO dates and datetimes, ``2020/07/22``, ``22 Jul 2020``, ``July 22, 2020``, RFC 2822, epoch seconds
    (or milliseconds), and Jalali dates (``1399/05/01``, ``۱ مرداد ۱۳۹۹``), which are converted to Gregorian.

    :param value: a string or a number from a record or an HTML meta tag.
    :returns: ``"YYYY-MM-DD"``, or a full ISO datetime when the value carries a time; ``""`` if unparseable.
    """
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    if not isinstance(value, str):
        return ""
    s = value.strip().translate(_DIGITS)
    if not s:
        return ""
    try:
        if re.fullmatch(r"\d{8}", s):
            return _valid_ymd(int(s[:4]), int(s[4:6]), int(s[6:]))
        if re.fullmatch(r"\d{9,13}(\.\d+)?", s):
            return _from_epoch(float(s))
        iso = _parse_iso(s)
        if iso:
            return iso
        if re.search(r"[A-Za-z]", s) and "," in s[:5]:
            try:
                return parsedate_to_datetime(s).isoformat()
            except (TypeError, ValueError, IndexError):
                pass
        for pattern, order in (
            (_YMD, "ymd"),
            (_JALALI_WORDS, "d-jmonth-y"),
            (_DAY_MONTH_YEAR, "d-month-y"),
            (_MONTH_DAY_YEAR, "month-d-y"),
            (_DMY_NUMERIC, "dmy"),
        ):
            m = pattern.search(s)
            if not m:
                continue
            a, b, c = m.groups()
            if order == "ymd":
                return _valid_ymd(int(a), int(b), int(c))
            if order == "d-jmonth-y":
                return _valid_ymd(int(c), _JALALI_MONTHS[b], int(a))
            if order == "d-month-y" and b.lower() in _MONTHS:
                return _valid_ymd(int(c), _MONTHS[b.lower()], int(a))
            if order == "month-d-y" and a.lower() in _MONTHS:
                return _valid_ymd(int(c), _MONTHS[a.lower()], int(b))
            if order == "dmy":
                day, month = int(a), int(b)
                if day <= 12 and month <= 12 and day != month:
                    return ""  # 03/04/2020: day-first or month-first cannot be told apart
                if month > 12:
                    day, month = month, day
                return _valid_ymd(int(c), month, day)
    except (ValueError, OverflowError) as exc:
        logger.debug("unparseable date %r: %s", value, exc)
    return ""


def _valid_ymd(year: int, month: int, day: int) -> str:
    """ISO date for a year/month/day triple; years 1200-1599 are taken as Jalali (Persian calendar)."""
    if 1200 <= year < 1600:
        return jalali_to_gregorian(year, month, day).isoformat()
    return date(year, month, day).isoformat()


def _parse_iso(s: str) -> str:
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}:?\d{2})?)?", s)
    if not m:
        return ""
    if 1200 <= int(m.group(1)) < 1600:
        return _valid_ymd(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m.group(4) is None:
        return date.fromisoformat(s).isoformat()
    return datetime.fromisoformat(s.replace(" ", "T", 1)).isoformat()


def _from_epoch(seconds: float) -> str:
    if seconds > 1e11:  # milliseconds
        seconds /= 1000
    if not 0 < seconds < 4102444800:  # before 2100-01-01
        return ""
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat()


# ---------------------------------------------------------------------------------------------------------------
# Record fields (JSON, JSONL, CSV)
# ---------------------------------------------------------------------------------------------------------------

_TEXT_FIELDS = ("text", "body", "content", "article", "story", "maintext", "full_text", "fulltext", "articlebody",
                "article_body", "paragraphs")  # fmt: skip
_SUMMARY_FIELDS = ("description", "abstract", "summary")
_TITLE_FIELDS = ("title", "headline", "name")
_DATE_FIELDS = ("date", "published", "published_at", "publish_date", "pubdate", "datetime", "time", "date_publish",
                "datepublished", "published_date", "publication_date", "pub_date", "timestamp")  # fmt: skip
_URL_FIELDS = ("url", "link", "canonical_url", "source_url")
_SOURCE_FIELDS = ("source", "site", "publisher", "outlet", "domain", "source_domain", "site_name")
_LANG_FIELDS = ("lang", "language")
_LIST_KEYS = ("articles", "data", "items", "records", "documents", "docs", "news", "results")
_LANG_ALIASES = {"fa": "fa", "fas": "fa", "per": "fa", "persian": "fa", "farsi": "fa", "فارسی": "fa",
                 "en": "en", "eng": "en", "english": "en"}  # fmt: skip


def _lower_keys(record: dict[str, Any]) -> dict[str, Any]:
    return {str(k).strip().lower(): v for k, v in record.items()}


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return "\n\n".join(p.strip() for p in value if isinstance(p, str) and p.strip())
    return ""


def _first(record: dict[str, Any], fields: Iterable[str]) -> Any:
    for field in fields:
        value = record.get(field)
        if value not in (None, "", [], {}):
            return value
    return None


def _record_text(record: dict[str, Any]) -> str:
    """The first text field with a letter or digit in it (scraped bodies are sometimes just ``"."``)."""
    for fields in (_TEXT_FIELDS, _SUMMARY_FIELDS):
        for field in fields:
            text = _as_text(record.get(field))
            if any(ch.isalnum() for ch in text):
                return text
    return ""


def _record_source(record: dict[str, Any], url: str) -> str:
    value = _first(record, _SOURCE_FIELDS)
    if isinstance(value, dict):  # e.g. NewsAPI: {"id": "bbc-news", "name": "BBC News"}
        value = _first(_lower_keys(value), ("name", "title", "id"))
    if isinstance(value, str) and value.strip():
        return value.strip()
    return _host(url)


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def normalize_lang(value: Any) -> str:
    """``"fa"``/``"en"`` for a language label such as ``fa-IR``, ``eng`` or ``Persian``; ``""`` otherwise."""
    if not isinstance(value, str):
        return ""
    label = value.strip().lower().replace("_", "-").split("-")[0]
    return _LANG_ALIASES.get(label, "")


def _detect_lang(text: str) -> str:
    from indexer.analysis import detect_language  # imported late: analysis pulls in heavier text machinery

    return detect_language(text)


def _article_from_record(record: dict[str, Any], path: str, key: str, fmt: str, encoding: str) -> Article | None:
    rec = _lower_keys(record)
    text = _record_text(rec)
    if not text:
        return None
    url = _first(rec, _URL_FIELDS)
    url = url.strip() if isinstance(url, str) else ""
    title = _first(rec, _TITLE_FIELDS)
    title = _clip_title(" ".join(title.split())) if isinstance(title, str) else ""
    date_value = _first(rec, _DATE_FIELDS)
    return Article(
        text=text,
        title=title,
        path=path,
        key=key,
        source=_record_source(rec, url),
        url=url,
        published=parse_date(date_value) if date_value is not None else "",
        lang=normalize_lang(_first(rec, _LANG_FIELDS)) or _detect_lang(text),
        format=fmt,
        encoding=encoding,
    )


def _record_id(record: dict[str, Any]) -> str:
    for k, v in record.items():
        if str(k).strip().lower() == "id" and isinstance(v, str | int) and not isinstance(v, bool):
            return str(v).strip()
    return ""


class _RecordCollector:
    """Turn the records of one multi-record file into articles and per-record skips.

    Skips are held back until the first article: a file with no good record at all yields one summary skip instead
    of one line per record (a SQuAD file or a wrong-format JSON would otherwise flood the user).
    """

    def __init__(self, path: str, fmt: str, encoding: str) -> None:
        self.path, self.fmt, self.encoding = path, fmt, encoding
        self.pending: list[tuple[str, str]] = []
        self.articles = 0
        self.seen_ids: set[str] = set()

    def add(self, record: Any, number: int, where: str) -> Iterator[Article | Skipped]:
        if not isinstance(record, dict):
            yield from self.skip(where, "not a JSON object")
            return
        rid = _record_id(record)
        if rid and rid in self.seen_ids:
            logger.debug("%s: %s repeats id %r; keyed by number instead", self.path, where, rid)
            rid = ""
        key = f"{self.path}#{rid}" if rid else f"{self.path}#{number}"
        article = _article_from_record(record, self.path, key, self.fmt, self.encoding)
        if article is None:
            yield from self.skip(where, "no text field")
            return
        if rid:
            self.seen_ids.add(rid)
        if not self.articles:
            yield from (Skipped(self.path, f"{w}: {p}") for w, p in self.pending)
            self.pending.clear()
        self.articles += 1
        yield article

    def skip(self, where: str, problem: str) -> Iterator[Skipped]:
        if self.articles:
            yield Skipped(self.path, f"{where}: {problem}")
        else:
            self.pending.append((where, problem))

    def finish(self) -> Iterator[Skipped]:
        if self.articles:
            return
        if not self.pending:
            yield Skipped(self.path, "no records")
        elif len(self.pending) == 1:
            where, problem = self.pending[0]
            yield Skipped(self.path, f"{where}: {problem}")
        elif len({p for _, p in self.pending}) == 1:
            yield Skipped(self.path, f"{self.pending[0][1]} in any of {len(self.pending)} records")
        else:
            where, problem = self.pending[0]
            yield Skipped(self.path, f"no usable records ({len(self.pending)} bad; first: {where}: {problem})")


# ---------------------------------------------------------------------------------------------------------------
# Format loaders
# ---------------------------------------------------------------------------------------------------------------


def _clip_title(title: str) -> str:
    title = title.strip()
    if len(title) <= MAX_TITLE_CHARS:
        return title
    cut = title[:MAX_TITLE_CHARS]
    space = cut.rfind(" ")
    return (cut[:space] if space > MAX_TITLE_CHARS // 2 else cut).rstrip()


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
        lang=normalize_lang(_first(meta, _LANG_FIELDS)) or _detect_lang(text),
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


# HTML ----------------------------------------------------------------------------------------------------------

_DROP_TAGS = ["script", "style", "nav", "header", "footer", "aside", "form", "noscript", "iframe", "svg", "button",
              "template", "select", "textarea", "object", "embed", "canvas", "dialog"]  # fmt: skip
_DROP_SELECTORS = '[role="navigation"], [role="banner"], [role="contentinfo"], [hidden], [aria-hidden="true"]'
_HINT = re.compile(
    r"^(?:menu\w*|nav|navbar|navigation|footer\w*|sidebar\w*|comments?|commentlist|comment(?:form|box|area|section)"
    r"|share|shares|sharing|sharebar|sharethis|social|breadcrumbs?|related|advert\w*|ads|adsense|adslot|advertising"
    r"|banner|promo|promos|cookie\w*|newsletter|subscribe|subscription|popup|modal|outbrain|taboola|pagination)$"
)
_BLOCK_TAGS = {"p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol",
               "blockquote", "pre", "table", "tr", "td", "th", "dl", "dt", "dd", "figcaption", "figure", "address",
               "hr", "center", "details", "summary", "caption", "body"}  # fmt: skip
_PROTECTED = {"html", "body", "article", "main"}
_BR = "\x00"


def _meta(tree: Any, *selectors: str, attr: str = "content") -> str:
    for selector in selectors:
        for node in tree.css(selector):
            value = (node.attributes.get(attr) or "").strip()
            if value:
                return value
    return ""


def _json_ld(tree: Any) -> dict[str, Any]:
    """The first schema.org article object in ``<script type="application/ld+json">``, lower-cased keys."""
    for node in tree.css('script[type="application/ld+json"]'):
        try:
            doc = json.loads(node.text(deep=True) or "")
        except (json.JSONDecodeError, ValueError):
            continue
        stack = [doc]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                rec = _lower_keys(item)
                if "datepublished" in rec or "headline" in rec:
                    return rec
                if isinstance(rec.get("@graph"), list):
                    stack.extend(rec["@graph"])
    return {}


def _is_hinted(node: Any) -> bool:
    attrs = node.attributes
    tokens = re.split(r"[^a-z0-9]+", f"{attrs.get('class') or ''} {attrs.get('id') or ''}".lower())
    return any(_HINT.match(t) for t in tokens if t)


def _remove_boilerplate(tree: Any, use_hints: bool) -> None:
    root = tree.body or tree.root
    if root is None:
        return
    root.strip_tags(_DROP_TAGS)
    for node in list(root.css(_DROP_SELECTORS)):
        if node.tag not in _PROTECTED and node.parent is not None:
            node.decompose()
    if not use_hints:
        return
    body_len = len(root.text(deep=True, separator=" ")) or 1
    doomed: list[Any] = []
    doomed_ids: set[int] = set()
    for node in root.css("[class], [id]"):
        if node.tag in _PROTECTED or not _is_hinted(node):
            continue
        parent, inside_doomed = node.parent, False
        while parent is not None:
            if parent.mem_id in doomed_ids:
                inside_doomed = True
                break
            parent = parent.parent
        if inside_doomed:
            continue
        # A wrapper such as <div class="page has-sidebar"> holds the story itself: keep it.
        if node.css_first("article, main") is not None or len(node.text(deep=True, separator=" ")) > 0.5 * body_len:
            continue
        doomed.append(node)
        doomed_ids.add(node.mem_id)
    for node in doomed:
        node.decompose()


def _block_text(root: Any) -> str:
    """Text of ``root`` with block elements as paragraphs joined by a blank line and ``<br>`` as a line break."""
    paragraphs: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        s = re.sub(r"\s+", " ", "".join(buf))
        s = re.sub(rf" ?{_BR} ?", "\n", s).strip()
        if s:
            paragraphs.append(s)
        buf.clear()

    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        if closing:
            flush()
            continue
        tag = node.tag
        if tag == "-text":
            buf.append((node.text_content or "").replace(_BR, " "))
            continue
        if not node.is_element_node:
            continue
        if tag == "br":
            buf.append(_BR)
            continue
        if tag in _BLOCK_TAGS:
            flush()
            stack.append((node, True))
        stack.extend((child, False) for child in reversed(list(node.iter(include_text=True))))
    flush()
    return "\n\n".join(paragraphs)


def _main_text(tree: Any) -> str:
    body = tree.body or tree.root
    if body is None:
        return ""
    articles = [(len(_block_text(a)), a) for a in tree.css("article")]
    articles = [(n, a) for n, a in articles if n]
    if articles:
        best_len, best = max(articles, key=lambda pair: pair[0])
        # A page whose only <article>s are short teasers keeps its story elsewhere.
        if best_len >= 200 or best_len * 4 >= len(_block_text(body)):
            return _block_text(best)
    main = tree.css_first('main, [role="main"]')
    if main is not None:
        text = _block_text(main)
        if text:
            return text
    return _block_text(body)


def _strip_site_suffix(title: str, site: str) -> str:
    if site:
        for sep in (" | ", " - ", " – ", " — ", " :: "):
            if title.endswith(sep + site):
                return title[: -len(sep + site)].strip()
    return title


def _load_html(text: str, path: str, fmt: str, encoding: str) -> Iterator[Article | Skipped]:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(text)
    ld = _json_ld(tree)
    site = _meta(tree, 'meta[property="og:site_name"]')
    title = _meta(tree, 'meta[property="og:title"]', 'meta[name="og:title"]', 'meta[name="twitter:title"]')
    if not title:
        node = tree.css_first("title")
        title = _strip_site_suffix(" ".join((node.text() if node else "").split()), site)
    if not title and isinstance(ld.get("headline"), str):
        title = ld["headline"]
    if not title:
        node = tree.css_first("h1")
        title = node.text(separator=" ") if node else ""
    url = _meta(tree, 'meta[property="og:url"]') or _meta(tree, 'link[rel="canonical"]', attr="href")
    published = ""
    for value in (
        _meta(
            tree,
            'meta[property="article:published_time"]',
            'meta[property="og:published_time"]',
            'meta[name="article:published_time"]',
            'meta[name="date"]',
            'meta[name="pubdate"]',
            'meta[name="publishdate"]',
            'meta[itemprop="datePublished"]',
        ),
        _meta(
            tree, '[itemprop="datePublished"][datetime]', "article time[datetime]", "time[datetime]", attr="datetime"
        ),
        ld.get("datepublished"),
    ):
        published = parse_date(value) if value else ""
        if published:
            break
    if not site:
        publisher = ld.get("publisher")
        if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
            site = publisher["name"].strip()
    html_node = tree.css_first("html")
    lang = normalize_lang(html_node.attributes.get("lang") if html_node is not None else "")

    _remove_boilerplate(tree, use_hints=True)
    body = _main_text(tree)
    if not body:
        logger.debug("%s: no text left after removing boilerplate; retrying without class/id hints", path)
        tree = LexborHTMLParser(text)
        _remove_boilerplate(tree, use_hints=False)
        body = _main_text(tree)
    if not body:
        yield Skipped(path, "no text in HTML")
        return
    yield Article(
        text=body,
        title=_clip_title(" ".join(title.split())),
        path=path,
        key=path,
        source=site or _host(url),
        url=url,
        published=published,
        lang=lang or _detect_lang(body),
        format=fmt,
        encoding=encoding,
    )


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
