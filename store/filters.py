"""Haystack filter dicts translated for the embedded store: to SQL over the chunk table and to tantivy queries.

Both translations cover the same subset, so BM25 and dense retrieval filter alike:
logical ``AND`` / ``OR`` / ``NOT`` over comparisons ``==``, ``!=``, ``in``, ``not in``, ``>``, ``>=``, ``<``, ``<=``
on the fields below. Anything else raises ``FilterError`` naming what is supported.
"""

from __future__ import annotations

from typing import Any

import tantivy

# Filterable fields: Haystack name -> SQL column of the ``chunks`` table (also the tantivy field name).
FILTER_FIELDS = {
    "meta.lang": "lang",
    "meta.source": "source",
    "meta.published": "published",
    "meta.parent_id": "doc_id",
    "meta.path": "path",
}
_COMPARISONS = ("==", "!=", "in", "not in", ">", ">=", "<", "<=")
_SQL_OPS = {"==": "=", "!=": "!=", ">": ">", ">=": ">=", "<": "<", "<=": "<="}


class FilterError(ValueError):
    """A filter the embedded store cannot apply."""


def _field(condition: dict[str, Any]) -> str:
    field = condition.get("field")
    if field not in FILTER_FIELDS:
        raise FilterError(f"cannot filter on {field!r}; filterable fields: {', '.join(FILTER_FIELDS)}")
    return FILTER_FIELDS[field]


def _operator(condition: dict[str, Any]) -> str:
    op = condition.get("operator")
    if op not in _COMPARISONS and op not in ("AND", "OR", "NOT"):
        raise FilterError(f"unsupported filter operator {op!r}; supported: AND, OR, NOT, {', '.join(_COMPARISONS)}")
    return op


def to_sql(filters: dict[str, Any] | None) -> tuple[str, list[Any]]:
    """Translate a Haystack filter into a SQL condition over the ``chunks`` table.

    :returns: ``(where_clause, parameters)``; ``("1", [])`` for no filter.
    :raises FilterError: for fields or operators outside the supported subset.
    """
    if not filters:
        return "1", []
    op = _operator(filters)
    if op in ("AND", "OR", "NOT"):
        parts = [to_sql(c) for c in filters.get("conditions", [])]
        if not parts:
            return "1", []
        joined = f" {'OR' if op == 'OR' else 'AND'} ".join(f"({sql})" for sql, _ in parts)
        params = [p for _, ps in parts for p in ps]
        return (f"NOT ({joined})" if op == "NOT" else joined), params
    column, value = _field(filters), filters.get("value")
    if op in ("in", "not in"):
        if not isinstance(value, list):
            raise FilterError(f"operator {op!r} needs a list value, got {value!r}")
        marks = ",".join("?" * len(value)) or "NULL"
        return f"{column} {'IN' if op == 'in' else 'NOT IN'} ({marks})", list(value)
    if value is None:
        return (f"{column} IS NULL" if op == "==" else f"{column} IS NOT NULL"), []
    if column == "published":
        # Compare calendar days, as the tantivy side does; articles without a date never match a date range.
        return f"(published != '' AND substr(published, 1, 10) {_SQL_OPS[op]} ?)", [str(value)[:10]]
    return f"{column} {_SQL_OPS[op]} ?", [value]


def date_key(value: str | None) -> int:
    """``"2020-07-22"`` (or a longer ISO datetime) → ``20200722``; missing or malformed → 0."""
    if not value:
        return 0
    digits = value[:10].replace("-", "")
    return int(digits) if len(digits) == 8 and digits.isdigit() else 0


def to_tantivy(filters: dict[str, Any] | None, schema: tantivy.Schema) -> tantivy.Query | None:
    """Translate a Haystack filter into a tantivy query that restricts matches (``None`` for no filter).

    :raises FilterError: for fields or operators outside the supported subset.
    """
    if not filters:
        return None
    op = _operator(filters)
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
    if op in ("in", "not in"):
        raise FilterError("use ==, >, >=, <, <= on meta.published")
    key = date_key(value)
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
