"""What search and ask return: small dataclasses whose ``to_dict()`` is the CLI's ``--json`` contract."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from haystack import Document
from haystack.dataclasses import ExtractedAnswer

from kavosh.text.analysis import matched_spans
from kavosh.text.chunking import split_sentences


@dataclass(frozen=True)
class SearchHit:
    """A ranked passage: ``text`` is ``article_text[start:end]``."""

    doc_id: str
    title: str
    path: str
    lang: str
    score: float
    text: str
    start: int
    end: int
    source: str = ""
    url: str = ""
    published: str = ""
    chunk_id: str = ""
    #: ``(start, end)`` in ``text`` of the words the query matched (the BM25 analysis: stems, Persian variants)
    matches: list[tuple[int, int]] = field(default_factory=list)
    #: in a list by article (`by_article`): how many more of this article's passages were retrieved below this one
    more_passages: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "path": self.path,
            "lang": self.lang,
            "score": round(self.score, 6),
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "source": self.source,
            "url": self.url,
            "published": self.published,
            "chunk_id": self.chunk_id,
            "matches": [list(span) for span in self.matches],
            "more_passages": self.more_passages,
        }

    @classmethod
    def from_document(cls, doc: Document) -> SearchHit:
        """A hit for a retrieved chunk (``matches`` empty: see :meth:`with_matches`)."""
        meta = doc.meta
        return cls(
            doc_id=meta.get("parent_id", ""),
            title=meta.get("title", ""),
            path=meta.get("path", ""),
            lang=meta.get("lang", ""),
            score=float(doc.score or 0.0),
            text=doc.content or "",
            start=int(meta.get("start", 0)),
            end=int(meta.get("end", 0)),
            source=meta.get("source", ""),
            url=meta.get("url", ""),
            published=meta.get("published", ""),
            chunk_id=doc.id,
        )

    def with_matches(self, query: str) -> SearchHit:
        """This hit with the words of its text that `query` matched (``matches``); called on the hits shown only,
        as it analyses the whole text (~0.4 ms a passage)."""
        return replace(self, matches=matched_spans(query, self.text))


#: retrieval mode -> what a hit's score is: rank fusion per language (hybrid), BM25 (no fixed scale), cosine (dense)
SCORE_KINDS = {"hybrid": "rrf-per-language", "bm25": "bm25", "dense": "cosine"}


def by_article(hits: list[SearchHit], k: int) -> list[SearchHit]:
    """One entry per article, in the order of its best passage, with the count of its other passages in `hits`.

    :param hits: passages, best first.
    :param k: articles wanted.
    """
    best: dict[str, SearchHit] = {}
    more: dict[str, int] = {}
    for hit in hits:
        if hit.doc_id in best:
            more[hit.doc_id] += 1
        else:
            best[hit.doc_id], more[hit.doc_id] = hit, 0
    return [replace(hit, more_passages=more[doc_id]) for doc_id, hit in list(best.items())[:k]]


@dataclass(frozen=True)
class Answer:
    """An answer with its citation: ``article_text[start:end] == text``; ``context`` is the cited passage
    (the sentence or sentences holding the answer) at ``article_text[context_start:context_end]``."""

    text: str
    score: float
    doc_id: str
    title: str
    path: str
    lang: str
    context: str
    start: int
    end: int
    context_start: int
    context_end: int
    source: str = ""
    url: str = ""
    published: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "score": round(self.score, 6),
            "doc_id": self.doc_id,
            "title": self.title,
            "path": self.path,
            "lang": self.lang,
            "context": self.context,
            "start": self.start,
            "end": self.end,
            "context_start": self.context_start,
            "context_end": self.context_end,
            "source": self.source,
            "url": self.url,
            "published": self.published,
        }


@dataclass(frozen=True)
class SearchResult:
    query: str
    hits: list[SearchHit]
    mode: str = "hybrid"
    seconds: float = 0.0
    #: what the filters did that a reader would not see in the hits (undated articles left out, unknown source)
    notes: list[str] = field(default_factory=list)

    @property
    def score_kind(self) -> str:
        """What ``hit.score`` is in this mode (see `SCORE_KINDS`)."""
        return SCORE_KINDS.get(self.mode, self.mode)

    @property
    def score_shown(self) -> bool:
        """Whether the score means something to a reader: only a cosine similarity does (dense mode). Hybrid scores
        are rank-fusion values fused per language (each language's first hit gets 1.0), BM25 scores have no scale:
        neither compares across hits of two languages, so the CLI and the UI show ranks instead."""
        return self.score_kind == "cosine"

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "mode": self.mode,
            "score_kind": self.score_kind,
            "hits": [h.to_dict() for h in self.hits],
            "seconds": round(self.seconds, 4),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class AskResult:
    """Answers best first; empty ``answers`` means "no answer found". ``passages`` are the retrieved chunks."""

    question: str
    reader: str
    answers: list[Answer]
    passages: list[SearchHit] = field(default_factory=list)
    no_answer_score: float | None = None
    seconds: float = 0.0
    #: as `SearchResult.notes`
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "reader": self.reader,
            "answers": [a.to_dict() for a in self.answers],
            "no_answer_score": None if self.no_answer_score is None else round(self.no_answer_score, 6),
            "passages": [p.to_dict() for p in self.passages],
            "seconds": round(self.seconds, 4),
            "notes": list(self.notes),
        }


def cited_sentences(content: str, start: int, end: int) -> tuple[int, int]:
    """The span of the sentence(s) of ``content`` that hold ``content[start:end]``."""
    covering = [(s, e) for s, e in split_sentences(content) if s < max(end, start + 1) and e > start]
    if not covering:
        return start, end
    return min(covering[0][0], start), max(covering[-1][1], end)


def article_span(doc: Document, start: int, end: int) -> tuple[Any, int, int]:
    """A span of a chunk as ``(article, start, end)`` in article offsets when the chunk says where it sits
    (``meta["parent_id"]`` and ``meta["start"]``), else ``(chunk id, start, end)``: the key under which overlapping
    chunks of one article repeat the same text."""
    base = doc.meta.get("start")
    parent = doc.meta.get("parent_id")
    if parent is not None and isinstance(base, int):
        return parent, base + start, base + end
    return doc.id, start, end


def answer_from_extracted(answer: ExtractedAnswer) -> Answer | None:
    """Turn a reader's answer (offsets in its chunk) into a cited answer (offsets in the article).

    :returns: ``None`` for the no-answer (``data is None``) or an answer without a document/offsets.
    """
    doc, span = answer.document, answer.document_offset
    if answer.data is None or doc is None or span is None or doc.content is None:
        return None
    meta = doc.meta
    base = int(meta.get("start", 0))
    ctx_start, ctx_end = cited_sentences(doc.content, span.start, span.end)
    return Answer(
        text=doc.content[span.start : span.end],
        score=float(answer.score),
        doc_id=meta.get("parent_id", ""),
        title=meta.get("title", ""),
        path=meta.get("path", ""),
        lang=meta.get("lang", ""),
        context=doc.content[ctx_start:ctx_end],
        start=base + span.start,
        end=base + span.end,
        context_start=base + ctx_start,
        context_end=base + ctx_end,
        source=meta.get("source", ""),
        url=meta.get("url", ""),
        published=meta.get("published", ""),
    )


# An answer scoring under this share of the best answer's score is noise next to it (e.g. a date in an unrelated
# sentence at 0.004 beside "next March" at 0.24) and is not shown.
MIN_SHARE_OF_BEST = 0.1


def cite_answers(
    answers: list[ExtractedAnswer], top_k: int, below_no_answer: bool = False
) -> tuple[list[Answer], float | None]:
    """Cited answers best first, one per article span (overlapping chunks repeat text), and the no-answer score.

    :param below_no_answer: keep answers that score below the reader's no-answer. The transformer reader returns
        weak answers beside a no-answer score they must beat (SQuAD 2.0 style), so for it this is False; the offline
        reader applies its own calibrated threshold and returns only answers that passed it.
    :returns: ``(answers, no_answer_score)``.
    """
    no_answer = max((a.score for a in answers if a.data is None), default=None)
    cited: dict[tuple[str, int, int], Answer] = {}
    for extracted in sorted(answers, key=lambda a: -a.score):
        answer = answer_from_extracted(extracted)
        if answer is None or (not below_no_answer and no_answer is not None and answer.score < no_answer):
            continue
        key = (answer.doc_id, answer.start, answer.end)
        if key not in cited and not any(_overlaps(answer, kept) for kept in cited.values()):
            cited[key] = answer
    kept = list(cited.values())
    if kept:
        kept = [a for a in kept if a.score >= MIN_SHARE_OF_BEST * kept[0].score]
    return kept[:top_k], no_answer


def _overlaps(a: Answer, b: Answer) -> bool:
    return a.doc_id == b.doc_id and a.start < b.end and b.start < a.end
