"""The Streamlit page's flows, driven by Streamlit's ``AppTest`` against real stores (the seed articles, the real
offline embedder and reader): ask, search, filters, opening an article, no answer, Persian, upload, missing store."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path

import pytest

from tests.conftest import PERSIAN_ARTICLE, TREATY_ARTICLE

pytest.importorskip("streamlit.testing.v1", reason="streamlit is not installed (pip install kavosh[ui])")
from streamlit.testing.v1 import AppTest  # noqa: E402

APP = Path(__file__).resolve().parents[2] / "ui" / "app.py"
QUESTION = "When does the Iran–Russia treaty expire?"
PERSIAN_QUESTION = "معاهده ایران و روسیه کی تمام می‌شود؟"
TIMEOUT = 120  # the first query in the process loads the models


@pytest.fixture
def app_env(monkeypatch):
    """Point the page at a store; the offline reader, no background warm-up (tests time their own runs)."""

    def use(store: Path, **env: str) -> None:
        monkeypatch.setenv("KAVOSH_STORE", str(store))
        monkeypatch.delenv("KAVOSH_ES_URL", raising=False)
        monkeypatch.setenv("KAVOSH_READER", "offline")
        monkeypatch.setenv("KAVOSH_UI_WARMUP", "0")
        for name, value in env.items():
            monkeypatch.setenv(name, value)

    return use


@pytest.fixture
def seed_app(seed_service, app_env) -> AppTest:
    app_env(seed_service.store.path)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    return at


def submit(at: AppTest, text: str) -> AppTest:
    at.text_input(key="query").input(text)
    at.button[0].click()  # the form's submit button comes first on the main page
    at.run()
    assert not at.exception, at.exception
    return at


def cards(at: AppTest, kind: str) -> list[str]:
    return [h.value for h in at.html if f"kavosh-{kind}-card" in h.value]


def marks(html: str) -> list[str]:
    return re.findall(r'<mark class="kavosh-answer">(.*?)</mark>', html)


def subheaders(at: AppTest) -> list[str]:
    return [s.value for s in at.subheader]


def footer(at: AppTest) -> str:
    return next(h.value for h in at.html if "kavosh-result-footer" in h.value)


# ------------------------------------------------------------------------------------------------ ask / search
def test_question_gets_answers_first_highlighted_in_their_passage(seed_app):
    at = submit(seed_app, QUESTION)
    assert subheaders(at) == ["Answers", "Passages"]
    answers = cards(at, "answer")
    assert answers, "no answer card"
    best = answers[0]
    assert marks(best) and "next March" in marks(best)[0]
    assert "reader offline" in best and "score " in best
    assert TREATY_ARTICLE in best  # the cited article's path
    assert 'dir="ltr" lang="en"' in best
    assert cards(at, "hit"), "the passages follow the answers"
    assert 'data-query="When does the Iran–Russia treaty expire?"' in footer(at)


def test_open_article_shows_the_whole_article_with_the_answer_in_place(seed_app, seed_service, seeds_dir):
    at = submit(seed_app, QUESTION)
    next(b for b in at.button if b.key == "open-answer-1").click()
    at.run()
    article = next(h.value for h in at.html if 'class="kavosh-article-body"' in h.value)
    assert article.count('id="kavosh-passage"') == 1
    assert "next March" in marks(article)[0]
    body = article.split('<div class="kavosh-article-body">', 1)[1]
    stored = seed_service.show(str(seeds_dir / TREATY_ARTICLE)).text
    shown = html.unescape(re.sub(r"<[^>]+>", "", body))
    assert shown.split() == stored.split()  # the whole article (blank-line runs shortened), highlighted in place
    next(b for b in at.button if b.key == "back").click()
    at.run()
    assert cards(at, "answer") and not any('class="kavosh-article-body"' in h.value for h in at.html)


def test_browser_sessions_share_one_service_and_its_results(seed_app):
    submit(seed_app, "What did Lavrov say about the nuclear deal?")
    other_tab = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at = submit(other_tab, "What did Lavrov say about the nuclear deal?")
    assert "ask · hybrid · cached" in footer(at)  # no second service, no second run of the pipeline
    assert cards(at, "hit")


def test_keywords_get_ranked_passages_only_and_k_is_honoured(seed_app):
    seed_app.slider(key="k").set_value(3)
    at = submit(seed_app, "Putin sanctions")
    assert subheaders(at) == ["Passages"]
    assert len(cards(at, "hit")) == 3
    assert not cards(at, "answer")


def test_kind_override_and_retrieval_mode(seed_app):
    seed_app.radio(key="kind").set_value("search")
    seed_app.radio(key="mode").set_value("bm25")
    at = submit(seed_app, QUESTION)
    assert subheaders(at) == ["Passages"]
    assert "search · bm25" in footer(at)


def test_language_filter_keeps_only_that_language(seed_app):
    seed_app.selectbox(key="lang").set_value("fa")
    at = submit(seed_app, "Russia Iran cooperation")  # English words, Persian passages only (dense is cross-lingual)
    hits = cards(at, "hit")
    assert hits and all('dir="rtl" lang="fa"' in h for h in hits)
    at.selectbox(key="lang").set_value("en").run()
    hits = cards(at, "hit")
    assert hits and all('dir="ltr" lang="en"' in h for h in hits)


def test_persian_question_is_answered_and_laid_out_right_to_left(seed_app):
    at = submit(seed_app, PERSIAN_QUESTION)
    assert subheaders(at)[-1] == "Passages"
    persian = [h for h in cards(at, "answer") + cards(at, "hit") if 'lang="fa"' in h]
    assert persian, "the Persian article is among the results"
    assert all('dir="rtl"' in h and PERSIAN_ARTICLE in h for h in persian)


def test_no_answer_is_said_plainly_and_passages_still_shown(seed_app):
    at = submit(seed_app, "What is the boiling point of mercury?")
    assert not cards(at, "answer")
    assert any("No answer found" in w.value for w in at.warning)
    assert cards(at, "hit"), "the best passages are still listed"


def test_date_filter_that_matches_nothing_says_so(seed_app):
    seed_app.date_input(key="date_from").set_value(dt.date(2099, 1, 1))
    at = submit(seed_app, "Putin sanctions")
    assert not cards(at, "hit")
    assert any("No passages found" in i.value for i in at.info)
    # the seed articles have no dates: the page says the filter left them out, and the checkbox brings them back
    assert any("5 undated articles left out by the date filter" in c.value for c in at.caption)
    at.checkbox(key="include_undated").check()
    at = submit(at, "Putin sanctions")
    assert cards(at, "hit") and not any("undated" in c.value for c in at.caption)


def test_store_statistics_in_the_sidebar(seed_app):
    stats = next(h.value for h in seed_app.sidebar.html if "kavosh-stats" in h.value)
    assert "<th>Articles</th><td>5</td>" in stats
    assert "English 4" in stats and "فارسی 1" in stats


# ------------------------------------------------------------------------------------------------ store states
def test_missing_store_says_how_to_make_one(tmp_path, app_env):
    app_env(tmp_path / "nowhere")
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert not at.exception
    assert any("No store at" in w.value and "kavosh index" in w.value for w in at.warning)
    assert not (tmp_path / "nowhere").exists(), "opening the page must not create a store"


def test_empty_store_says_it_is_empty_and_asks_nothing(tmp_path, app_env):
    from kavosh.service.service import Kavosh

    Kavosh(tmp_path / "empty", create=True).close()
    app_env(tmp_path / "empty")
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert any("is empty" in i.value and "Upload articles" in i.value for i in at.info)
    at = submit(at, QUESTION)
    assert not subheaders(at), "no query runs against an empty store"


def test_upload_indexes_files_reports_skips_and_escapes(tmp_path, app_env):
    app_env(tmp_path / "new-store")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    records = [
        {
            "title": "Caspian ports",
            "text": "Iran and Russia opened a new ferry line across the Caspian Sea. <script>alert(1)</script>",
            "source": "Test Wire",
            "published": "2021-05-04",
        },
        {
            "title": "بندرهای خزر",
            "text": "ایران و روسیه خط کشتیرانی تازه‌ای در دریای خزر گشودند.",
            "source": "خبرگزاری آزمایشی",
            "published": "2021-06-01",
        },
    ]
    jsonl = "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode()
    at.file_uploader(key="uploads").set_value(
        [
            ("ports.jsonl", jsonl, "application/json"),
            ('<img src=x onerror="alert(1)">.txt', b"   ", "text/plain"),
        ]
    )
    at.run()
    at.button(key="index_uploads").click()
    at.run()
    assert not at.exception, at.exception
    assert any(s.value == "Upload finished" for s in at.sidebar.success)
    summary = next(h.value for h in at.sidebar.html if "kavosh-upload-summary" in h.value)
    assert "indexed 2 · unchanged 0 · skipped 1" in summary
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;.txt</bdi>: empty file" in summary
    assert "<img" not in summary
    stats = next(h.value for h in at.sidebar.html if "kavosh-stats" in h.value)
    assert "<th>Articles</th><td>2</td>" in stats and "Test Wire 1" in stats

    at.selectbox(key="source").set_value("Test Wire")
    at = submit(at, "Caspian ferry")
    hits = cards(at, "hit")
    assert len(hits) == 1 and "Test Wire" in hits[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hits[0] and "<script>" not in hits[0]

    at.selectbox(key="source").set_value("")
    at.date_input(key="date_from").set_value(dt.date(2021, 5, 15))
    at = submit(at, "Caspian ferry")
    hits = cards(at, "hit")
    assert len(hits) == 1 and 'lang="fa"' in hits[0] and "2021-06-01" in hits[0]

    # the same file again: nothing new
    at.button(key="index_uploads").click()
    at.run()
    summary = next(h.value for h in at.sidebar.html if "kavosh-upload-summary" in h.value)
    assert "indexed 0 · unchanged 2" in summary


def test_upload_over_the_size_limit_is_refused(tmp_path, app_env):
    app_env(tmp_path / "small", KAVOSH_UPLOAD_MAX_MB="1")
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    at.file_uploader(key="uploads").set_value(("big.txt", b"word " * 300_000, "text/plain"))
    at.run()
    at.button(key="index_uploads").click()
    at.run()
    summary = next(h.value for h in at.sidebar.html if "kavosh-upload-summary" in h.value)
    assert "indexed 0" in summary and "big.txt</bdi>: file too large (1.4 MB &gt; 1 MB)" in summary


def test_upload_of_another_text_extension_is_indexed_and_a_binary_skipped(tmp_path, app_env):
    app_env(tmp_path / "store")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    ham = "پیمان بندرهای خزر\nایران و روسیه خط کشتیرانی تازه‌ای در دریای خزر گشودند.".encode()
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    at.file_uploader(key="uploads").set_value(
        [("HAM2-031201.ham", ham, "application/octet-stream"), ("photo.png", png, "image/png")]
    )
    at.run()
    at.button(key="index_uploads").click()
    at.run()
    summary = next(h.value for h in at.sidebar.html if "kavosh-upload-summary" in h.value)
    assert "indexed 1 · unchanged 0 · skipped 1" in summary
    assert "photo.png</bdi>: unsupported file type (.png)" in summary
