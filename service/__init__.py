"""The one service API (``Kavosh``), the settings read from the environment, and the optional extras."""

import kavosh.qa  # noqa: F401  - turns Haystack's telemetry off before anything here imports haystack
