"""Kavosh's Streamlit page: ask or search English and Persian news, answers highlighted in their cited passages.

Run with ``kavosh ui`` (or ``streamlit run ui/app.py``). This file only renders: the service is reached through
``kavosh.ui.client`` and every piece of HTML is built (and escaped) by ``kavosh.ui.render``.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from kavosh.service.settings import Settings
from kavosh.ui import client, render

EXAMPLES = "When does the Iran–Russia treaty expire? · معاهده ایران و روسیه کی تمام می‌شود؟ · Putin sanctions"
LANG_CHOICES = {"": "All languages", "en": "English", "fa": "فارسی (Persian)"}
KIND_LABELS = {"auto": "Auto", "ask": "Ask (answers)", "search": "Search (passages)"}
DATE_MIN, DATE_MAX = date(1900, 1, 1), date(2100, 12, 31)

st.set_page_config(page_title="Kavosh · news search", page_icon="🔎", layout="wide")
st.html(render.PAGE_CSS)

try:
    settings = Settings.from_env()
except ValueError as exc:
    st.error(str(exc))
    st.stop()
handle = client.get_handle(settings)
status = handle.status()
if status.ok and not status.empty:
    handle.warm_up_in_background()


def open_article(doc_id: str, passage: tuple[int, int], answer: tuple[int, int] | None) -> None:
    st.session_state["open_article"] = {"doc_id": doc_id, "passage": passage, "answer": answer}


def close_article() -> None:
    st.session_state.pop("open_article", None)


# ------------------------------------------------------------------------------------------------- sidebar
with st.sidebar:
    st.header("Options")
    kind = st.radio(
        "Question or keywords",
        list(KIND_LABELS),
        format_func=KIND_LABELS.get,
        key="kind",
        horizontal=True,
        help="Auto: a question (ends with ?/؟, starts with a question word, or 4+ words) gets answers; "
        "keywords get ranked passages.",
    )
    mode = st.radio("Retrieval", ["hybrid", "bm25", "dense"], key="mode", horizontal=True)
    k = st.slider("k (answers / passages)", min_value=1, max_value=20, value=5, key="k")

    st.header("Filters")
    languages, sources = client.stats_options(status.stats)
    lang = st.selectbox("Language", list(LANG_CHOICES), format_func=LANG_CHOICES.get, key="lang")
    source = st.selectbox(
        "Source", ["", *sources], format_func=lambda s: s or "All sources", key="source", disabled=not sources
    )
    date_from = st.date_input(
        "Published from", value=None, min_value=DATE_MIN, max_value=DATE_MAX, key="date_from", format="YYYY-MM-DD"
    )
    date_to = st.date_input(
        "Published to", value=None, min_value=DATE_MIN, max_value=DATE_MAX, key="date_to", format="YYYY-MM-DD"
    )
    include_undated = st.checkbox(
        "Include undated articles",
        key="include_undated",
        disabled=not (date_from or date_to),
        help="A date range leaves out articles that have no publication date; tick to keep them.",
    )

    st.header("Add articles")
    uploads = st.file_uploader(
        "Files (txt, md, html, json, jsonl, csv, or any other text file)",
        type=None,  # as `kavosh index`: other extensions are read as text when they are text, binaries skipped
        accept_multiple_files=True,
        max_upload_size=settings.upload_max_mb,
        key="uploads",
        help=f"Up to {settings.upload_max_mb} MB per file; English and Persian.",
    )
    if st.button("Index uploaded files", key="index_uploads", disabled=not uploads):
        bar = st.progress(0.0, text="Indexing…")

        def on_progress(done: int, total: int) -> None:
            bar.progress(done / max(total, 1), text=f"Indexing: {done} of about {total} passages")

        report = client.index_uploads(handle, [(f.name, f.getvalue()) for f in uploads or []], on_progress)
        st.session_state["upload_report"] = report
        st.rerun()  # the store changed: statistics and filters are read again
    report = st.session_state.get("upload_report")
    if report is not None:
        if report.error:
            st.error(report.error)
        else:
            st.success("Upload finished")
        st.html(render.upload_summary_html(report.summary, report.rejected))

    st.header("Store")
    if status.ok:
        st.html(render.stats_html(status.stats))
        st.caption(f"{'Elasticsearch' if settings.es_url else 'Embedded store'}: {handle.where}")


# ------------------------------------------------------------------------------------------------- main
st.title("Kavosh")
st.caption("Search and question answering over English and Persian news, with citations.")

if not status.ok:
    st.warning(status.message)
elif status.empty:
    st.info(
        f"The store at {handle.where} is empty. Upload articles in the sidebar, or run "
        f"`kavosh index PATH --store {settings.store}`."
    )

with st.form("query_form", border=False):
    query = st.text_input(
        "Ask a question or type keywords (English or Persian)",
        key="query",
        placeholder=EXAMPLES,
        max_chars=1000,
    )
    st.form_submit_button("Search", type="primary", on_click=close_article)

query = (query or "").strip()
if not query or not status.ok or status.empty:
    st.stop()

if date_from and date_to and date_from > date_to:
    st.warning("“Published from” is after “Published to”: nothing can match.")

request = client.QueryRequest(
    text=query,
    kind=kind,
    mode=mode,
    k=int(k),
    lang=lang or None,
    source=source or None,
    date_from=date_from.isoformat() if date_from else None,
    date_to=date_to.isoformat() if date_to else None,
    include_undated=bool(include_undated and (date_from or date_to)),
)

opened = st.session_state.get("open_article")
if opened:
    st.button("← Back to results", on_click=close_article, key="back")
    try:
        article = client.load_article(handle, opened["doc_id"])
    except KeyError:
        st.warning("That article is no longer in the store.")
    else:
        st.html(render.article_html(article, passage=opened["passage"], answer=opened["answer"]))
        st.html(render.SCROLL_TO_PASSAGE_JS, unsafe_allow_javascript=True)
    st.stop()

with st.spinner("Reading the articles…" if client.query_kind(query, kind) is client.QueryKind.ASK else "Searching…"):
    outcome = client.run_query(handle, request)

if outcome.error:
    st.error(outcome.error)
    st.stop()

for note in (outcome.ask if outcome.kind is client.QueryKind.ASK else outcome.search).notes:
    st.caption(f"ℹ️ {note}")

if outcome.kind is client.QueryKind.ASK:
    result = outcome.ask
    if result.answers:
        st.subheader("Answers")
        for rank, answer in enumerate(result.answers, start=1):
            st.html(render.answer_card_html(answer, rank, result.reader))
            st.button(
                "Open article",
                key=f"open-answer-{rank}",
                on_click=open_article,
                args=(answer.doc_id, (answer.context_start, answer.context_end), (answer.start, answer.end)),
            )
    else:
        st.warning(
            f"No answer found (reader: {result.reader}). The best passages are below. · پاسخی پیدا نشد؛ "
            "بهترین بخش‌ها در زیر آمده‌اند."
        )
    hits = result.passages
else:
    hits = outcome.search.hits
show_score = outcome.kind is not client.QueryKind.ASK and outcome.search.score_shown

st.subheader("Passages")
if not hits:
    st.info("No passages found. Try other words, another language, or fewer filters. · چیزی پیدا نشد.")
for rank, hit in enumerate(hits, start=1):
    st.html(render.hit_card_html(hit, rank, show_score=show_score))
    st.button(
        "Open article", key=f"open-hit-{rank}", on_click=open_article, args=(hit.doc_id, (hit.start, hit.end), None)
    )
st.html(render.result_footer_html(query, outcome.kind.value, outcome.request.mode, outcome.seconds, outcome.cached))
