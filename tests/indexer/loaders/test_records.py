"""Tests for kavosh.indexer.loaders.records: a record's lead (abstract, summary, ...) is kept before its body.

Real records: slices of the Fars News and Varzesh3 dumps in ``../shared/data/fars_news_sample`` (title, abstract,
paragraphs, tags, link), read at test time and written to ``tmp_path``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kavosh.indexer.loaders import Article, load_file


def squeeze(text: str) -> str:
    return " ".join(text.split())


def dump_records(data_dir: Path, name: str) -> list[dict]:
    return json.loads((data_dir / "fars_news_sample" / name).read_text(encoding="utf-8"))


def load_articles(path: Path) -> list[Article]:
    items = list(load_file(path))
    assert all(isinstance(i, Article) for i in items), items
    return items  # type: ignore[return-value]


@pytest.mark.parametrize("name", ["fars-news-1.json", "varzesh3-1.json"])
def test_the_abstract_of_a_real_news_record_comes_before_its_body(data_dir: Path, tmp_path: Path, name: str) -> None:
    records = [
        r for r in dump_records(data_dir, name) if squeeze(r["abstract"]) not in squeeze(" ".join(r["paragraphs"]))
    ]
    picked = records[:3]
    path = tmp_path / name
    path.write_text(json.dumps(picked, ensure_ascii=False), encoding="utf-8")
    articles = load_articles(path)
    assert len(articles) == 3
    for record, article in zip(picked, articles, strict=True):
        abstract, first_paragraph = record["abstract"].strip(), record["paragraphs"][0].strip()
        assert article.title == squeeze(record["title"])
        # The lead is the opening of the text, so a chunk's offsets cite it like any other sentence.
        assert article.text[: len(abstract)] == abstract
        assert article.text.index(first_paragraph) == len(abstract) + 2
        assert article.text.endswith(record["paragraphs"][-1].strip())


def test_a_lead_the_body_repeats_after_a_dateline_is_kept_once(data_dir: Path, tmp_path: Path) -> None:
    def repeats_lead(record: dict) -> bool:
        abstract, body = squeeze(record["abstract"]), squeeze("\n\n".join(record["paragraphs"]))
        return bool(abstract) and 0 < body.find(abstract) < 100

    record = next(r for r in dump_records(data_dir, "fars-news-1.json") if repeats_lead(r))
    path = tmp_path / "one.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    (article,) = load_articles(path)
    assert article.text == "\n\n".join(p.strip() for p in record["paragraphs"] if p.strip())
    assert squeeze(article.text).count(squeeze(record["abstract"])) == 1


def test_leads_from_json_lines_and_csv(tmp_path: Path) -> None:
    jsonl = tmp_path / "feed.jsonl"
    lines = [
        # NewsAPI: the description is the lead, cut short; the content opens with it.
        {"title": "Talks", "description": "Iran and Russia will extend the treaty…",
         "content": "Iran and Russia will extend the treaty for five years, officials said."},
        # The same lead under two names is kept once.
        {"title": "Oil", "summary": "Oil prices rose.", "lead": "Oil prices rose.", "text": "Brent gained 2%."},
    ]  # fmt: skip
    jsonl.write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    assert [a.text for a in load_articles(jsonl)] == [
        "Iran and Russia will extend the treaty for five years, officials said.",
        "Oil prices rose.\n\nBrent gained 2%.",
    ]
    csv = tmp_path / "feed.csv"
    csv.write_text("title,abstract,body\nWheat,Harvest up 10%.,Farmers in Khorasan reported...\n", encoding="utf-8")
    assert [a.text for a in load_articles(csv)] == ["Harvest up 10%.\n\nFarmers in Khorasan reported..."]
