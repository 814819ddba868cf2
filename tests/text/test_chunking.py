"""Tests for kavosh.text.chunking: sentences and overlapping chunks whose offsets index the article."""

from __future__ import annotations

import pytest

from kavosh.text.chunking import chunk_text, split_sentences

ENGLISH = (
    "Iran and Russia prepared a treaty in March 2001. It was a roadmap for 10 years! "
    "Was it extended? Mr. Jalali said it ends next March, on Jan. 5 at the latest."
)
PERSIAN = "معاهده ایران و روسیه تمدید می‌شود؟ سفیر گفت بله؛ مذاکرات ادامه دارد. پوتین نیز موافق است."


def test_sentences_end_at_english_and_persian_terminators_not_at_abbreviations():
    spans = split_sentences(ENGLISH)
    assert [ENGLISH[s:e] for s, e in spans] == [
        "Iran and Russia prepared a treaty in March 2001.",
        "It was a roadmap for 10 years!",
        "Was it extended?",
        "Mr. Jalali said it ends next March, on Jan. 5 at the latest.",
    ]
    fa = [PERSIAN[s:e] for s, e in split_sentences(PERSIAN)]
    assert fa == ["معاهده ایران و روسیه تمدید می‌شود؟", "سفیر گفت بله؛", "مذاکرات ادامه دارد.", "پوتین نیز موافق است."]


def test_chunk_offsets_index_the_text_and_chunks_stay_under_the_limit():
    text = " ".join(f"Sentence number {i} talks about the Iran–Russia treaty." for i in range(40))
    chunks = chunk_text(text, max_chars=200)
    assert len(chunks) > 5
    assert [c.index for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert len(chunk.text) <= 200
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())  # nothing is lost


def test_neighbouring_chunks_share_one_sentence_by_default():
    text = " ".join(f"Sentence {i} is here." for i in range(30))
    chunks = chunk_text(text, max_chars=80)
    for left, right in zip(chunks, chunks[1:], strict=False):
        last_start, _ = split_sentences(left.text)[-1]
        assert right.start == left.start + last_start  # the right chunk begins with the left one's last sentence
    no_overlap = chunk_text(text, max_chars=80, overlap_sentences=0)
    assert all(a.end <= b.start for a, b in zip(no_overlap, no_overlap[1:], strict=False))


def test_one_long_sentence_is_cut_at_whitespace():
    text = "word " * 300
    chunks = chunk_text(text.strip(), max_chars=100)
    assert all(len(c.text) <= 100 and not c.text.startswith(" ") and not c.text.endswith(" ") for c in chunks)
    assert all(c.text.split() == ["word"] * len(c.text.split()) for c in chunks)  # no word is split


def test_blank_text_has_no_chunks_and_bad_settings_are_named():
    assert chunk_text("  \n ") == []
    with pytest.raises(ValueError, match="max_chars must be at least 50"):
        chunk_text("text", max_chars=10)
    with pytest.raises(ValueError, match="overlap_sentences must be >= 0"):
        chunk_text("text", overlap_sentences=-1)
