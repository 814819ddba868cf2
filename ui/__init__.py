"""The command line (``kavosh``) and the web page (Streamlit); both call ``kavosh.service``."""

from kavosh.text import telemetry as _telemetry  # noqa: F401  (Haystack telemetry off before Haystack loads)
