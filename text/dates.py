"""Dates: the Jalali (Solar Hijri) calendar, publication-date parsing, and the one check of a YYYY-MM-DD day.

`parse_date` turns what news records and HTML meta tags carry (ISO, RFC 2822, epoch seconds, ``22 Jul 2020``,
``1399/05/01``, ``۱ مرداد ۱۳۹۹``) into ISO dates. `iso_day` and `check_day` are the one rule for a calendar day that
the store filters (embedded and Elasticsearch), the service, the CLI and the UI apply.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from kavosh.text.lexicon import ENGLISH_MONTHS, PERSIAN_SOLAR_MONTHS
from kavosh.text.scripts import DIGIT_MAP, YEH_KAF_MAP

logger = logging.getLogger(__name__)

__all__ = ["check_day", "date_key", "iso_day", "jalali_to_gregorian", "parse_date"]

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
_DIGITS = str.maketrans({**DIGIT_MAP, **YEH_KAF_MAP})
_MONTHS = {name: i for i, names in enumerate(ENGLISH_MONTHS, start=1) for name in names}
_JALALI_MONTHS = {name: i for i, name in enumerate(PERSIAN_SOLAR_MONTHS, start=1)}
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


# --------------------------------------------------------------------------------------------------------------
# Calendar days (filters)
# --------------------------------------------------------------------------------------------------------------


def iso_day(value: str | None) -> str | None:
    """The calendar day of an ISO date or datetime (``2020-07-22T10:00:00+04:30`` -> ``2020-07-22``), else None.

    :param value: an ISO date or datetime, e.g. a stored ``published`` value or a filter bound.
    :returns: ``"YYYY-MM-DD"`` for a real calendar day; ``None`` for a missing, malformed or impossible date.
    """
    if not value or len(value) < 10:
        return None
    day = value[:10]
    try:
        datetime.strptime(day, "%Y-%m-%d")
    except ValueError:
        return None
    return day


def check_day(value: str) -> str:
    """A filter bound as its calendar day. :raises ValueError: ``dates are YYYY-MM-DD, got '...'``."""
    day = iso_day(value)
    if day is None:
        raise ValueError(f"dates are YYYY-MM-DD, got {value!r}")
    return day


def date_key(value: str | None) -> int:
    """``"2020-07-22"`` (or a longer ISO datetime) -> ``20200722``; missing or malformed -> 0."""
    day = iso_day(value)
    return int(day.replace("-", "")) if day else 0
