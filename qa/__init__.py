"""Retrieval and reading: the retriever table, pipelines, hybrid fusion, readers, answer types and citations."""

from kavosh.text import telemetry as _telemetry  # noqa: F401  (Haystack telemetry off before Haystack loads)
