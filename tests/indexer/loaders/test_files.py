"""Tests for kavosh.indexer.loaders.files: files of unknown extension, binaries, and a forced format (``--as``).

Real files: Hamshahri ``.ham`` articles from ``../shared/data/hamshahri2_sample`` (UTF-8 text, headline on line 1)
and a slice of the Fars News dump in ``../shared/data/fars_news_sample``, read at test time.
"""

from __future__ import annotations

import codecs
import json
import random
import shutil
from pathlib import Path

import pytest

from kavosh.indexer.loaders import Article, FileFormat, Skipped, iter_files, load_file, load_paths
from kavosh.indexer.loaders.encoding import SNIFF_BYTES


def hamshahri_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "hamshahri2_sample" / "HamshahriData" / "HamshahriCorpus" / "2005").glob("*.ham"))


def random_binary(size: int = 4000) -> bytes:
    rng = random.Random(3)
    return b"\x7fELF\x02\x01\x01\x00" + bytes(rng.randrange(256) for _ in range(size))


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path.resolve()


def test_a_hamshahri_ham_file_is_read_as_text_with_its_headline_as_title(data_dir: Path) -> None:
    path = hamshahri_files(data_dir)[0]
    (article,) = load_file(path)
    raw = path.read_bytes().decode("utf-8")
    assert isinstance(article, Article)
    assert article.title == " ".join(raw.splitlines()[0].split())  # whitespace runs (a no-break space) as one space
    assert article.text == raw  # unchanged, so answers' offsets index the file itself
    assert (article.format, article.encoding, article.lang) == ("txt", "utf-8", "fa")


@pytest.mark.parametrize(("name", "shown"), [("weights.dat", ".dat"), ("core", "no extension")])
def test_a_binary_of_unknown_extension_is_skipped_with_its_reason(tmp_path: Path, name: str, shown: str) -> None:
    path = write(tmp_path / name, random_binary())
    assert list(load_file(path)) == [Skipped(str(path), f"binary file ({shown})")]


def test_text_cut_inside_a_character_at_the_sniff_limit_is_still_text(tmp_path: Path) -> None:
    # UTF-16 with an emoji (a surrogate pair) across the sniffed bytes' end: the cut is not a sign of binary data.
    prefix = "Nowruz greetings "
    text = prefix + "x" * ((SNIFF_BYTES - 4) // 2 - len(prefix) - 1) + " \U0001f338 spring is here.\n"
    data = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    assert data[SNIFF_BYTES - 2 : SNIFF_BYTES + 2].decode("utf-16-le") == "\U0001f338"
    (article,) = load_file(write(tmp_path / "greeting.msg", data))
    assert isinstance(article, Article) and article.text == text and article.encoding == "utf-16"


def test_as_forces_the_format_whatever_the_extension(tmp_path: Path) -> None:
    notes = write(tmp_path / "notes.doc", "Minutes of the meeting\nThe council approved the budget.\n")
    assert list(load_file(notes)) == [Skipped(str(notes), "unsupported file type (.doc)")]
    (article,) = load_file(notes, as_format="txt")
    assert isinstance(article, Article)
    assert (article.title, article.format) == ("Minutes of the meeting", "txt")
    assert list(iter_files([notes], as_format=FileFormat.TXT)) == [notes]  # named with --as: taken

    feed = write(tmp_path / "feed.log", '{"title": "One", "text": "First."}\n{"title": "Two", "text": "Second."}\n')
    (as_text,) = load_file(feed)  # sniffed as text: one article holding both lines
    assert isinstance(as_text, Article) and as_text.format == "txt"
    assert [a.title for a in load_file(feed, as_format="jsonl")] == ["One", "Two"]


def test_an_unknown_format_names_the_valid_ones() -> None:
    message = "unknown file format 'xml'; choose one of: txt, md, html, json, jsonl, csv"
    with pytest.raises(ValueError, match=message):
        FileFormat.from_str("xml")
    with pytest.raises(ValueError, match=message):
        list(iter_files([], as_format="xml"))
    assert [FileFormat.from_str(s) for s in ("TXT", ".md", "markdown", "ndjson", "htm", "text")] == [
        FileFormat.TXT, FileFormat.MD, FileFormat.MD, FileFormat.JSONL, FileFormat.HTML, FileFormat.TXT
    ]  # fmt: skip


def test_a_folder_mixing_known_unknown_and_binary_files(data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    ham = hamshahri_files(data_dir)[:2]
    for path in ham:
        shutil.copy(path, folder / path.name)
    record = json.loads((data_dir / "fars_news_sample" / "fars-news-1.json").read_text(encoding="utf-8"))[0]
    write(folder / "fars.json", json.dumps(record, ensure_ascii=False))
    write(folder / "README", "About this folder\nArticles from two agencies.\n")  # a folder's read-me: left out
    write(folder / "blob.dat", random_binary())
    write(folder / "photo.png", random_binary())  # never text: left out without being opened
    write(folder / ".DS_Store", random_binary())  # hidden: left out
    write(folder / "sub" / ".cache.ham", "hidden too\n")

    got = [(Path(i.path).name, i.reason if isinstance(i, Skipped) else i.title) for i in load_paths([folder])]
    headlines = [" ".join(p.read_text(encoding="utf-8").splitlines()[0].split()) for p in ham]
    assert got == [
        (ham[0].name, headlines[0]),
        (ham[1].name, headlines[1]),
        ("blob.dat", "binary file (.dat)"),
        ("fars.json", " ".join(record["title"].split())),
    ]


def test_a_folder_of_only_never_text_files_has_no_supported_files(tmp_path: Path) -> None:
    write(tmp_path / "scans" / "page1.pdf", b"%PDF-1.4\n")
    write(tmp_path / "scans" / "page1.jpg", random_binary())
    assert list(iter_files([tmp_path / "scans"])) == [
        Skipped(str((tmp_path / "scans").resolve()), "no supported files in folder")
    ]


def test_a_folders_notice_and_licence_files_are_not_articles(tmp_path: Path) -> None:
    """`kavosh index examples/` indexes the five articles, not examples/NOTICE; a NOTICE named explicitly is read."""
    from kavosh.indexer.loaders import iter_files

    (tmp_path / "story.txt").write_text("A headline\n\nThe story.", encoding="utf-8")
    for name in ("NOTICE", "LICENSE", "README", "COPYING.txt"):
        (tmp_path / name).write_text("Licensed under the Apache License.\n", encoding="utf-8")
    found = sorted(p.name for p in iter_files([tmp_path]) if isinstance(p, Path))
    assert found == ["COPYING.txt", "story.txt"]  # a known article extension is still taken
    assert [p.name for p in iter_files([tmp_path / "NOTICE"])] == ["NOTICE"]
