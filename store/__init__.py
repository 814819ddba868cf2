"""Stores: one base (protocol, shared types, errors, chunk-metadata layout, filters) and one folder per backend."""

from kavosh.text import telemetry as _telemetry  # noqa: F401  (Haystack telemetry off before Haystack loads)
