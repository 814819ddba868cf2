"""Tests for kavosh.ui.client: the page's one link to the service (question-or-keywords rule, queries, uploads).

Real service and store (the seed articles, offline embedder and reader); no Streamlit page is run here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")

from kavosh.service.settings import Settings  # noqa: E402
from kavosh.ui.client import (  # noqa: E402
    QueryKind,
    QueryRequest,
    ServiceHandle,
    index_uploads,
    query_kind,
    run_query,
    safe_filename,
    stats_options,
)
from tests.conftest import TREATY_ARTICLE  # noqa: E402


def test_questions_are_asked_and_keywords_searched():
    assert query_kind("When does the Iran–Russia treaty expire?") is QueryKind.ASK
    assert query_kind("معاهده ایران و روسیه کی تمام می‌شود؟") is QueryKind.ASK
    assert query_kind("who is Zarif") is QueryKind.ASK
    assert query_kind("چرا روسیه") is QueryKind.ASK
    assert query_kind("كدام کشور") is QueryKind.ASK  # Arabic kaf typed on an Arabic keyboard
    assert query_kind("Iran Russia treaty extension") is QueryKind.ASK  # four words
    assert query_kind("Putin sanctions") is QueryKind.SEARCH
    assert query_kind("تحریم روسیه") is QueryKind.SEARCH
    assert query_kind("   ") is QueryKind.SEARCH


def test_user_choice_overrides_the_rule():
    assert query_kind("Putin sanctions", "ask") is QueryKind.ASK
    assert query_kind("When does it expire?", QueryKind.SEARCH) is QueryKind.SEARCH


def test_safe_filename_drops_folders_and_markup():
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\me\\news.txt") == "news.txt"
    assert "<" not in safe_filename("<b>x</b>.txt") and safe_filename("<b>x</b>.txt").endswith(".txt")
    assert safe_filename("خبر\u200cها.txt") == "خبر\u200cها.txt"
    assert safe_filename("...") == "upload"


def test_arabic_spellings_of_persian_question_words_are_questions():
    assert query_kind("كجا") is QueryKind.ASK  # Arabic kaf
    assert query_kind("چرا") is QueryKind.ASK
    with pytest.raises(ValueError, match="unknown query kind 'maybe'; choose one of: auto, ask, search"):
        query_kind("x", "maybe")


@pytest.fixture
def seed_handle(seed_service):
    """A handle whose service is the session's seed service (opened once, shared like the page's)."""
    handle = ServiceHandle(Settings(store=str(seed_service.store.path), reader="offline", warm_up=False))
    handle._service = seed_service
    return handle


def test_a_question_is_answered_and_the_same_request_comes_from_the_cache(seed_handle):
    request = QueryRequest("When does the Iran–Russia treaty expire?", k=3)
    first = run_query(seed_handle, request)
    assert first.kind is QueryKind.ASK and not first.error and not first.cached
    assert first.ask.answers[0].text == "next March"
    assert Path(first.ask.answers[0].path).name == TREATY_ARTICLE
    again = run_query(seed_handle, request)
    assert again.cached and again.ask is first.ask


def test_keywords_are_searched_and_bad_input_is_one_line(seed_handle):
    outcome = run_query(seed_handle, QueryRequest("Putin sanctions", k=4))
    assert outcome.kind is QueryKind.SEARCH and 0 < len(outcome.search.hits) <= 4
    bad = run_query(seed_handle, QueryRequest("Putin sanctions", date_from="2020/01/01"))
    assert bad.error == "dates are YYYY-MM-DD, got '2020/01/01'"


def test_filter_menus_list_what_the_store_holds(seed_handle):
    languages, sources = stats_options(seed_handle.service().stats())
    assert languages == ["en", "fa"]
    assert isinstance(sources, list)


def test_uploads_are_indexed_under_their_names_and_oversized_ones_refused(tmp_path):
    handle = ServiceHandle(Settings(store=str(tmp_path / "store"), reader="offline", upload_max_mb=1, warm_up=False))
    report = index_uploads(
        handle,
        [
            ("../news/treaty.txt", b"Iran and Russia signed a treaty.\n\nIt ends next March."),
            ("empty.txt", b""),
            ("big.txt", b"x" * (2 * 2**20)),
        ],
    )
    assert report.error == ""
    assert report.summary["indexed"] == 1
    assert report.summary["skipped"] == [{"path": "empty.txt", "reason": "empty file"}]
    assert report.rejected == [("big.txt", "file too large (2.0 MB > 1 MB)")]
    assert handle.service().stats()["articles"] == 1
    handle.service().close()
