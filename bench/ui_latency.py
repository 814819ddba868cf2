"""Time from pressing Enter to the answer on the page, in a real browser, over the seed articles.

What it measures, in one run (headless Chromium driving ``streamlit run ui/app.py`` through playwright):

1. **start-up**: from launching the server to the query box being on the page;
2. **first query**: the English example question, in three fresh servers:
   - ``on, at once``: the default page (the models start loading in the background when the page opens), the
     question asked as soon as the query box shows, so it waits for the rest of that load (the worst case);
   - ``on, after 10s``: the same, asked after ``--pause`` seconds, like a user reading the page first;
   - ``off, at once``: ``KAVOSH_UI_WARMUP=0``, the first question loads every model itself;
3. **warm queries**: eight distinct English and Persian questions and keywords after the first one, each asked once
   (a repeat would be served from the page's result cache; with eight samples p95 is about the slowest), and the
   first question repeated (a cache hit, the best case).

Each row gives the browser time (Enter pressed → this query's results drawn, i.e. its footer is in the DOM) and the
service time the page reports for the same query (``Kavosh.ask``/``search`` inside the server); their difference is
what the UI adds (Streamlit round trip, rendering, and for a first question the wait for the background warm-up).
A cached result has no service time (0). Peak RSS of the server process comes from ``/proc``.

Usage::

    .venv/bin/python bench/ui_latency.py                       # builds a store of the seed articles in a temp dir
    .venv/bin/python bench/ui_latency.py --store ~/kavosh-store --no-cold
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SEEDS = Path(os.environ.get("KAVOSH_SHARED", ROOT.parent / "shared")) / "corpus" / "seeds"
QUERY_LABEL = "Ask a question or type keywords (English or Persian)"
FIRST_QUESTION = "When does the Iran–Russia treaty expire?"
WARM_QUERIES = [
    "Who did Zarif meet in Moscow?",
    "Putin sanctions",
    "پوتین درباره تحریم‌ها چه گفت؟",
    "معاهده ایران و روسیه کی تمام می‌شود؟",
    "What did Rouhani tell Xi Jinping about sanctions?",
    "همکاری ایران و روسیه",
    "COVID-19 cooperation between Iran and China",
    "Lavrov Zarif talks",
]
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Timing:
    label: str
    query: str
    kind: str
    browser_s: float
    service_s: float


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_seed_store(folder: Path) -> Path:
    from kavosh.service.service import Kavosh

    store = folder / "store"
    service = Kavosh(store, create=True, reader="offline", workers=1)
    summary = service.index([SEEDS])
    service.close()
    print(f"built a store of the seed articles: {summary.indexed} articles, {summary.chunks} chunks", flush=True)
    return store


class Server:
    """``streamlit run ui/app.py`` on a free port."""

    def __init__(self, store: Path, warm_up: bool, reader: str, log: Path):
        self.port = free_port()
        env = dict(os.environ, KAVOSH_STORE=str(store), KAVOSH_READER=reader, KAVOSH_UI_WARMUP="1" if warm_up else "0")
        env.pop("KAVOSH_ES_URL", None)
        self.log = log
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "streamlit",
                    "run",
                    str(ROOT / "ui" / "app.py"),
                    "--server.headless=true",
                    "--server.address=127.0.0.1",
                    f"--server.port={self.port}",
                    "--server.fileWatcherType=none",
                    "--browser.gatherUsageStats=false",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_healthy(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.read().strip() == b"ok":
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"streamlit did not start; log:\n{self.log.read_text(errors='replace')[-3000:]}")

    def peak_rss_mb(self) -> float:
        """Peak resident memory of the server process (VmHWM), MB."""
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return float("nan")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def ask(page, text: str, label: str, timeout_ms: int = 300_000) -> Timing:
    """Type ``text``, press Enter, and time until this query's footer is in the DOM."""
    box = page.get_by_label(QUERY_LABEL)
    box.fill(text)
    started = time.perf_counter()
    box.press("Enter")
    handle = page.wait_for_function(
        """q => {
            const f = [...document.querySelectorAll('.kavosh-result-footer')].find(e => e.dataset.query === q);
            return f ? [f.dataset.seconds, f.innerText.split(' · ')[0], f.dataset.cached] : null;
        }""",
        arg=text,
        timeout=timeout_ms,
        polling=20,
    )
    elapsed = time.perf_counter() - started
    seconds, kind, cached = handle.json_value()
    return Timing(label, text, kind, elapsed, 0.0 if cached == "1" else float(seconds))


def run_server(store: Path, warm_up: bool, pause: float, reader: str, chromium: str, work: Path) -> tuple[dict, list]:
    from playwright.sync_api import sync_playwright

    started = time.perf_counter()
    tag = f"{int(warm_up)}-{pause:g}"
    server = Server(store, warm_up, reader, work / f"streamlit-{tag}.log")
    timings: list[Timing] = []
    try:
        server.wait_healthy()
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(
                str(work / f"profile-{tag}"),
                executable_path=chromium,
                headless=True,
                args=CHROMIUM_FLAGS,
                viewport={"width": 1400, "height": 1200},
            )
            page = context.new_page()
            page.goto(server.url)
            page.get_by_label(QUERY_LABEL).wait_for(timeout=120_000)
            ready = time.perf_counter() - started
            page.wait_for_timeout(pause * 1000)  # a user reading the page before asking
            timings.append(ask(page, FIRST_QUESTION, "first"))
            for query in WARM_QUERIES:  # each asked once: a repeat would come from the page's result cache
                timings.append(ask(page, query, "warm"))
            timings.append(ask(page, FIRST_QUESTION, "repeat (cached)"))
            context.close()
        info = {"ready_s": ready, "peak_rss_mb": server.peak_rss_mb()}
    finally:
        server.stop()
    return info, timings


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown cpu"


def chromium_version(path: str) -> str:
    try:
        return subprocess.run([path, "--version"], capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, help="an existing store (default: the seed articles, built now)")
    parser.add_argument("--reader", default="offline", choices=["auto", "offline", "transformer"])
    parser.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser"))
    parser.add_argument("--pause", type=float, default=10.0, help="seconds before the first question (default 10)")
    parser.add_argument("--no-cold", action="store_true", help="skip the server without background warm-up")
    args = parser.parse_args()
    if not args.chromium:
        parser.error("Chromium not found (Debian: apt-get install chromium); pass --chromium PATH")

    with tempfile.TemporaryDirectory(prefix="kavosh-ui-bench-") as tmp:
        work = Path(tmp)
        store = args.store or build_seed_store(work)
        from kavosh.service.service import Kavosh

        service = Kavosh(store)
        stats = service.stats()
        service.close()

        print(
            f"machine   {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} cpus, {platform.system()}"
        )
        print(f"python    {platform.python_version()}; browser {chromium_version(args.chromium)}")
        print(f"corpus    {stats['articles']} articles, {stats['chunks']} chunks ({stats['languages']}), {store}")
        print(f"reader    {args.reader}; embedder {stats.get('embedder', '')}")
        print()

        runs = [("on, at once", True, 0.0), (f"on, after {args.pause:g}s", True, args.pause)]
        if not args.no_cold:
            runs.append(("off, at once", False, 0.0))
        results = []
        for name, warm_up, pause in runs:
            info, timings = run_server(store, warm_up, pause, args.reader, args.chromium, work)
            results.append((name, info, timings))

    print(f"{'server':14s} {'query':52s} {'kind':7s} {'browser s':>10s} {'service s':>10s} {'UI adds s':>10s}")
    for name, _, timings in results:
        for t in timings:
            query = t.query.strip()
            query = query if len(query) <= 50 else query[:49] + "…"
            label = f"{t.label}: {query}"
            shown = label if len(label) <= 52 else label[:51] + "…"
            print(
                f"{name:14s} {shown:52s} {t.kind:7s} {t.browser_s:10.2f} {t.service_s:10.2f} "
                f"{t.browser_s - t.service_s:10.2f}"
            )
    print()
    print(
        f"{'server':14s} {'start-up s':>10s} {'first s':>8s} {'warm p50':>9s} {'warm p95':>9s} {'cached s':>9s}"
        f" {'peak RSS MB':>12s}"
    )
    for name, info, timings in results:
        first = next(t.browser_s for t in timings if t.label == "first")
        warm = [t.browser_s for t in timings if t.label == "warm"]
        cached = [t.browser_s for t in timings if t.label.startswith("repeat")]
        print(
            f"{name:14s} {info['ready_s']:10.1f} {first:8.2f} "
            f"{statistics.median(warm) if warm else float('nan'):9.2f} {p95(warm) if warm else float('nan'):9.2f} "
            f"{cached[0] if cached else float('nan'):9.2f} {info['peak_rss_mb']:12.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
