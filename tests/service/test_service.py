"""The service API end to end on the seed articles: real store, real offline embedder, offline reader."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kavosh.service.service import Kavosh, build_filters
from tests.conftest import PERSIAN_ARTICLE, TREATY_ARTICLE


def test_keyword_search_returns_passages_from_both_languages(seed_service):
    result = seed_service.search("Putin sanctions", k=10)
    langs = {hit.lang for hit in result.hits}
    assert langs == {"en", "fa"}
    top = result.hits[0]
    assert "Putin" in top.text or "پوتین" in top.text
    article = Path(top.path).read_text(encoding="utf-8")
    assert article[top.start : top.end] == top.text  # offsets index the file itself


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_each_mode_finds_the_treaty_article(seed_service, mode):
    hits = seed_service.search("Iran Russia treaty extension", mode=mode, k=3).hits
    assert Path(hits[0].path).name == TREATY_ARTICLE


def test_persian_query_without_zwnj_finds_persian_article_and_crosslingual_dense_finds_english(seed_service):
    bm25 = seed_service.search("تحریم‌های آمریکا", mode="bm25", k=3).hits
    assert Path(bm25[0].path).name == PERSIAN_ARTICLE
    dense = seed_service.search("معاهده ایران و روسیه تمدید", mode="dense", k=5, lang="en").hits
    assert Path(dense[0].path).name == TREATY_ARTICLE


def test_language_filter(seed_service):
    assert {h.lang for h in seed_service.search("Putin پوتین", k=10, lang="fa").hits} == {"fa"}
    assert {h.lang for h in seed_service.search("Putin پوتین", k=10, lang="en").hits} == {"en"}


def test_example_question_is_answered_with_citation(seed_service):
    result = seed_service.ask("When does the Iran–Russia treaty expire?")
    assert result.reader == "offline"
    best = result.answers[0]
    assert "next March" in best.text
    assert Path(best.path).name == TREATY_ARTICLE
    article = Path(best.path).read_text(encoding="utf-8")
    assert article[best.start : best.end] == best.text
    assert article[best.context_start : best.context_end] == best.context
    assert best.context_start <= best.start < best.end <= best.context_end


def test_persian_question_is_answered_from_the_english_article(seed_service):
    result = seed_service.ask("معاهده ایران و روسیه کی تمام می‌شود؟")
    best = result.answers[0]
    assert Path(best.path).name == TREATY_ARTICLE
    assert "March" in best.text


def test_unrelated_question_gets_no_answer_but_passages(seed_service):
    result = seed_service.ask("What is the boiling point of mercury?")
    assert result.answers == []
    assert result.passages  # the best passages are still shown


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.search("   "), "empty query"),
        (lambda s: s.search("x", mode="fuzzy"), "choose one of: bm25, dense, hybrid"),
        (lambda s: s.search("x", k=0), "k must be positive"),
        (lambda s: s.ask(""), "empty question"),
        (lambda s: s.search("x", date_from="22/07/2020"), "YYYY-MM-DD"),
    ],
)
def test_bad_input_gets_a_clear_error(seed_service, call, message):
    with pytest.raises(ValueError, match=message):
        call(seed_service)


def test_build_filters():
    assert build_filters() is None
    assert build_filters(lang="fa", date_from="2020-01-01") == {
        "operator": "AND",
        "conditions": [
            {"field": "meta.lang", "operator": "==", "value": "fa"},
            {"field": "meta.published", "operator": ">=", "value": "2020-01-01"},
        ],
    }
    assert build_filters(date_to="2020-12-31T23:00:00")["conditions"][0]["value"] == "2020-12-31"
    for bad in ("2020/01/01", "2020-02-30", "20-01-2020"):  # the one day check of kavosh.text.dates
        with pytest.raises(ValueError, match=f"^dates are YYYY-MM-DD, got '{bad}'$"):
            build_filters(date_from=bad)


def test_a_language_asked_for_shows_that_language_in_every_mode(seed_service):
    # an English query asked for Persian passages: only Persian ones, in every mode
    for mode in ("hybrid", "dense", "bm25"):
        query = "Putin sanctions" if mode != "bm25" else "پوتین"
        hits = seed_service.search(query, k=5, mode=mode, lang="fa").hits
        assert hits and {hit.lang for hit in hits} == {"fa"}, mode
    answer = seed_service.ask("When does the Iran–Russia treaty expire?", lang="en")
    assert answer.passages and {p.lang for p in answer.passages} == {"en"}
    with pytest.raises(ValueError, match="unknown language 'de'"):
        seed_service.search("Putin", lang="de")


def test_reindexing_is_incremental_and_changed_files_replace_old_chunks(tmp_path, seeds_dir):
    folder = tmp_path / "articles"
    shutil.copytree(seeds_dir, folder)
    service = Kavosh(tmp_path / "store", create=True, reader="offline", workers=1)
    first = service.index([folder])
    assert (first.indexed, first.unchanged) == (5, 0)
    again = service.index([folder])
    assert (again.indexed, again.unchanged, again.chunks) == (0, 5, 0)

    changed = folder / TREATY_ARTICLE
    changed.write_text(changed.read_text(encoding="utf-8").replace("next March", "in April 2031"), encoding="utf-8")
    third = service.index([folder])
    assert (third.indexed, third.replaced, third.unchanged) == (1, 1, 4)
    assert service.stats()["articles"] == 5
    assert all("next March" not in h.text for h in service.search("treaty end next March", k=20).hits)

    assert service.delete(str(changed)) == 1
    assert service.stats()["articles"] == 4
    with pytest.raises(KeyError, match="no article"):
        service.delete(str(changed))
    service.close()


def test_interrupted_indexing_keeps_committed_batches(tmp_path, seeds_dir, monkeypatch):
    from kavosh.indexer.indexing import Indexer

    service = Kavosh(tmp_path / "store", create=True, reader="offline", workers=1)
    calls = {"n": 0}
    original = Indexer._flush

    def flush_then_interrupt(self, batch, summary):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        original(self, batch, summary)

    monkeypatch.setattr(Indexer, "_flush", flush_then_interrupt)
    indexer = Indexer(service.store, service._build_component("document_embedder"), batch_articles=2)
    summary = indexer.index([seeds_dir])
    assert summary.interrupted and summary.indexed == 2
    service.close()

    reopened = Kavosh(tmp_path / "store", reader="offline")
    assert reopened.stats()["articles"] == 2
    assert reopened.search("Rouhani", k=3).hits
    resumed = reopened.index([seeds_dir])
    assert (resumed.indexed, resumed.unchanged) == (3, 2)
    reopened.close()


UNDATED_NOTE = (
    "1 undated article left out by the date filter; include undated articles (--include-undated) to keep them"
)


@pytest.fixture(scope="module")
def dated_service(tmp_path_factory):
    """Three English articles: two dated from source bbc, one undated from fars."""
    import json

    folder = tmp_path_factory.mktemp("dated")
    rows = [
        {"title": "Trade talks resume", "text": "Iran and Russia resumed trade talks on Monday.", "date": "2020-01-06",
         "source": "bbc"},
        {"title": "Ports talks end", "text": "The ports talks between the two countries ended.", "date": "2019-05-02",
         "source": "bbc"},
        {"title": "Oil talks", "text": "Oil talks between Iran and Russia went on in Moscow.", "source": "fars"},
    ]  # fmt: skip
    (folder / "feed.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    service = Kavosh(folder / "store", create=True, reader="offline", workers=1)
    service.index([folder / "feed.jsonl"])
    yield service
    service.close()


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_a_date_filter_says_how_many_undated_articles_it_left_out(dated_service, mode):
    result = dated_service.search("talks", mode=mode, date_from="2020-01-01")
    assert [h.title for h in result.hits] == ["Trade talks resume"]
    assert result.notes == [UNDATED_NOTE]
    kept = dated_service.search("talks", mode=mode, date_from="2020-01-01", include_undated=True)
    assert sorted(h.title for h in kept.hits) == ["Oil talks", "Trade talks resume"]
    assert kept.notes == [] and kept.to_dict()["notes"] == []


def test_an_unknown_source_is_answered_with_the_sources_there_are(dated_service):
    result = dated_service.search("talks", source="reuters")
    assert result.hits == []
    assert result.notes == ["no articles from source 'reuters'; sources in this store: bbc, fars"]
    assert dated_service.search("talks", source="fars").notes == []  # found: nothing to say
    asked = dated_service.ask("Where did the oil talks go on?", source="reuters", date_to="2030-01-01")
    assert asked.notes == [
        UNDATED_NOTE,
        "no articles from source 'reuters'; sources in this store: bbc, fars",
    ]
