"""Pure HTML builders for the Streamlit page: escaped text, answers marked in their passages, direction per item.

Everything that comes from a document (text, title, source, path, url) or from a user (file names) is escaped
here; the page never renders document text as HTML. Offsets are Python string offsets (code points), the same
the service returns, so a ZWNJ in Persian text counts as one character on both sides.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import PurePath
from typing import Any, Protocol

PERSIAN_FONT_STACK = '"Vazirmatn", "Noto Naskh Arabic", "Noto Sans Arabic", "Tahoma", sans-serif'
RTL_LANGS = frozenset({"fa", "ar", "ur", "ps", "ckb", "he", "yi"})
LANG_LABELS = {"en": "English", "fa": "فارسی"}
PASSAGE_ANCHOR = "kavosh-passage"
MAX_TITLE_CHARS = 160
_BLANK_RUNS = re.compile(r"\n[ \t\u00a0]*(?:\n[ \t\u00a0]*)+")

PAGE_CSS = f"""
<style>
.kavosh-card {{
  border: 1px solid rgba(128, 128, 128, 0.35); border-radius: 0.5rem; padding: 0.6rem 0.9rem; margin: 0.4rem 0;
}}
.kavosh-card[dir="rtl"], .kavosh-article[dir="rtl"] {{ text-align: right; }}
.kavosh-card[dir="ltr"], .kavosh-article[dir="ltr"] {{ text-align: left; }}
[lang="fa"], .kavosh-fa {{ font-family: {PERSIAN_FONT_STACK}; line-height: 1.9; }}
.kavosh-answer-line {{ font-size: 1.15rem; font-weight: 600; margin-bottom: 0.3rem; }}
.kavosh-passage-text, .kavosh-article-body {{ white-space: pre-line; }}
.kavosh-article-body {{ max-height: 70vh; overflow-y: auto; padding: 0.5rem 0.8rem;
  border: 1px solid rgba(128, 128, 128, 0.35); border-radius: 0.5rem; }}
mark.kavosh-answer {{ background: #ffe066; color: #000; padding: 0 0.1em; border-radius: 0.15em; }}
.kavosh-more {{ font-size: 0.85rem; opacity: 0.75; margin-top: 0.2rem; }}
mark.kavosh-match {{ background: none; color: inherit; font-weight: 700; border-bottom: 2px solid #f0b400; }}
.kavosh-passage {{ background: rgba(255, 224, 102, 0.28); }}
.kavosh-meta {{ color: rgba(110, 110, 110, 1); font-size: 0.85rem; margin-top: 0.3rem; }}
.kavosh-meta .kavosh-title {{ font-weight: 600; color: inherit; }}
.kavosh-badge {{ display: inline-block; font-size: 0.8rem; padding: 0 0.45em; margin: 0 0.2em;
  border-radius: 0.6em; background: rgba(128, 128, 128, 0.18); unicode-bidi: isolate; }}
.kavosh-path {{ font-family: monospace; font-size: 0.8rem; }}
.stTextInput input {{ unicode-bidi: plaintext; }}
[data-testid="InputInstructions"] {{ display: none; }}
.kavosh-head {{ margin-bottom: 0.25rem; }}
</style>
"""

# Run after the article view renders; static code, no document content in it.
SCROLL_TO_PASSAGE_JS = (
    "<script>setTimeout(function () {"
    f" var el = document.getElementById('{PASSAGE_ANCHOR}');"
    " if (el) { el.scrollIntoView({block: 'center'}); } }, 300);</script>"
)


class CitedText(Protocol):
    """What a card needs from a ``SearchHit``, an ``Answer`` or a ``StoredArticle``."""

    title: str
    path: str
    lang: str
    source: str
    url: str
    published: str


def escape(text: Any) -> str:
    """HTML-escape any value (quotes included, so it is safe inside attributes too)."""
    return html.escape("" if text is None else str(text), quote=True)


def text_direction(lang: str | None, text: str = "") -> str:
    """``"rtl"`` or ``"ltr"``: from the language code, else from the first strong character of ``text``."""
    if lang:
        return "rtl" if lang.lower() in RTL_LANGS else "ltr"
    for ch in text:
        bidi = unicodedata.bidirectional(ch)
        if bidi in ("R", "AL"):
            return "rtl"
        if bidi == "L":
            return "ltr"
    return "ltr"


def lang_attrs(lang: str | None, text: str = "") -> str:
    """``dir``/``lang``/``class`` attributes for one item, so mixed-language lists align per item."""
    direction = text_direction(lang, text)
    code = escape(lang or "")
    classes = "kavosh-fa" if (lang or "").lower() == "fa" else ""
    attrs = f'dir="{direction}"'
    if code:
        attrs += f' lang="{code}"'
    if classes:
        attrs += f' class="{classes}"'
    return attrs


def _clip(span: tuple[int, int] | None, n: int) -> tuple[int, int] | None:
    if span is None:
        return None
    start, end = max(0, min(span[0], n)), max(0, min(span[1], n))
    return (start, end) if start < end else None


def highlight_html(
    text: str,
    passage: tuple[int, int] | None = None,
    answer: tuple[int, int] | None = None,
    passage_id: str | None = None,
) -> str:
    """Escaped ``text`` with ``text[passage]`` in a passage span and ``text[answer]`` in ``<mark>``.

    Offsets are cut before escaping, so they index the raw text. Spans outside the text are clipped; an answer
    that crosses the passage's edge is still marked whole.

    :param passage: ``(start, end)`` of the cited passage, or ``None``.
    :param answer: ``(start, end)`` of the answer, or ``None``.
    :param passage_id: ``id`` for the passage span (an anchor to scroll to).
    :returns: HTML with only ``<span class="kavosh-passage">`` and ``<mark class="kavosh-answer">`` tags added.
    """
    n = len(text)
    passage, answer = _clip(passage, n), _clip(answer, n)
    cuts = sorted({0, n, *(passage or ()), *(answer or ())})
    out: list[str] = []
    in_passage = False
    for start, end in zip(cuts, cuts[1:], strict=False):
        inside_passage = passage is not None and passage[0] <= start and end <= passage[1]
        inside_answer = answer is not None and answer[0] <= start and end <= answer[1]
        if inside_passage and not in_passage:
            anchor = f' id="{escape(passage_id)}"' if passage_id else ""
            out.append(f'<span class="kavosh-passage"{anchor}>')
            passage_id = None  # one anchor only
            in_passage = True
        elif not inside_passage and in_passage:
            out.append("</span>")
            in_passage = False
        segment = escape(text[start:end])
        out.append(f'<mark class="kavosh-answer">{segment}</mark>' if inside_answer else segment)
    if in_passage:
        out.append("</span>")
    return "".join(out)


def more_passages_html(hit: Any) -> str:
    """ "+N more passages from this article" under a hit shown by article (nothing when there are none)."""
    n = getattr(hit, "more_passages", 0)
    if not n:
        return ""
    return f'<div class="kavosh-more" dir="ltr">+{n} more passage{"s" if n != 1 else ""} from this article</div>'


def matches_html(text: str, matches: list[tuple[int, int]]) -> str:
    """Escaped ``text`` with each ``text[start:end]`` of `matches` (the words the query matched) in
    ``<mark class="kavosh-match">``; spans outside the text are clipped."""
    out: list[str] = []
    pos = 0
    for span in matches:
        clipped = _clip(span, len(text))
        if clipped is None or clipped[0] < pos:
            continue
        start, end = clipped
        out += [escape(text[pos:start]), f'<mark class="kavosh-match">{escape(text[start:end])}</mark>']
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)


def safe_url(url: str | None) -> str | None:
    """The url if it is http(s), else ``None`` (no ``javascript:`` or ``data:`` links from documents)."""
    url = (url or "").strip()
    return url if url.lower().startswith(("http://", "https://")) else None


def display_title(item: CitedText) -> str:
    """The article's title, else its file name."""
    return item.title or PurePath(item.path or "").name or "(untitled)"


def title_html(item: CitedText, limit: int = MAX_TITLE_CHARS) -> str:
    """The title, cut at ``limit`` characters (the whole title in the tooltip), isolated for bidi."""
    title = " ".join(display_title(item).split())
    shown = title if len(title) <= limit else title[: limit - 1].rstrip() + "…"
    return f'<bdi class="kavosh-title" title="{escape(title)}">{escape(shown)}</bdi>'


def tidy_breaks(html_text: str) -> str:
    """Runs of blank lines shown as one blank line (the page uses ``white-space: pre-line``).

    Only whitespace between newlines is touched, so it is safe on escaped text with highlight tags.
    """
    return _BLANK_RUNS.sub("\n\n", html_text).strip()


def meta_html(item: CitedText, with_title: bool = True) -> str:
    """One line: title, source, date, language, and the url (a link) or the path, each isolated for bidi."""
    parts = [title_html(item)] if with_title else []
    if item.source:
        parts.append(f'<span class="kavosh-badge">{escape(item.source)}</span>')
    if item.published:
        parts.append(f'<span class="kavosh-badge" dir="ltr">{escape(item.published[:10])}</span>')
    if item.lang:
        parts.append(f'<span class="kavosh-badge">{escape(LANG_LABELS.get(item.lang, item.lang))}</span>')
    url = safe_url(item.url)
    if url:
        parts.append(
            f'<a href="{escape(url)}" target="_blank" rel="noopener noreferrer" dir="ltr">{escape(item.url)}</a>'
        )
    if item.path:
        parts.append(f'<bdi class="kavosh-path" dir="ltr">{escape(item.path)}</bdi>')
    return '<div class="kavosh-meta">' + " · ".join(parts) + "</div>"


def answer_card_html(answer: Any, rank: int, reader: str) -> str:
    """An answer card: the answer, its score and reader, the cited passage with the answer marked, the article.

    :param answer: a ``kavosh.qa.results.Answer`` (offsets into the article; ``context`` starts at ``context_start``).
    """
    offset = answer.start - answer.context_start
    passage = tidy_breaks(highlight_html(answer.context, answer=(offset, offset + len(answer.text))))
    return (
        f'<div class="kavosh-card kavosh-answer-card" {lang_attrs(answer.lang, answer.context)}>'
        f'<div class="kavosh-answer-line"><span class="kavosh-badge" dir="ltr">#{rank}</span> '
        f'<bdi class="kavosh-answer-text">{escape(answer.text)}</bdi> '
        f'<span class="kavosh-badge" dir="ltr">score {answer.score:.3f} · reader {escape(reader)}</span></div>'
        f'<div class="kavosh-passage-text">{passage}</div>'
        f"{meta_html(answer)}</div>"
    )


def hit_card_html(hit: Any, rank: int, show_score: bool = False) -> str:
    """A ranked passage card (a ``kavosh.qa.results.SearchHit``): title, passage (the words the query matched
    marked), then source, date, language, path.

    :param show_score: show the hit's score (a cosine similarity; see ``SearchResult.score_shown``), else the rank only.
    """
    score = f" · cosine {hit.score:.3f}" if show_score else ""
    return (
        f'<div class="kavosh-card kavosh-hit-card" {lang_attrs(hit.lang, hit.text)}>'
        f'<div class="kavosh-head"><span class="kavosh-badge" dir="ltr">#{rank}{score}</span> '
        f"{title_html(hit)}</div>"
        f'<div class="kavosh-passage-text">{tidy_breaks(matches_html(hit.text, hit.matches))}</div>'
        f"{more_passages_html(hit)}"
        f"{meta_html(hit, with_title=False)}</div>"
    )


def article_html(article: Any, passage: tuple[int, int] | None = None, answer: tuple[int, int] | None = None) -> str:
    """The full article (a ``StoredArticle``) with the cited passage and answer highlighted in place.

    The passage span carries ``id="kavosh-passage"`` so the page can scroll to it.
    """
    body = highlight_html(article.text, passage=passage, answer=answer, passage_id=PASSAGE_ANCHOR)
    return (
        f'<div class="kavosh-article" {lang_attrs(article.lang, article.text)}>'
        f"<h3>{title_html(article, limit=400)}</h3>"
        f"{meta_html(article, with_title=False)}"
        f'<div class="kavosh-article-body">{tidy_breaks(body)}</div></div>'
    )


def upload_summary_html(summary: Mapping[str, Any], rejected: Iterable[tuple[str, str]] = ()) -> str:
    """The end summary of an upload: indexed / unchanged / skipped counts and one line per skipped file.

    :param summary: ``IndexSummary.to_dict()`` (paths already shown as the uploaded names).
    :param rejected: ``(file name, reason)`` for files refused before indexing (too large, bad name).
    """
    skipped = [(s["path"], s["reason"]) for s in summary.get("skipped", [])] + list(rejected)
    counts = (
        f"indexed {int(summary.get('indexed', 0))} · unchanged {int(summary.get('unchanged', 0))}"
        f" · skipped {len(skipped)}"
    )
    extra = []
    if summary.get("replaced"):
        extra.append(f"replaced {int(summary['replaced'])}")
    if summary.get("chunks"):
        extra.append(f"{int(summary['chunks'])} passages")
    if "seconds" in summary:
        extra.append(f"{float(summary['seconds']):.1f} s")
    if extra:
        counts += " (" + ", ".join(extra) + ")"
    lines = "".join(
        f'<li><bdi class="kavosh-path">{escape(name)}</bdi>: {escape(reason)}</li>' for name, reason in skipped
    )
    return f'<div class="kavosh-upload-summary"><div>{counts}</div>' + (f"<ul>{lines}</ul>" if lines else "") + "</div>"


def stats_html(stats: Mapping[str, Any]) -> str:
    """Store statistics for the sidebar: languages, sources, the date range and the embedder."""
    langs = stats.get("languages") or {}
    sources = stats.get("sources") or {}
    published = [d for d in (stats.get("published_range") or []) if d]
    rows = [
        ("Articles", escape(stats.get("articles", 0))),
        ("Passages", escape(stats.get("chunks", 0))),
        (
            "Languages",
            " ".join(
                f'<span class="kavosh-badge">{escape(LANG_LABELS.get(code, code))} {escape(n)}</span>'
                for code, n in langs.items()
            )
            or "–",
        ),
        (
            "Sources",
            " ".join(f'<span class="kavosh-badge">{escape(name)} {escape(n)}</span>' for name, n in sources.items())
            or "–",
        ),
        ("Published", escape(" – ".join(d[:10] for d in published)) if published else "–"),
        ("Embedder", escape(stats.get("embedder") or "–")),
    ]
    cells = "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in rows)
    return f'<table class="kavosh-stats">{cells}</table>'


def result_footer_html(query: str, kind: str, mode: str, seconds: float, cached: bool = False) -> str:
    """The line under the results; its ``data-query`` tells a browser test that this query's results are drawn."""
    took = "cached" if cached else f"{seconds:.2f} s"
    return (
        f'<div class="kavosh-meta kavosh-result-footer" data-query="{escape(query)}" data-seconds="{seconds:.4f}"'
        f' data-cached="{int(cached)}">{escape(kind)} · {escape(mode)} · {took}</div>'
    )
