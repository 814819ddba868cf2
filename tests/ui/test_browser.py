"""The page in a real browser: ``streamlit run ui/app.py`` on a free port over the seed articles, driven by headless
Chromium (the Debian ``chromium`` package, through playwright without its own browser download).

It asks the example question in English and a Persian question, saves screenshots, and checks that the answer and
its ``<mark>`` highlight are in the page and that the Persian result is laid out right-to-left. Set
``KAVOSH_UPDATE_SCREENSHOT=1`` to copy the English screenshot to ``docs/screenshot.png``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("KAVOSH_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
QUERY_LABEL = "Ask a question or type keywords (English or Persian)"
QUESTION = "When does the Iran–Russia treaty expire?"
PERSIAN_QUESTION = "معاهده ایران و روسیه کی تمام می‌شود؟"
ANSWER_TIMEOUT_MS = 180_000  # the first question loads the models


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def sync_playwright():
    if not CHROMIUM:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium); set KAVOSH_CHROMIUM to its path")
    api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    return api.sync_playwright


@pytest.fixture(scope="module")
def app_url(sync_playwright, tmp_path_factory, seeds_dir):
    """A running ``streamlit run ui/app.py`` over a fresh store of the seed articles."""
    from kavosh.service.service import Kavosh

    store = tmp_path_factory.mktemp("browser") / "store"
    service = Kavosh(store, create=True, reader="offline", workers=1)
    assert service.index([seeds_dir]).indexed == 5
    service.close()

    port = free_port()
    env = dict(os.environ, KAVOSH_STORE=str(store), KAVOSH_READER="offline", PYTHONUNBUFFERED="1")
    env.pop("KAVOSH_ES_URL", None)
    log_path = tmp_path_factory.mktemp("browser-log") / "streamlit.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(ROOT / "ui" / "app.py"),
                "--server.headless=true",
                "--server.address=127.0.0.1",
                f"--server.port={port}",
                "--server.fileWatcherType=none",
                "--browser.gatherUsageStats=false",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def page(sync_playwright, app_url, tmp_path_factory):
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),  # a fresh --user-data-dir
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1700},
            locale="en-US",
        )
        page = context.new_page()
        page.goto(app_url)
        page.get_by_label(QUERY_LABEL).wait_for(timeout=60_000)
        yield page
        context.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


def ask(page, text: str) -> None:
    """Type ``text``, press Enter, and wait until this query's results are drawn (its footer appears)."""
    box = page.get_by_label(QUERY_LABEL)
    box.fill(text)
    box.press("Enter")
    page.wait_for_function(
        "q => [...document.querySelectorAll('.kavosh-result-footer')].some(e => e.dataset.query === q)",
        arg=text,
        timeout=ANSWER_TIMEOUT_MS,
    )


def first_answer(page) -> dict:
    return page.eval_on_selector(
        ".kavosh-answer-card",
        """card => ({
            answer: card.querySelector('.kavosh-answer-text').innerText,
            mark: [...card.querySelectorAll('mark.kavosh-answer')].map(m => m.innerText),
            passage: card.querySelector('.kavosh-passage-text').innerText,
            direction: getComputedStyle(card).direction,
        })""",
    )


def test_english_question_answer_is_highlighted_in_its_passage(page, shots):
    ask(page, QUESTION)
    best = first_answer(page)
    assert "next March" in best["answer"]
    assert best["mark"] == [best["answer"]], "the answer is the highlighted span of its passage"
    assert best["answer"] in best["passage"]
    assert best["direction"] == "ltr"
    page.screenshot(path=str(shots / "english.png"), full_page=True)
    if os.environ.get("KAVOSH_UPDATE_SCREENSHOT") == "1":
        (ROOT / "docs").mkdir(exist_ok=True)
        shutil.copyfile(shots / "english.png", ROOT / "docs" / "screenshot.png")


def test_open_article_scrolls_to_the_highlighted_passage(page, shots):
    ask(page, QUESTION)
    page.get_by_role("button", name="Open article").first.click()
    page.wait_for_selector("#kavosh-passage mark.kavosh-answer", timeout=30_000)
    marked = page.inner_text("#kavosh-passage mark.kavosh-answer")
    assert "next March" in marked
    page.wait_for_timeout(600)  # the scroll runs 300 ms after the article is drawn
    in_view = page.eval_on_selector(
        "#kavosh-passage",
        "e => { const r = e.getBoundingClientRect(); return r.bottom > 0 && r.top < window.innerHeight; }",
    )
    assert in_view, "the passage is scrolled into view"
    page.screenshot(path=str(shots / "article.png"), full_page=False)
    page.get_by_role("button", name="← Back to results").click()
    page.wait_for_selector(".kavosh-answer-card", timeout=30_000)


def test_persian_question_is_laid_out_right_to_left(page, shots):
    ask(page, PERSIAN_QUESTION)
    persian = page.eval_on_selector_all(
        '.kavosh-card[lang="fa"]',
        """cards => cards.map(c => ({
            direction: getComputedStyle(c).direction,
            align: getComputedStyle(c).textAlign,
            font: getComputedStyle(c).fontFamily,
        }))""",
    )
    assert persian, "a Persian passage or answer is shown"
    assert all(item["direction"] == "rtl" and item["align"] == "right" for item in persian)
    assert "Vazirmatn" in persian[0]["font"]
    english = page.eval_on_selector_all(
        '.kavosh-card[lang="en"]', "cards => cards.map(c => getComputedStyle(c).direction)"
    )
    assert all(d == "ltr" for d in english), "mixed lists are aligned per item"
    if page.query_selector(".kavosh-answer-card"):
        best = first_answer(page)
        assert best["mark"] == [best["answer"]]
    page.screenshot(path=str(shots / "persian.png"), full_page=True)
