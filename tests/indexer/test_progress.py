"""Tests for kavosh.indexer.progress: the estimate of the chunks still to index, and the plain progress line."""

from __future__ import annotations

import math

from kavosh.indexer.progress import PRIOR_BYTES_PER_CHUNK, ChunkEstimate, IndexProgress


def test_the_estimate_follows_what_files_turn_out_to_hold_and_is_exact_at_the_end():
    estimate = ChunkEstimate(total_bytes=4 * 10_000)  # four files of 10 kB
    assert estimate.total == math.ceil(40_000 / PRIOR_BYTES_PER_CHUNK)  # nothing read yet: the prior guess
    estimate.read(9_000)  # an article read from the first file (9 kB of text in its 10 kB)...
    assert estimate.total == math.ceil(40_000 / PRIOR_BYTES_PER_CHUNK)  # ...not chunked yet: still the guess
    estimate.chunked(30, 9_000)  # ...chunked: 30 chunks
    assert estimate.total == 30 + 104  # 31 kB unseen at 30 chunks per 9 kB: a little over, as the file is not all text
    estimate.file_done(10_000)
    assert estimate.total == 30 + 90  # 30 kB unseen at 30 chunks per 10 kB
    for _ in range(3):
        estimate.read(9_000)
        estimate.chunked(30, 9_000)
        estimate.file_done(10_000)
    assert estimate.total == 120


def test_re_indexing_unchanged_files_estimates_no_work_once_one_file_is_read():
    estimate = ChunkEstimate(total_bytes=100 * 5_000)
    estimate.read(4_000)
    estimate.chunked(0, 4_000)  # already stored: no new chunks
    estimate.file_done(5_000)
    assert estimate.total == 0


def test_the_plain_line_shows_chunks_articles_rate_and_eta():
    running = IndexProgress(chunks=120, total=900, articles=35, seconds=6.6)
    assert running.line() == "indexed 120/~900 chunks, 35 articles, 18.2 chunks/s, ETA 0:43"
    starting = IndexProgress(chunks=0, total=50, articles=0, seconds=2.0)
    assert starting.line() == "indexed 0/~50 chunks, 0 articles, 0.0 chunks/s, ETA ?"
    # A batch longer than one step (one long article) counts what is embedded in the rate and the ETA.
    big = IndexProgress(chunks=0, total=1_000, articles=0, seconds=3.0, embedding=(256, 1_000))
    assert big.line() == (
        "indexed 0/~1000 chunks, 0 articles, 85.3 chunks/s, ETA 0:09 (embedding the next batch: 256/1000 chunks)"
    )
    done = IndexProgress(chunks=900, total=900, articles=300, seconds=3_725.0, finished=True)
    assert done.line() == "indexed 900/900 chunks, 300 articles, 0.2 chunks/s, took 1:02:05"


def test_a_skipped_huge_file_is_no_work_and_says_nothing_about_the_others():
    estimate = ChunkEstimate(total_bytes=20_000_000 + 10_000)  # a 20 MB degenerate file, then a 10 kB news file
    estimate.skipped(20_000_000)  # its one article is too long
    estimate.file_done(20_000_000, read=False)
    assert estimate.total == math.ceil(10_000 / PRIOR_BYTES_PER_CHUNK)  # not 0, nor 50,000
