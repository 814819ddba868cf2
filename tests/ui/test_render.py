"""What the page shows: document text and file names escaped, answers marked at the right characters, and each
item laid out in its own direction (Persian right-to-left, English left-to-right)."""

from __future__ import annotations

import re
from types import SimpleNamespace

from kavosh.ui import render

SCRIPT = "<script>alert(1)</script>"


def hit(**overrides):
    fields = {
        "doc_id": "d1",
        "title": "Title",
        "path": "/news/a.txt",
        "lang": "en",
        "score": 0.5,
        "text": "Some text.",
        "start": 0,
        "end": 10,
        "source": "",
        "url": "",
        "published": "",
        "matches": [],
    }
    return SimpleNamespace(**(fields | overrides))


def answer_in(context: str, answer_text: str, lang: str = "en", base: int = 100, **overrides):
    offset = context.index(answer_text)
    fields = {
        "text": answer_text,
        "score": 0.9,
        "doc_id": "d1",
        "title": "T",
        "path": "/news/a.txt",
        "lang": lang,
        "context": context,
        "start": base + offset,
        "end": base + offset + len(answer_text),
        "context_start": base,
        "context_end": base + len(context),
        "source": "",
        "url": "",
        "published": "",
    }
    return SimpleNamespace(**(fields | overrides))


def marked(html: str) -> list[str]:
    return re.findall(r'<mark class="kavosh-answer">(.*?)</mark>', html)


# ------------------------------------------------------------------------------------------------ escaping
def test_script_in_document_text_is_escaped_in_every_view():
    text = f"Before {SCRIPT} after."
    views = [
        render.hit_card_html(hit(text=text, title=SCRIPT, source=SCRIPT), 1),
        render.answer_card_html(answer_in(text, "after"), 1, reader="offline"),
        render.article_html(hit(text=text, title=SCRIPT), passage=(0, 6), answer=(0, 6)),
    ]
    for view in views:
        assert "<script" not in view
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in view


def test_file_name_with_html_is_escaped_in_meta_and_upload_summary():
    name = '<img src=x onerror="alert(1)">.txt'
    meta = render.meta_html(hit(path=f"/tmp/{name}", title=""))
    summary = render.upload_summary_html({"indexed": 0, "skipped": [{"path": name, "reason": "empty file"}]})
    for view in (meta, summary):
        assert "<img" not in view
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;.txt" in view


def test_only_http_urls_become_links():
    assert 'href="https://example.com/a?x=1&amp;y=2"' in render.meta_html(hit(url="https://example.com/a?x=1&y=2"))
    js = render.meta_html(hit(url="javascript:alert(1)"))
    assert "href" not in js


# ------------------------------------------------------------------------------------------------ highlights
def test_answer_is_marked_inside_its_passage():
    context = "He said that Tehran and Moscow will pursue extension of their treaty which will end next March."
    card = render.answer_card_html(answer_in(context, "next March"), 1, reader="offline")
    assert marked(card) == ["next March"]
    assert "score 0.900" in card and "reader offline" in card


def test_persian_offsets_with_zwnj_mark_the_exact_words():
    # ZWNJ (U+200C) inside "می‌شود" and "همکاری‌ها" is one character; offsets must still land on word edges.
    context = "همکاری\u200cهای ایران و روسیه بیشتر می\u200cشود و معاهده در اسفند تمام می\u200cشود."
    answer = "در اسفند"
    card = render.answer_card_html(answer_in(context, answer, lang="fa"), 1, reader="offline")
    assert marked(card) == [answer]
    start = context.index("تمام")
    article = render.article_html(
        hit(text=context, lang="fa"), passage=(start, len(context)), answer=(start, start + len("تمام می\u200cشود"))
    )
    assert marked(article) == ["تمام می\u200cشود"]


def test_highlight_escapes_after_cutting_so_offsets_index_the_raw_text():
    text = "a < b & c > d"
    html = render.highlight_html(text, answer=(text.index("&"), text.index("&") + 1))
    assert marked(html) == ["&amp;"]
    assert html.replace('<mark class="kavosh-answer">', "").replace("</mark>", "") == "a &lt; b &amp; c &gt; d"


def test_article_highlights_passage_in_place_with_one_anchor():
    text = "First paragraph.\n\nThe treaty will end next March.\n\nLast paragraph."
    p_start = text.index("The treaty")
    p_end = p_start + len("The treaty will end next March.")
    a_start = text.index("next March")
    html = render.article_html(hit(text=text), passage=(p_start, p_end), answer=(a_start, a_start + 10))
    body = re.search(r'<div class="kavosh-article-body">(.*)</div></div>$', html, re.S).group(1)
    assert body.count(f'id="{render.PASSAGE_ANCHOR}"') == 1
    assert re.sub(r"<[^>]+>", "", body) == text  # whole article, nothing lost or moved
    passage = re.search(r'<span class="kavosh-passage"[^>]*>(.*?)</span>', body, re.S).group(1)
    assert passage == 'The treaty will end <mark class="kavosh-answer">next March</mark>.'


def test_long_gaps_are_shortened_without_moving_the_highlight():
    context = "\n\nروحانی گفت:\n\n\n  \n\nمعاهده در اسفند تمام می\u200cشود.\n"
    card = render.answer_card_html(answer_in(context, "اسفند", lang="fa"), 1, reader="offline")
    passage = re.search(r'<div class="kavosh-passage-text">(.*?)</div>', card, re.S).group(1)
    assert passage == 'روحانی گفت:\n\nمعاهده در <mark class="kavosh-answer">اسفند</mark> تمام می\u200cشود.'


def test_long_titles_are_cut_with_the_full_title_in_the_tooltip():
    title = "Iranian Ambassador " * 20
    meta = render.meta_html(hit(title=title))
    assert "…" in meta and f'title="{title.strip()}"' in meta


def test_spans_out_of_range_are_clipped_not_crashing():
    assert render.highlight_html("short", passage=(3, 99), answer=(50, 60)) == (
        'sho<span class="kavosh-passage">rt</span>'
    )
    assert render.highlight_html("", passage=(0, 5)) == ""


# ------------------------------------------------------------------------------------------------ direction
def test_each_item_gets_its_own_direction_and_persian_font():
    fa = render.hit_card_html(hit(lang="fa", text="معاهده ایران و روسیه"), 1)
    en = render.hit_card_html(hit(lang="en", text="Iran and Russia"), 2)
    assert 'dir="rtl" lang="fa" class="kavosh-fa"' in fa
    assert 'dir="ltr" lang="en"' in en
    assert '"Vazirmatn", "Noto Naskh Arabic"' in render.PAGE_CSS


def test_direction_from_text_when_language_is_unknown():
    assert render.text_direction(None, "«سلام» hello") == "rtl"
    assert render.text_direction("", "123 hello سلام") == "ltr"
    assert render.text_direction("", "") == "ltr"


def test_paths_stay_left_to_right_inside_persian_items():
    meta = render.meta_html(hit(lang="fa", title="خبر", path="/news/fa/001.txt", published="2020-07-21T10:00:00"))
    assert '<bdi class="kavosh-path" dir="ltr">/news/fa/001.txt</bdi>' in meta
    assert "2020-07-21<" in meta and "T10:00" not in meta
    assert "فارسی" in meta


def test_upload_summary_counts_and_reasons():
    html = render.upload_summary_html(
        {"indexed": 2, "unchanged": 1, "skipped": [{"path": "bad.json", "reason": "malformed JSON (line 1)"}]},
        rejected=[("big.csv", "file too large (60.0 MB > 50 MB)")],
    )
    assert "indexed 2 · unchanged 1 · skipped 2" in html
    assert "bad.json</bdi>: malformed JSON (line 1)" in html and "big.csv</bdi>: file too large" in html


def test_hit_card_marks_the_words_the_query_matched_and_escapes_the_rest():
    from kavosh.text.analysis import matched_spans

    text = "Putin <b>said</b> US sanctions & تحریم‌های آمريكا"
    card = render.hit_card_html(hit(text=text, matches=matched_spans("Putin sanction تحریم های آمریکا", text)), 1)
    assert re.findall(r'<mark class="kavosh-match">(.*?)</mark>', card) == ["Putin", "sanctions", "تحریم‌های آمريكا"]
    assert "&lt;b&gt;said&lt;/b&gt;" in card and "&amp;" in card


def test_hit_card_says_how_many_more_passages_its_article_has():
    assert "+3 more passages from this article" in render.hit_card_html(hit(more_passages=3), 1)
    assert "+1 more passage from this article" in render.hit_card_html(hit(more_passages=1), 1)
    assert "more passage" not in render.hit_card_html(hit(), 1)


def test_hit_card_shows_a_score_only_when_asked():
    assert "cosine 0.812" in render.hit_card_html(hit(score=0.8123), 1, show_score=True)
    plain = render.hit_card_html(hit(score=0.8123), 1)
    assert "#1" in plain and "0.812" not in plain and "score" not in plain
