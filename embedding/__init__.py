"""Embedding models behind Haystack components: the query and document embedders share one backend per model."""

from kavosh.text import telemetry as _telemetry  # noqa: F401  (Haystack telemetry off before Haystack loads)
