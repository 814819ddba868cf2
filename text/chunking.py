"""Sentence splitting and sentence-aware, overlapping chunking with character offsets into the article."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kavosh.text.lexicon import ENGLISH_MONTHS

# A sentence ends at . ! ? (English), ؟ ؛ (Persian question mark and semicolon), … or a paragraph break.
# Closing quotes/brackets after the terminator stay with the sentence.
_TERMINATOR = re.compile(
    r"""([.!?؟؛…]+)(["'”’»)\]]*)(?=\s|$)"""
    # Scraped news often loses the space between sentences: "epidemic.In July" / "ago.“We have".
    r"""|(?<=[a-z0-9]{2})([.!?])()(?=[“"][A-Z]|[A-Z][a-z])"""
    r"""|(\n\s*\n)"""
)
# Abbreviations whose full stop does not end a sentence (lower-cased, without the dot).
_TITLES_AND_SHORTHANDS = "mr mrs ms dr prof sr jr st vs etc inc ltd co corp gen col lt sgt gov sen rep no fig"
_ABBREVIATIONS = frozenset(
    _TITLES_AND_SHORTHANDS.split()
    + "u.s u.k u.n e.g i.e a.m p.m".split()
    + [abbreviation for names in ENGLISH_MONTHS for abbreviation in names[1:]]  # Jan. Sept.
)
_WORD_BEFORE = re.compile(r"([\w.]+)$")


@dataclass(frozen=True)
class Chunk:
    """A slice of an article: ``article_text[start:end] == text``."""

    index: int
    start: int
    end: int
    text: str


def _is_abbreviation(text: str, dot_pos: int) -> bool:
    match = _WORD_BEFORE.search(text, 0, dot_pos)
    if not match:
        return False
    word = match.group(1).lower().strip(".")
    # Single capital letters ("J. Smith") and known abbreviations do not end a sentence.
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Split text into sentences.

    :param text: any text, English, Persian or mixed.
    :returns: ``(start, end)`` character spans in ``text``, in order, trimmed of surrounding whitespace; non-empty.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _TERMINATOR.finditer(text):
        if match.group(5) is not None:  # paragraph break
            end = match.start(5)
        else:
            terminator, closing = (1, 2) if match.group(1) is not None else (3, 4)
            if match.group(terminator) == "." and _is_abbreviation(text, match.start(terminator)):
                continue
            end = match.end(closing)
        _append_trimmed(text, start, end, spans)
        start = match.end()
    _append_trimmed(text, start, len(text), spans)
    return spans


def _append_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def _split_long(start: int, end: int, max_chars: int, text: str) -> list[tuple[int, int]]:
    """Cut a span longer than ``max_chars`` at whitespace so no chunk grows without bound."""
    pieces: list[tuple[int, int]] = []
    while end - start > max_chars:
        cut = text.rfind(" ", start + max_chars // 2, start + max_chars)
        cut = cut if cut > start else start + max_chars
        pieces.append((start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        pieces.append((start, end))
    return pieces


def chunk_text(text: str, max_chars: int = 600, overlap_sentences: int = 1) -> list[Chunk]:
    """Group whole sentences into chunks of at most about ``max_chars`` characters, overlapping by sentences.

    Each chunk starts at a sentence start and ends at a sentence end; consecutive chunks share their last/first
    ``overlap_sentences`` sentences so an answer that straddles a boundary is whole in at least one chunk.
    A single sentence longer than ``max_chars`` is cut at whitespace.

    :param text: the article text; the chunks' offsets index it.
    :param max_chars: target maximum chunk length in characters.
    :param overlap_sentences: sentences repeated between neighbouring chunks.
    :returns: chunks in order; ``[]`` for blank text.
    """
    if max_chars < 50:
        raise ValueError(f"max_chars must be at least 50, got {max_chars}")
    if overlap_sentences < 0:
        raise ValueError(f"overlap_sentences must be >= 0, got {overlap_sentences}")
    sentences = [piece for s, e in split_sentences(text) for piece in _split_long(s, e, max_chars, text)]
    chunks: list[Chunk] = []
    i = 0
    while i < len(sentences):
        j = i + 1
        while j < len(sentences) and sentences[j][1] - sentences[i][0] <= max_chars:
            j += 1
        start, end = sentences[i][0], sentences[j - 1][1]
        chunks.append(Chunk(index=len(chunks), start=start, end=end, text=text[start:end]))
        if j >= len(sentences):
            break
        i = max(j - overlap_sentences, i + 1)
    return chunks
