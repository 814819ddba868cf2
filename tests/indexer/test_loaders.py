"""Tests for kavosh.indexer.loaders: files and folders in every supported format and encoding -> articles or skips."""

from __future__ import annotations

import codecs
import json
import random
from pathlib import Path

import pytest

from kavosh.indexer import loaders
from kavosh.indexer.loaders import (
    Article,
    Skipped,
    decode_bytes,
    iter_files,
    load_file,
    load_paths,
)

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "seeds"

PERSIAN = (
    "روحانی در گفت‌وگوی تلفنی با رئیس جمهور روسیه گفت همکاری‌های دو کشور در مبارزه با ویروس کرونا باید گسترش یابد.\n"
    "پوتین نیز از پیشنهادهای ایران استقبال کرد و گفت‌وگوها ادامه خواهد داشت.\n"
)
# Windows-1256 has no Persian yeh (U+06CC): legacy Persian files use the Arabic yeh (U+064A).
PERSIAN_1256 = PERSIAN.replace("ی", "ي")
FRENCH = (
    "Le président iranien a déclaré mardi que la coopération économique avec la Russie était « essentielle ».\n"
    "Les deux pays ont décidé de poursuivre leurs échanges commerciaux malgré l’épidémie.\n"
)
GERMAN = (
    "Der iranische Präsident äußerte sich am Dienstag über die schwierige Lage.\n"
    "Gespräche über Zölle und Handel würden fortgeführt, hieß es aus Moskau.\n"
)


def write(folder: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    """Write a fixture file (text in the given encoding, or raw bytes) and return its resolved path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path.resolve()


def load_all(path: Path, **kwargs) -> list[Article | Skipped]:
    return list(load_file(path, **kwargs))


def only_article(path: Path, **kwargs) -> Article:
    items = load_all(path, **kwargs)
    assert len(items) == 1 and isinstance(items[0], Article), items
    return items[0]


def only_skip(path: Path, **kwargs) -> Skipped:
    items = load_all(path, **kwargs)
    assert len(items) == 1 and isinstance(items[0], Skipped), items
    return items[0]


# --- plain text and Markdown ------------------------------------------------------------------------------------


def test_txt_text_is_the_decoded_file_unchanged(tmp_path: Path) -> None:
    raw = "\n\n  First line is the title  \r\nSecond line\twith tab.  \r\n\r\nLast paragraph, no newline"
    path = write(tmp_path, "story.txt", raw)
    article = only_article(path)
    assert article.text == raw  # CRLF, tabs, leading blank lines and spaces all kept: offsets index the file
    assert article.title == "First line is the title"
    assert article.path == str(path) and article.key == str(path)
    assert (article.format, article.encoding, article.lang) == ("txt", "utf-8", "en")
    assert (article.source, article.url, article.published) == ("", "", "")


def test_utf8_bom_is_stripped_and_nothing_else(tmp_path: Path) -> None:
    path = write(tmp_path, "fa.txt", PERSIAN, encoding="utf-8-sig")
    article = only_article(path)
    assert article.text == PERSIAN
    assert article.encoding == "utf-8-sig"
    start = PERSIAN.index("پوتین")
    assert article.text[start : start + 5] == "پوتین"


def test_long_first_line_title_is_clipped_to_300_chars(tmp_path: Path) -> None:
    raw = "word " * 200 + "\nbody"
    article = only_article(write(tmp_path, "long.txt", raw))
    assert 0 < len(article.title) <= 300
    assert article.title.startswith("word word")
    assert article.text == raw


def test_markdown_title_from_heading_and_text_unchanged(tmp_path: Path) -> None:
    raw = "Intro line before the heading\n\n## Iran and Russia agree on trade ##\n\nBody **bold** text.\n"
    article = only_article(write(tmp_path, "note.md", raw))
    assert article.title == "Iran and Russia agree on trade"
    assert article.text == raw
    assert article.format == "md"


def test_markdown_front_matter_gives_metadata(tmp_path: Path) -> None:
    raw = "---\ntitle: From front matter\ndate: 1399/05/01\nurl: https://www.irna.ir/news/1\n---\n# Heading\nBody.\n"
    article = only_article(write(tmp_path, "fm.markdown", raw))
    assert article.title == "From front matter"
    assert article.published == "2020-07-22"
    assert article.url == "https://www.irna.ir/news/1" and article.source == "irna.ir"
    assert article.text == raw


# --- encodings --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "codec", "expected_encoding", "lang"),
    [
        (PERSIAN, "utf-8", "utf-8", "fa"),
        (PERSIAN, "utf-8-sig", "utf-8-sig", "fa"),
        (PERSIAN, "utf-16", "utf-16", "fa"),  # with BOM
        (PERSIAN, "utf-16-le", "utf-16-le", "fa"),  # no BOM
        (PERSIAN, "utf-16-be", "utf-16-be", "fa"),  # no BOM
        (PERSIAN_1256, "cp1256", "cp1256", "fa"),
        (FRENCH, "utf-8", "utf-8", "en"),
        (FRENCH, "utf-16", "utf-16", "en"),
        (FRENCH, "utf-16-le", "utf-16-le", "en"),
        (FRENCH, "cp1252", "cp1252", "en"),  # the « » ’ bytes are in 0x80-0x9f: cp1252, not latin-1
        (GERMAN, "latin-1", "latin-1", "en"),
        (GERMAN, "cp1252", "latin-1", "en"),  # identical bytes: both names decode it the same way
    ],
)
def test_encodings_round_trip(tmp_path: Path, text: str, codec: str, expected_encoding: str, lang: str) -> None:
    article = only_article(write(tmp_path, "a.txt", text, encoding=codec))
    assert article.text == text
    assert article.encoding == expected_encoding
    assert article.lang == lang


@pytest.mark.parametrize(
    ("text", "codec", "expected"),
    [
        ("پژوهش", "cp1256", "cp1256"),  # a single Persian word: no spaces, letters only in 0x81-0xff
        ("سلام دنيا", "cp1256", "cp1256"),
        ("café", "cp1252", "latin-1"),  # é is the same byte in cp1256, but no Arabic letter appears
        ("Grüße aus Köln", "cp1252", "latin-1"),  # ß and ö are Arabic letters in cp1256, inside Latin words
        ("Zölle", "latin-1", "latin-1"),
    ],
)
def test_short_legacy_texts_pick_the_right_code_page(text: str, codec: str, expected: str) -> None:
    assert decode_bytes(text.encode(codec)) == (text, expected)


def test_mostly_utf8_with_one_broken_byte_stays_utf8() -> None:
    data = PERSIAN.encode("utf-8")
    data = data[:40] + b"\xff" + data[40:]
    text, encoding = decode_bytes(data)
    assert encoding == "utf-8"
    assert "\ufffd" in text and "پوتین" in text


def test_html_declared_charset_is_used_for_legacy_bytes(tmp_path: Path) -> None:
    html = '<html><head><meta charset="windows-1256"><title>خبر</title></head><body><p>سلام دنيا</p></body></html>'
    article = only_article(write(tmp_path, "old.html", html, encoding="cp1256"))
    assert article.encoding == "cp1256"
    assert article.text == "سلام دنيا" and article.title == "خبر"


# --- bad files --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"", b"   \n\t\r\n  ", "  \n".encode("utf-16"), "\ufeff\n".encode("utf-16"), codecs.BOM_UTF8 + b"\n"],
)
def test_empty_file_is_skipped(tmp_path: Path, content: bytes) -> None:
    assert only_skip(write(tmp_path, "empty.txt", content)).reason == "empty file"


def test_binary_file_is_skipped(tmp_path: Path) -> None:
    rng = random.Random(7)
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(rng.randrange(256) for _ in range(4000))
    skip = only_skip(write(tmp_path, "photo.txt", png))
    assert skip.reason == "binary file"
    assert skip.path == str(tmp_path.resolve() / "photo.txt")


def test_control_characters_without_nul_are_binary(tmp_path: Path) -> None:
    data = bytes([1, 2, 3, 4, 5, 6, 7, 8, 14, 15]) * 50 + b"some text"
    assert only_skip(write(tmp_path, "ctl.txt", data)).reason == "binary file"


def test_too_large_file_is_skipped(tmp_path: Path) -> None:
    path = write(tmp_path, "big.txt", "x" * 5000)
    skip = only_skip(path, max_bytes=1024)
    assert skip.reason == "file too large (5 KB > 1 KB)"
    big = write(tmp_path, "big2.txt", b"y" * (3 * 2**20))
    assert only_skip(big, max_bytes=2**20).reason == "file too large (3.0 MB > 1.0 MB)"
    assert only_article(path, max_bytes=5000).text == "x" * 5000  # exactly at the limit is fine


def test_unsupported_extension_given_to_load_file(tmp_path: Path) -> None:
    assert only_skip(write(tmp_path, "report.pdf", b"%PDF-1.4")).reason == "unsupported file type (.pdf)"


def test_loader_error_becomes_one_skip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> list[Article]:
        raise RuntimeError("boom")

    monkeypatch.setitem(loaders.files._LOADERS, loaders.FileFormat.TXT, broken)
    skip = only_skip(write(tmp_path, "a.txt", "hello"))
    assert skip.reason == "cannot load file (boom)"


# --- HTML -------------------------------------------------------------------------------------------------------

NEWS_PAGE = """<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8">
<title>Iran and Russia talk trade | Example News</title>
<meta property="og:title" content="Iran &amp; Russia talk trade">
<meta property="og:site_name" content="Example News">
<meta property="article:published_time" content="2020-07-22T10:15:00+04:30">
<link rel="canonical" href="https://www.example.com/news/iran-russia">
<script>var tracking = "SCRIPT TEXT";</script><style>p { color: red }</style>
</head><body>
<header><div class="logo">HEADER TEXT</div></header>
<nav><ul><li><a href="/">NAV HOME</a></li><li>NAV WORLD</li></ul></nav>
<div class="breadcrumb">BREADCRUMB TEXT</div>
<div class="page has-sidebar">
  <article>
    <h1>Iran and Russia talk trade</h1>
    <div class="share-buttons">SHARE TEXT</div>
    <p>President Rouhani spoke with Vladimir Putin by telephone on Tuesday &amp; discussed trade.</p>
    <p>Both sides agreed to   continue
       cooperation.<br>They spoke for an hour.</p>
    <blockquote>"We will work together," he said.</blockquote>
    <ul class="related-links"><li>RELATED TEXT</li></ul>
  </article>
  <aside>ASIDE TEXT</aside>
  <div class="sidebar-widget">SIDEBAR TEXT</div>
</div>
<div id="comments">COMMENT TEXT</div>
<div class="advert">ADVERT TEXT</div>
<noscript>NOSCRIPT TEXT</noscript>
<form>FORM TEXT</form>
<div role="navigation">ROLE NAV TEXT</div>
<footer>FOOTER TEXT</footer>
</body></html>"""


def test_html_main_text_without_boilerplate(tmp_path: Path) -> None:
    article = only_article(write(tmp_path, "page.html", NEWS_PAGE))
    assert article.text == (
        "Iran and Russia talk trade\n\n"
        "President Rouhani spoke with Vladimir Putin by telephone on Tuesday & discussed trade.\n\n"
        "Both sides agreed to continue cooperation.\nThey spoke for an hour.\n\n"
        '"We will work together," he said.'
    )
    for noise in ("SCRIPT", "HEADER", "NAV", "BREADCRUMB", "SHARE", "RELATED", "ASIDE", "SIDEBAR", "COMMENT",
                  "ADVERT", "NOSCRIPT", "FORM", "FOOTER", "color"):  # fmt: skip
        assert noise not in article.text
    assert article.title == "Iran & Russia talk trade"
    assert article.published == "2020-07-22T10:15:00+04:30"
    assert article.url == "https://www.example.com/news/iran-russia"
    assert article.source == "Example News"
    assert (article.lang, article.format, article.key) == ("en", "html", str(tmp_path.resolve() / "page.html"))


def test_html_fallbacks_title_tag_time_element_host_and_detected_lang(tmp_path: Path) -> None:
    page = """<html><head><title>  تماس تلفنی روحانی و پوتین | خبرگزاری  </title>
    <meta property="og:url" content="https://www.farsnews.ir/news/123"></head>
    <body><div class="menu">منو اصلی</div>
    <div class="content"><p>حسن روحانی در تماس تلفنی با ولادیمیر پوتین گفت‌وگو کرد.</p>
    <p>دو طرف بر همکاری تاکید کردند.</p><time datetime="1399-05-01">۱ مرداد ۱۳۹۹</time></div></body></html>"""
    article = only_article(write(tmp_path, "fa.htm", page))
    assert article.title == "تماس تلفنی روحانی و پوتین | خبرگزاری"
    assert article.text.startswith("حسن روحانی در تماس تلفنی با ولادیمیر پوتین گفت‌وگو کرد.\n\nدو طرف")
    assert "منو" not in article.text
    assert article.published == "2020-07-22"
    assert article.source == "farsnews.ir" and article.url == "https://www.farsnews.ir/news/123"
    assert article.lang == "fa"


def test_html_title_from_h1_and_main_preferred_over_body(tmp_path: Path) -> None:
    page = """<html><body><div>OUTSIDE MAIN</div>
    <main><h1>Only a heading</h1><p>Main story text.</p></main></body></html>"""
    article = only_article(write(tmp_path, "m.html", page))
    assert article.title == "Only a heading"
    assert article.text == "Only a heading\n\nMain story text."


def test_html_without_text_is_skipped(tmp_path: Path) -> None:
    page = "<html><head><title>x</title><script>alert(1)</script></head><body><nav>Home</nav></body></html>"
    assert only_skip(write(tmp_path, "blank.html", page)).reason == "no text in HTML"


# --- JSON / JSONL -----------------------------------------------------------------------------------------------


def test_json_single_object(tmp_path: Path) -> None:
    record = {
        "Headline": "Iran and Russia",
        "body": "  Full body text.  ",
        "abstract": "The lead, above the body.",
        "published_at": "Wed, 22 Jul 2020 10:00:00 +0000",
        "link": "https://www.tehrantimes.com/news/1",
        "language": "en-US",
        "id": 99,
    }
    path = write(tmp_path, "one.json", json.dumps(record))
    article = only_article(path)
    assert article.text == "The lead, above the body.\n\nFull body text."
    assert article.title == "Iran and Russia"
    assert article.published == "2020-07-22T10:00:00+00:00"
    assert article.url == "https://www.tehrantimes.com/news/1" and article.source == "tehrantimes.com"
    assert article.key == str(path)  # a single-article file is keyed by its path
    assert (article.lang, article.format) == ("en", "json")


def test_json_array_keys_paragraphs_summary_and_jalali(tmp_path: Path) -> None:
    records = [
        {"title": "فارس", "paragraphs": ["بند اول.", "", "بند دوم."], "date": "1399/05/01", "id": "fn-1"},
        {"title": "Summary", "paragraphs": ["."], "description": "Just a summary.", "source": {"name": "BBC News"}},
        {"title": "No text at all"},
        {"text": "Lang field wins.", "lang": "fa", "publisher": "IRNA", "date": 1595412000},
    ]
    path = write(tmp_path, "many.json", json.dumps({"articles": records}, ensure_ascii=False))
    items = load_all(path)
    articles = [i for i in items if isinstance(i, Article)]
    assert [a.key for a in articles] == [f"{path}#fn-1", f"{path}#2", f"{path}#4"]
    assert articles[0].text == "بند اول.\n\nبند دوم."
    assert (articles[0].published, articles[0].lang) == ("2020-07-22", "fa")
    assert articles[1].text == "Just a summary." and articles[1].source == "BBC News"
    assert articles[2].lang == "fa"  # from the record, not detected (the text is English)
    assert (articles[2].source, articles[2].published) == ("IRNA", "2020-07-22T10:00:00+00:00")
    assert [i for i in items if isinstance(i, Skipped)] == [Skipped(str(path), "record 3: no text field")]


def test_json_with_no_usable_record_gives_one_skip(tmp_path: Path) -> None:
    squad_like = {"data": [{"title": "t", "paragraphs": [{"context": "c", "qas": []}]} for _ in range(50)]}
    skip = only_skip(write(tmp_path, "squad.json", json.dumps(squad_like)))
    assert skip.reason == "no text field in any of 50 records"


def test_malformed_json_file(tmp_path: Path) -> None:
    skip = only_skip(write(tmp_path, "bad.json", '{"text": "a",\n "title": }'))
    assert skip.reason.startswith("malformed JSON (line 2")


def test_jsonl_keeps_good_lines_and_names_the_bad_ones(tmp_path: Path) -> None:
    lines = [
        json.dumps({"text": "First article.", "title": "One"}),
        '{"text": "broken", ',
        "",
        json.dumps({"text": "Third article.", "id": "x3", "url": "https://apnews.com/a"}),
        json.dumps({"title": "no text"}),
    ]
    path = write(tmp_path, "feed.jsonl", "\n".join(lines) + "\n")
    items = load_all(path)
    assert [(type(i).__name__, getattr(i, "key", None) or i.reason) for i in items] == [
        ("Article", f"{path}#1"),
        ("Skipped", "line 2: malformed JSON"),
        ("Article", f"{path}#x3"),
        ("Skipped", "line 5: no text field"),
    ]
    assert items[2].source == "apnews.com" and items[2].format == "jsonl"


def test_json_lines_saved_as_json_and_pretty_json_saved_as_ndjson(tmp_path: Path) -> None:
    lines = "\n".join(json.dumps({"text": f"Article {i}."}) for i in range(3))
    assert [a.text for a in load_all(write(tmp_path, "lines.json", lines))] == [
        "Article 0.",
        "Article 1.",
        "Article 2.",
    ]
    pretty = json.dumps([{"text": "A."}, {"text": "B."}], indent=2)
    assert [a.text for a in load_all(write(tmp_path, "pretty.ndjson", pretty))] == ["A.", "B."]


# --- CSV --------------------------------------------------------------------------------------------------------


def test_csv_semicolon_delimiter_and_row_numbers(tmp_path: Path) -> None:
    body = "Long text, with commas, many commas, and more commas, " * 3
    csv_text = (
        "ID;Title;Text;Date;URL\n"
        f'a1;First;"{body}";2020-07-22;https://www.reuters.com/x\n'
        "a2;No text here;;2020-07-23;\n"
        ';Third;"Multi\nline text";22 Jul 2020;\n'
    )
    path = write(tmp_path, "news.csv", csv_text, encoding="utf-8-sig")  # as Excel saves it
    items = load_all(path)
    assert [type(i).__name__ for i in items] == ["Article", "Skipped", "Article"]
    first, skip, third = items
    assert first.text == body.strip() and first.title == "First" and first.key == f"{path}#a1"
    assert (first.published, first.source, first.format) == ("2020-07-22", "reuters.com", "csv")
    assert first.encoding == "utf-8-sig"
    assert skip.reason == "row 3: no text field"
    assert third.text == "Multi\nline text" and third.key == f"{path}#4" and third.published == "2020-07-22"


def test_csv_tab_delimiter_description_column_and_huge_field(tmp_path: Path) -> None:
    huge = "word " * 60_000  # 300 KB: beyond the csv module's default field size limit
    path = write(tmp_path, "feed.csv", f"label\ttitle\tdescription\n3\tBig one\t{huge}\n")
    article = only_article(path)
    assert article.text == huge.strip() and article.title == "Big one" and article.key == f"{path}#2"


def test_csv_without_text_column_is_one_skip(tmp_path: Path) -> None:
    skip = only_skip(write(tmp_path, "nums.csv", "a,b,c\n1,2,3\n"))
    assert skip.reason == "no text column in the CSV header (found: a, b, c)"


# --- files and folders ------------------------------------------------------------------------------------------


def test_iter_files_recursion_order_hidden_and_unsupported(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    for name in ["b.txt", "a.md", "sub/z.csv", "sub/a.json", "a_dir/x.htm", "C.TXT", "notes.pdf", ".hidden.txt",
                 ".git/config.txt", "sub/.cache/c.txt", "data.jsonl", "feed.NDJSON", "page.html"]:  # fmt: skip
        write(root, name, "text")
    got = [p.relative_to(root.resolve()).as_posix() for p in iter_files([root])]
    assert got == ["C.TXT", "a.md", "a_dir/x.htm", "b.txt", "data.jsonl", "feed.NDJSON", "page.html", "sub/a.json",
                   "sub/z.csv"]  # fmt: skip
    assert got == [p.relative_to(root.resolve()).as_posix() for p in iter_files([root])]  # same order every run


def test_iter_files_explicit_paths(tmp_path: Path) -> None:
    good = write(tmp_path, "a.txt", "hi")
    pdf = write(tmp_path, "b.pdf", b"%PDF")
    hidden = write(tmp_path, ".secret.txt", "explicitly named")
    missing = tmp_path / "nope.txt"
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    items = list(iter_files([good, str(pdf), missing, hidden, good, empty_dir]))
    assert items == [
        good,
        Skipped(str(pdf), "unsupported file type (.pdf)"),
        Skipped(str(missing.resolve()), "no such file or directory"),
        hidden,  # named explicitly, so not ignored
        Skipped(str(empty_dir.resolve()), "no supported files in folder"),
    ]


def test_load_paths_mixes_articles_and_skips(tmp_path: Path) -> None:
    write(tmp_path, "d/1.txt", "English article text about trade.")
    write(tmp_path, "d/2.txt", b"")
    write(tmp_path, "d/3.jsonl", '{"text": "one"}\nnot json\n')
    items = list(load_paths([tmp_path / "d", tmp_path / "missing.md"]))
    summary = [(Path(i.path).name, i.reason if isinstance(i, Skipped) else i.text) for i in items]
    assert summary == [
        ("1.txt", "English article text about trade."),
        ("2.txt", "empty file"),
        ("3.jsonl", "one"),
        ("3.jsonl", "line 2: malformed JSON"),
        ("missing.md", "no such file or directory"),
    ]


# --- the project's seed articles --------------------------------------------------------------------------------


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed corpus not found at {SEEDS}")
def test_seed_articles_load_with_languages_and_titles() -> None:
    articles = list(load_paths([SEEDS]))
    assert all(isinstance(a, Article) for a in articles) and len(articles) == 5
    assert [a.lang for a in articles] == ["en", "fa", "en", "en", "en"]
    for article in articles:
        raw = Path(article.path).read_bytes().decode("utf-8")
        assert article.text == raw
        first_line = next(line.strip() for line in raw.splitlines() if line.strip())
        assert article.title == first_line[:300] or first_line.startswith(article.title)
        assert 0 < len(article.title) <= 300
    assert articles[1].title.startswith("روحانی توسعه همکاری های ایران و روسیه را ضروری خوانده")
    assert (
        articles[4].title
        == "Home » Press » International News » Iranian top diplomat hands over President Rouhani’s message to Putin"
    )
