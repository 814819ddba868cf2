"""Haystack filters: the one check of what stores can filter on, and the embedded store's translations of them.

Every store (embedded and Elasticsearch) supports the same subset, checked here (`check_condition`): logical
``AND`` / ``OR`` / ``NOT`` over comparisons ``==``, ``!=``, ``in``, ``not in``, ``>``, ``>=``, ``<``, ``<=`` on the
fields of `FILTER_FIELDS`; ``meta.published`` compares calendar days (`kavosh.text.dates.check_day`). Anything else
raises ``FilterError`` naming what is supported. The embedded store's SQL and tantivy translations follow, so BM25
and dense retrieval filter alike.
"""

from __future__ import annotations

from typing import Any

import tantivy

from kavosh.text.dates import check_day, date_key

# Filterable fields: Haystack name -> SQL column of the ``chunks`` table (also the tantivy field name).
FILTER_FIELDS = {
    "meta.lang": "lang",
    "meta.source": "source",
    "meta.published": "published",
    "meta.parent_id": "doc_id",
    "meta.path": "path",
}
LOGICAL_OPERATORS = ("AND", "OR", "NOT")
COMPARISONS = ("==", "!=", "in", "not in", ">", ">=", "<", "<=")
_SQL_OPS = {"==": "=", "!=": "!=", ">": ">", ">=": ">=", "<": "<", "<=": "<="}


class FilterError(ValueError):
    """A filter the embedded store cannot apply."""


def _field(condition: dict[str, Any]) -> str:
    return FILTER_FIELDS[check_field(condition)]


def check_field(condition: dict[str, Any]) -> str:
    """The Haystack field a comparison filters on. :raises FilterError: naming the filterable fields."""
    field = condition.get("field")
    if field not in FILTER_FIELDS:
        raise FilterError(f"cannot filter on {field!r}; filterable fields: {', '.join(FILTER_FIELDS)}")
    return field


def check_operator(condition: dict[str, Any]) -> str:
    """A condition's operator. :raises FilterError: naming the supported operators."""
    if not isinstance(condition, dict):
        raise FilterError(f"a filter must be a dict, got {condition!r}")
    op = condition.get("operator")
    if op not in COMPARISONS and op not in LOGICAL_OPERATORS:
        raise FilterError(f"unsupported filter operator {op!r}; supported: AND, OR, NOT, {', '.join(COMPARISONS)}")
    return op


def check_published(op: str, value: Any) -> str | None:
    """The calendar day a ``meta.published`` comparison compares with (``None`` for ``== None``).

    :raises FilterError: for ``in``/``not in`` or a value that is not a YYYY-MM-DD day.
    """
    if op in ("in", "not in"):
        raise FilterError("use ==, >, >=, <, <= on meta.published")
    if value is None:
        return None
    try:
        return check_day(str(value))
    except ValueError as exc:
        raise FilterError(str(exc)) from None


def to_sql(filters: dict[str, Any] | None) -> tuple[str, list[Any]]:
    """Translate a Haystack filter into a SQL condition over the ``chunks`` table.

    :returns: ``(where_clause, parameters)``; ``("1", [])`` for no filter.
    :raises FilterError: for fields or operators outside the supported subset.
    """
    if not filters:
        return "1", []
    op = check_operator(filters)
    if op in ("AND", "OR", "NOT"):
        parts = [to_sql(c) for c in filters.get("conditions", [])]
        if not parts:
            return "1", []
        joined = f" {'OR' if op == 'OR' else 'AND'} ".join(f"({sql})" for sql, _ in parts)
        params = [p for _, ps in parts for p in ps]
        return (f"NOT ({joined})" if op == "NOT" else joined), params
    column, value = _field(filters), filters.get("value")
    day = check_published(op, value) if column == "published" else None
    if op in ("in", "not in"):
        if not isinstance(value, list):
            raise FilterError(f"operator {op!r} needs a list value, got {value!r}")
        marks = ",".join("?" * len(value)) or "NULL"
        return f"{column} {'IN' if op == 'in' else 'NOT IN'} ({marks})", list(value)
    if value is None and column == "published":  # no date: stored as '' (tantivy's published_key 0, as ES's missing)
        return ("published = ''" if op == "==" else "published != ''"), []
    if value is None:
        return (f"{column} IS NULL" if op == "==" else f"{column} IS NOT NULL"), []
    if column == "published":
        # Compare calendar days, as the tantivy side does; articles without a date never match a date range.
        return f"(published != '' AND substr(published, 1, 10) {_SQL_OPS[op]} ?)", [day]
    return f"{column} {_SQL_OPS[op]} ?", [value]


def to_tantivy(filters: dict[str, Any] | None, schema: tantivy.Schema) -> tantivy.Query | None:
    """Translate a Haystack filter into a tantivy query that restricts matches (``None`` for no filter).

    :raises FilterError: for fields or operators outside the supported subset.
    """
    if not filters:
        return None
    op = check_operator(filters)
    if op in ("AND", "OR", "NOT"):
        subqueries = [q for q in (to_tantivy(c, schema) for c in filters.get("conditions", [])) if q is not None]
        if not subqueries:
            return None
        if op == "NOT":
            inner = tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in subqueries])
            return tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, tantivy.Query.all_query()), (tantivy.Occur.MustNot, inner)]
            )
        occur = tantivy.Occur.Should if op == "OR" else tantivy.Occur.Must
        return tantivy.Query.boolean_query([(occur, q) for q in subqueries])
    column, value = _field(filters), filters.get("value")
    if column == "published":
        return _date_query(op, value, schema)
    if op in ("in", "not in"):
        if not isinstance(value, list):
            raise FilterError(f"operator {op!r} needs a list value, got {value!r}")
        query = tantivy.Query.term_set_query(schema, column, [str(v) for v in value])
    elif op in ("==", "!="):
        query = tantivy.Query.term_query(schema, column, "" if value is None else str(value))
    else:
        raise FilterError(f"operator {op!r} applies to meta.published only")
    if op in ("!=", "not in"):
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, tantivy.Query.all_query()), (tantivy.Occur.MustNot, query)]
        )
    return query


def _date_query(op: str, value: Any, schema: tantivy.Schema) -> tantivy.Query:
    key = date_key(check_published(op, value))
    bounds: dict[str, Any] = {
        "==": {"lower_bound": key, "upper_bound": key},
        "!=": {"lower_bound": key, "upper_bound": key},
        ">": {"lower_bound": key, "include_lower": False},
        ">=": {"lower_bound": key},
        "<": {"lower_bound": 1, "upper_bound": key, "include_upper": False},
        "<=": {"lower_bound": 1, "upper_bound": key},
    }[op]
    query = tantivy.Query.range_query(schema, "published_key", tantivy.FieldType.Integer, **bounds)
    if op == "!=":
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, tantivy.Query.all_query()), (tantivy.Occur.MustNot, query)]
        )
    return query
