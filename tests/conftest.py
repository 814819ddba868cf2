"""Shared fixtures: the seed articles, a session-wide store indexed with them, the shared data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("KAVOSH_SHARED", ROOT.parent / "shared"))
SEEDS = SHARED / "corpus" / "seeds"
DATA = SHARED / "data"
TREATY_ARTICLE = "002_abb5b6534dd8978e.txt"
PERSIAN_ARTICLE = "001_783e3036fd1b3a4b.txt"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    if not SEEDS.is_dir():
        pytest.skip(f"seed articles not found at {SEEDS} (set KAVOSH_SHARED)")
    return SEEDS


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not DATA.is_dir():
        pytest.skip(f"shared data not found at {DATA} (set KAVOSH_SHARED)")
    return DATA


@pytest.fixture(scope="session")
def seed_service(tmp_path_factory, seeds_dir):
    """A ``Kavosh`` service over a real store holding the five seed articles (real offline embedder)."""
    from kavosh.service.service import Kavosh

    service = Kavosh(tmp_path_factory.mktemp("seed-store") / "store", create=True, reader="offline", workers=1)
    summary = service.index([seeds_dir])
    assert summary.indexed == 5 and not summary.skipped
    yield service
    service.close()
