"""Tests for kavosh.text.dates: the Jalali calendar, publication-date parsing, and the one check of a calendar day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kavosh.text.dates import check_day, date_key, iso_day, jalali_to_gregorian, parse_date

# --- Jalali calendar and parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("jalali", "gregorian"),
    [
        ((1399, 5, 1), date(2020, 7, 22)),
        ((1399, 1, 1), date(2020, 3, 20)),
        ((1399, 12, 30), date(2021, 3, 20)),  # 1399 is a leap year
        ((1400, 1, 1), date(2021, 3, 21)),
        ((1403, 12, 30), date(2025, 3, 20)),
        ((1404, 1, 1), date(2025, 3, 21)),
        ((1357, 11, 22), date(1979, 2, 11)),
        ((1300, 1, 1), date(1921, 3, 21)),
        ((1385, 7, 1), date(2006, 9, 23)),
    ],
)
def test_jalali_to_gregorian(jalali: tuple[int, int, int], gregorian: date) -> None:
    assert jalali_to_gregorian(*jalali) == gregorian


def test_jalali_calendar_has_no_gaps_or_overlaps() -> None:
    previous = jalali_to_gregorian(1300, 1, 1) - timedelta(days=1)
    for year in range(1300, 1500):
        for month in range(1, 13):
            days = 31 if month <= 6 else 30
            for day in range(1, days + 1):
                if month == 12 and day == 30:
                    try:
                        jalali_to_gregorian(year, 12, 30)
                    except ValueError:
                        continue  # not a leap year
                current = jalali_to_gregorian(year, month, day)
                assert current - previous == timedelta(days=1), (year, month, day)
                previous = current


@pytest.mark.parametrize("bad", [(1399, 13, 1), (1399, 7, 31), (1400, 12, 30), (1399, 0, 5)])
def test_invalid_jalali_dates_raise(bad: tuple[int, int, int]) -> None:
    with pytest.raises(ValueError):
        jalali_to_gregorian(*bad)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020-07-22", "2020-07-22"),
        ("2020/07/22", "2020-07-22"),
        ("22 Jul 2020", "2020-07-22"),
        ("July 22, 2020", "2020-07-22"),
        ("Wednesday, 22 July 2020", "2020-07-22"),
        ("Wed, 22 Jul 2020 10:00:00 +0000", "2020-07-22T10:00:00+00:00"),
        ("2020-07-22T10:00:00Z", "2020-07-22T10:00:00+00:00"),
        ("2020-07-22 14:30:00", "2020-07-22T14:30:00"),
        (1595412000, "2020-07-22T10:00:00+00:00"),
        ("1595412000000", "2020-07-22T10:00:00+00:00"),
        ("20200722", "2020-07-22"),
        ("1399/05/01", "2020-07-22"),
        ("۱۳۹۹/۰۵/۰۱", "2020-07-22"),
        ("۱ مرداد ۱۳۹۹", "2020-07-22"),
        ("1 ارديبهشت 1399", "2020-04-20"),  # Arabic yeh spelling
        ("26-FEB-1987 15:01:01.79", "1987-02-26"),  # Reuters-21578
        ("22/07/2020", "2020-07-22"),
        ("03/04/2020", ""),  # day-first or month-first: cannot tell
        ("yesterday", ""),
        ("2020-02-30", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_parse_date(value: object, expected: str) -> None:
    assert parse_date(value) == expected


# --- calendar days (filters) ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("2020-07-22", "2020-07-22"),
        ("2020-07-22T10:00:00+04:30", "2020-07-22"),
        ("2020-02-30", None),  # no such day
        ("2020-13-01", None),
        ("22/07/2020", None),
        ("2020-7-2", None),
        ("", None),
        (None, None),
    ],
)
def test_iso_day_accepts_real_calendar_days_only(value, day) -> None:
    assert iso_day(value) == day
    assert date_key(value) == (int(day.replace("-", "")) if day else 0)


def test_check_day_names_the_format_in_one_line() -> None:
    assert check_day("2020-01-01T00:00:00") == "2020-01-01"
    with pytest.raises(ValueError, match=r"^dates are YYYY-MM-DD, got '2020/01/01'$"):
        check_day("2020/01/01")
