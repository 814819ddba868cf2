"""Article records and the mapping of a record's fields (JSON, JSONL, CSV) to an article."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from kavosh.text.dates import parse_date
from kavosh.text.scripts import detect_language

logger = logging.getLogger(__name__)

MAX_TITLE_CHARS = 300


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
# Record fields (JSON, JSONL, CSV)
# ---------------------------------------------------------------------------------------------------------------

_TEXT_FIELDS = ("text", "body", "content", "article", "story", "maintext", "full_text", "fulltext", "articlebody",
                "article_body", "paragraphs")  # fmt: skip
# Leads: the abstract or summary a site shows above the body. Every distinct one goes before the body.
_SUMMARY_FIELDS = ("description", "abstract", "summary", "lead")
# A lead counts as repeated when it lies within the body's first len(lead) + this many characters (a dateline such
# as "به گزارش خبرگزاری فارس از گچساران، " or a label such as "Abstract:" often comes before the repeated lead).
_LEAD_REPEAT_SLACK = 300
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
    """A record's article text in reading order: its leads (abstract, summary, ...) and then its body.

    The body is the first body field with a letter or digit in it (scraped bodies are sometimes just ``"."``); other
    body fields are the same text again (``text`` and ``content`` in many scrapes), so only one is kept. Each lead
    comes before the body, separated by a blank line, unless an earlier lead or the opening of the body already
    holds it (many sites repeat the lead as the first paragraph).
    """
    body = next((t for t in (_as_text(record.get(f)) for f in _TEXT_FIELDS) if _has_word(t)), "")
    squeezed_body = _squeeze(body)
    leads: list[str] = []
    for field in _SUMMARY_FIELDS:
        lead = _as_text(record.get(field))
        if not _has_word(lead):
            continue
        # A lead cut short ("... the talks will…") is compared without its ellipsis.
        probe = _squeeze(lead).rstrip(" .\u2026")
        if any(probe in _squeeze(kept) for kept in leads):
            continue
        if probe in squeezed_body[: len(probe) + _LEAD_REPEAT_SLACK]:
            continue
        leads.append(lead)
    return "\n\n".join([*leads, body] if body else leads)


def _has_word(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _squeeze(text: str) -> str:
    """Whitespace runs as one space: a lead and the body's copy of it differ in line breaks and double spaces."""
    return " ".join(text.split())


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
        lang=normalize_lang(_first(rec, _LANG_FIELDS)) or detect_language(text),
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


def _clip_title(title: str) -> str:
    title = title.strip()
    if len(title) <= MAX_TITLE_CHARS:
        return title
    cut = title[:MAX_TITLE_CHARS]
    space = cut.rfind(" ")
    return (cut[:space] if space > MAX_TITLE_CHARS // 2 else cut).rstrip()
