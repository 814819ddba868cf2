"""The indexing job: files -> articles (loaders) -> chunks -> embeddings -> store."""

from kavosh.text import telemetry as _telemetry  # noqa: F401  (Haystack telemetry off before Haystack loads)
