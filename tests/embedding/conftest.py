"""Real text for the encoder tests: PersianQA and SQuAD 2.0 articles (read from ../shared/data, never copied)."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="session")
def qa_articles(data_dir) -> tuple[list[dict], list[dict]]:
    """(Persian, English) SQuAD-format articles: PersianQA test and the SQuAD 2.0 dev half."""
    persian = json.loads((data_dir / "persianqa" / "pqa_test.json").read_text(encoding="utf-8"))["data"]
    english = json.loads(
        (data_dir / "squad2_dev_cs224n_half" / "dev-v2.0.cs224n-half.json").read_text(encoding="utf-8")
    )["data"]
    return persian, english
