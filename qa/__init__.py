"""Retrieval and reading: the retriever table, pipelines, hybrid fusion, readers, answer types and citations."""

import os

# Haystack's anonymous usage telemetry stays off unless the user turns it on: a search tool should not phone home.
os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
