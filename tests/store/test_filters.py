"""Tests for kavosh.store.filters: the one check of what a store filters on, and the embedded store's translations.

The Elasticsearch store's translation is tested in tests/store/elasticsearch; both reject the same filters with the
same messages because both call the checks here.
"""

from __future__ import annotations

import pytest

from kavosh.store.elasticsearch.document_store import to_es_filters
from kavosh.store.filters import FilterError, check_operator, check_published, to_sql


def _and(*conditions):
    return {"operator": "AND", "conditions": list(conditions)}


def test_a_date_range_on_language_becomes_sql_over_calendar_days():
    where, params = to_sql(
        _and(
            {"field": "meta.lang", "operator": "==", "value": "fa"},
            {"field": "meta.published", "operator": ">=", "value": "2020-01-01"},
            {"field": "meta.published", "operator": "<=", "value": "2020-12-31T23:59:00"},
        )
    )
    assert where == (
        "(lang = ?) AND ((published != '' AND substr(published, 1, 10) >= ?)) "
        "AND ((published != '' AND substr(published, 1, 10) <= ?))"
    )
    assert params == ["fa", "2020-01-01", "2020-12-31"]


def test_no_filter_matches_everything():
    assert to_sql(None) == ("1", [])
    assert to_sql(_and()) == ("1", [])


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"field": "meta.author", "operator": "==", "value": "x"}, "cannot filter on 'meta.author'"),
        ({"field": "meta.lang", "operator": "~=", "value": "x"}, "unsupported filter operator '~='"),
        ({"field": "meta.published", "operator": "in", "value": ["2020-01-01"]}, "use ==, >, >=, <, <="),
        ({"field": "meta.published", "operator": ">=", "value": "2020-13-01"}, "dates are YYYY-MM-DD"),
        ({"field": "meta.source", "operator": "in", "value": "bbc"}, "needs a list value"),
    ],
)
def test_both_stores_reject_the_same_filters_with_one_line(condition, message):
    with pytest.raises(FilterError, match=message):
        to_sql(condition)
    if "needs a list" not in message:  # a list check of the SQL translation only (Elasticsearch checks it itself)
        with pytest.raises(FilterError, match=message):
            to_es_filters(condition)


def test_the_operator_and_date_checks():
    assert check_operator({"operator": "NOT", "conditions": []}) == "NOT"
    with pytest.raises(FilterError, match="a filter must be a dict"):
        check_operator(["meta.lang"])  # type: ignore[arg-type]
    assert check_published("<", "2020-07-22T10:00:00+04:30") == "2020-07-22"
    assert check_published("==", None) is None
