"""Fixtures of the UI tests: a store indexed with the seed articles through the CLI."""

import pytest

from kavosh.ui.cli import main


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory, seeds_dir):
    store = tmp_path_factory.mktemp("cli") / "store"
    assert main(["index", str(seeds_dir), "--store", str(store), "--no-progress", "--workers", "1"]) == 0
    return store
