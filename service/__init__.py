"""The one service API (``Kavosh``), the settings read from the environment, and the optional extras."""

from kavosh.text import telemetry as _telemetry  # noqa: F401  (Haystack telemetry off before Haystack loads)
