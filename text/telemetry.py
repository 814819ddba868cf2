"""Haystack's anonymous usage telemetry stays off unless the user turns it on: a search tool should not phone home.

Haystack reads ``HAYSTACK_TELEMETRY_ENABLED`` when it is first imported, so every layer whose modules import Haystack
imports this module from its package ``__init__`` (before any of its modules can import Haystack).
"""

import os

os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
