"""Haystack's usage telemetry is off whichever layer a program imports first (kavosh.text.telemetry)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "kavosh.embedding.embedders",
        "kavosh.store.embedded.document_store",
        "kavosh.indexer.indexing",
        "kavosh.qa.pipelines",
        "kavosh.service.service",
        "kavosh.evaluation.reader_training",
        "kavosh.ui.cli",
    ],
)
def test_haystack_telemetry_is_off_after_importing_any_layer(module):
    """Haystack alone would turn it on (it is on by default); importing a Kavosh layer first keeps it off."""
    env = {k: v for k, v in os.environ.items() if k != "HAYSTACK_TELEMETRY_ENABLED"}
    code = f"import {module}, haystack.telemetry._telemetry as t; print(t.telemetry is None)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"
