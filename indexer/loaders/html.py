"""HTML pages to articles: the main text only, title/date/url/source from meta tags."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

from kavosh.indexer.loaders.records import Article, Skipped, _clip_title, _host, _lower_keys, normalize_lang
from kavosh.text.dates import parse_date
from kavosh.text.scripts import detect_language

logger = logging.getLogger(__name__)

# HTML ----------------------------------------------------------------------------------------------------------

_DROP_TAGS = ["script", "style", "nav", "header", "footer", "aside", "form", "noscript", "iframe", "svg", "button",
              "template", "select", "textarea", "object", "embed", "canvas", "dialog"]  # fmt: skip
_DROP_SELECTORS = '[role="navigation"], [role="banner"], [role="contentinfo"], [hidden], [aria-hidden="true"]'
_HINT = re.compile(
    r"^(?:menu\w*|nav|navbar|navigation|footer\w*|sidebar\w*|comments?|commentlist|comment(?:form|box|area|section)"
    r"|share|shares|sharing|sharebar|sharethis|social|breadcrumbs?|related|advert\w*|ads|adsense|adslot|advertising"
    r"|banner|promo|promos|cookie\w*|newsletter|subscribe|subscription|popup|modal|outbrain|taboola|pagination)$"
)
_BLOCK_TAGS = {"p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol",
               "blockquote", "pre", "table", "tr", "td", "th", "dl", "dt", "dd", "figcaption", "figure", "address",
               "hr", "center", "details", "summary", "caption", "body"}  # fmt: skip
_PROTECTED = {"html", "body", "article", "main"}
_BR = "\x00"


def _meta(tree: Any, *selectors: str, attr: str = "content") -> str:
    for selector in selectors:
        for node in tree.css(selector):
            value = (node.attributes.get(attr) or "").strip()
            if value:
                return value
    return ""


def _json_ld(tree: Any) -> dict[str, Any]:
    """The first schema.org article object in ``<script type="application/ld+json">``, lower-cased keys."""
    for node in tree.css('script[type="application/ld+json"]'):
        try:
            doc = json.loads(node.text(deep=True) or "")
        except (json.JSONDecodeError, ValueError):
            continue
        stack = [doc]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                rec = _lower_keys(item)
                if "datepublished" in rec or "headline" in rec:
                    return rec
                if isinstance(rec.get("@graph"), list):
                    stack.extend(rec["@graph"])
    return {}


def _is_hinted(node: Any) -> bool:
    attrs = node.attributes
    tokens = re.split(r"[^a-z0-9]+", f"{attrs.get('class') or ''} {attrs.get('id') or ''}".lower())
    return any(_HINT.match(t) for t in tokens if t)


def _remove_boilerplate(tree: Any, use_hints: bool) -> None:
    root = tree.body or tree.root
    if root is None:
        return
    root.strip_tags(_DROP_TAGS)
    for node in list(root.css(_DROP_SELECTORS)):
        if node.tag not in _PROTECTED and node.parent is not None:
            node.decompose()
    if not use_hints:
        return
    body_len = len(root.text(deep=True, separator=" ")) or 1
    doomed: list[Any] = []
    doomed_ids: set[int] = set()
    for node in root.css("[class], [id]"):
        if node.tag in _PROTECTED or not _is_hinted(node):
            continue
        parent, inside_doomed = node.parent, False
        while parent is not None:
            if parent.mem_id in doomed_ids:
                inside_doomed = True
                break
            parent = parent.parent
        if inside_doomed:
            continue
        # A wrapper such as <div class="page has-sidebar"> holds the story itself: keep it.
        if node.css_first("article, main") is not None or len(node.text(deep=True, separator=" ")) > 0.5 * body_len:
            continue
        doomed.append(node)
        doomed_ids.add(node.mem_id)
    for node in doomed:
        node.decompose()


def _block_text(root: Any) -> str:
    """Text of ``root`` with block elements as paragraphs joined by a blank line and ``<br>`` as a line break."""
    paragraphs: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        s = re.sub(r"\s+", " ", "".join(buf))
        s = re.sub(rf" ?{_BR} ?", "\n", s).strip()
        if s:
            paragraphs.append(s)
        buf.clear()

    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        if closing:
            flush()
            continue
        tag = node.tag
        if tag == "-text":
            buf.append((node.text_content or "").replace(_BR, " "))
            continue
        if not node.is_element_node:
            continue
        if tag == "br":
            buf.append(_BR)
            continue
        if tag in _BLOCK_TAGS:
            flush()
            stack.append((node, True))
        stack.extend((child, False) for child in reversed(list(node.iter(include_text=True))))
    flush()
    return "\n\n".join(paragraphs)


def _main_text(tree: Any) -> str:
    body = tree.body or tree.root
    if body is None:
        return ""
    articles = [(len(_block_text(a)), a) for a in tree.css("article")]
    articles = [(n, a) for n, a in articles if n]
    if articles:
        best_len, best = max(articles, key=lambda pair: pair[0])
        # A page whose only <article>s are short teasers keeps its story elsewhere.
        if best_len >= 200 or best_len * 4 >= len(_block_text(body)):
            return _block_text(best)
    main = tree.css_first('main, [role="main"]')
    if main is not None:
        text = _block_text(main)
        if text:
            return text
    return _block_text(body)


def _strip_site_suffix(title: str, site: str) -> str:
    if site:
        for sep in (" | ", " - ", " – ", " — ", " :: "):
            if title.endswith(sep + site):
                return title[: -len(sep + site)].strip()
    return title


def _load_html(text: str, path: str, fmt: str, encoding: str) -> Iterator[Article | Skipped]:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(text)
    ld = _json_ld(tree)
    site = _meta(tree, 'meta[property="og:site_name"]')
    title = _meta(tree, 'meta[property="og:title"]', 'meta[name="og:title"]', 'meta[name="twitter:title"]')
    if not title:
        node = tree.css_first("title")
        title = _strip_site_suffix(" ".join((node.text() if node else "").split()), site)
    if not title and isinstance(ld.get("headline"), str):
        title = ld["headline"]
    if not title:
        node = tree.css_first("h1")
        title = node.text(separator=" ") if node else ""
    url = _meta(tree, 'meta[property="og:url"]') or _meta(tree, 'link[rel="canonical"]', attr="href")
    published = ""
    for value in (
        _meta(
            tree,
            'meta[property="article:published_time"]',
            'meta[property="og:published_time"]',
            'meta[name="article:published_time"]',
            'meta[name="date"]',
            'meta[name="pubdate"]',
            'meta[name="publishdate"]',
            'meta[itemprop="datePublished"]',
        ),
        _meta(
            tree, '[itemprop="datePublished"][datetime]', "article time[datetime]", "time[datetime]", attr="datetime"
        ),
        ld.get("datepublished"),
    ):
        published = parse_date(value) if value else ""
        if published:
            break
    if not site:
        publisher = ld.get("publisher")
        if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
            site = publisher["name"].strip()
    html_node = tree.css_first("html")
    lang = normalize_lang(html_node.attributes.get("lang") if html_node is not None else "")

    _remove_boilerplate(tree, use_hints=True)
    body = _main_text(tree)
    if not body:
        logger.debug("%s: no text left after removing boilerplate; retrying without class/id hints", path)
        tree = LexborHTMLParser(text)
        _remove_boilerplate(tree, use_hints=False)
        body = _main_text(tree)
    if not body:
        yield Skipped(path, "no text in HTML")
        return
    yield Article(
        text=body,
        title=_clip_title(" ".join(title.split())),
        path=path,
        key=path,
        source=site or _host(url),
        url=url,
        published=published,
        lang=lang or detect_language(body),
        format=fmt,
        encoding=encoding,
    )
