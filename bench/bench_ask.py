"""Benchmark ``ask`` with Kavosh's trained reader beside the offline sentence reader, in the same run.

Store: the five seed articles (``../shared/corpus/seeds``) in a fresh embedded store. Each reader answers the same
questions (English and Persian, hybrid retrieval, 10 chunks read, 3 answers) after a warm-up question; the service is
warm (models loaded once), as in the web UI or the batch mode. Prints, per reader, p50/p95 ms of ``Kavosh.ask`` and
of the reader alone (the pipeline's reader component timed in isolation on the same retrieved chunks), and the
process's peak RSS.

Usage::

    .venv/bin/python bench/bench_ask.py [--repeat 5] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

QUESTIONS = [
    "When does the Iran–Russia treaty expire?",
    "What did Putin say about sanctions?",
    "Who did Rouhani speak with by telephone?",
    "What did the Chinese president say about the US?",
    "What is the Hormuz Peace Endeavour?",
    "معاهده ایران و روسیه کی تمام می‌شود؟",
    "پوتین درباره تحریم‌ها چه گفت؟",
    "روحانی با چه کسی تلفنی صحبت کرد؟",
    "رئیس جمهور چین درباره آمریکا چه گفت؟",
    "Who won the 2018 World Cup?",
]
READERS = ("kavosh", "offline")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    seeds = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "seeds"
    parser.add_argument("--seeds", type=Path, default=seeds, help="folder of articles to index (the seed articles)")
    parser.add_argument("--repeat", type=int, default=5, help="passes over the questions (default 5)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from haystack import Document

    from bench.bench_search import machine_info, peak_rss_mb
    from kavosh.evaluation.metrics import latency_summary
    from kavosh.service.service import Kavosh

    tmp = Path(tempfile.mkdtemp(prefix="kavosh-bench-ask-"))
    base = Kavosh(tmp / "store", create=True, reader=READERS[0], workers=1)
    base.index([args.seeds])
    results = {}
    for name in READERS:
        service = base if name == READERS[0] else base.with_reader(name)
        service.ask(QUESTIONS[0])  # warm-up: loads the reader
        reader = service._build_component("reader")
        ask_s, reader_s = [], []
        for _ in range(args.repeat):
            for question in QUESTIONS:
                started = time.perf_counter()
                service.ask(question)
                ask_s.append(time.perf_counter() - started)
                chunks = service.search(question, k=10).hits  # the chunks ask reads (hybrid, 10)
                docs = [Document(content=h.text, meta={"parent_id": h.doc_id, "start": h.start}) for h in chunks]
                started = time.perf_counter()
                reader.run(query=question, documents=docs)
                reader_s.append(time.perf_counter() - started)
        ask, read = latency_summary(ask_s), latency_summary(reader_s)
        results[name] = {
            "ask_p50_ms": round(ask["median_ms"], 1),
            "ask_p95_ms": round(ask["p95_ms"], 1),
            "reader_p50_ms": round(read["median_ms"], 1),
            "reader_p95_ms": round(read["p95_ms"], 1),
            "questions": len(ask_s),
        }
    base.close()
    peak_mb = peak_rss_mb()
    out = {
        "machine": machine_info(),
        "corpus": "5 seed articles, hybrid retrieval, 10 chunks read, 3 answers",
        "readers": results,
        "peak_rss_mb": round(peak_mb),
    }
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
