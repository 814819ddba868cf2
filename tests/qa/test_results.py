"""Tests for kavosh.qa.results: answers cite their article with offsets into the article text, not the chunk."""

from __future__ import annotations

from haystack import Document
from haystack.dataclasses import ExtractedAnswer

from kavosh.indexer.indexing import chunk_article
from kavosh.indexer.loaders import Article
from kavosh.qa.results import SearchHit, by_article, cite_answers

ARTICLE_TEXT = (
    "Iran and Russia prepared a treaty in March 2001 as a roadmap. "
    "Tehran and Moscow will pursue extension of their 20-year-long treaty which will end next March. "
    "Both sides stressed cooperation in all fields."
)
ARTICLE = Article(
    text=ARTICLE_TEXT,
    title="Treaty",
    path="/news/treaty.txt",
    key="/news/treaty.txt",
    source="Islam Times",
    url="https://example.org/treaty",
    published="2020-07-22",
    lang="en",
    format="txt",
    encoding="utf-8",
)


def _chunk_holding(needle: str) -> Document:
    chunks = chunk_article(ARTICLE, "doc1", max_chars=100, overlap_sentences=0)
    return next(c for c in chunks if needle in c.content and c.meta["start"] > 0)


def _answer(doc: Document, needle: str, score: float) -> ExtractedAnswer:
    start = doc.content.index(needle)
    return ExtractedAnswer(
        query="q",
        score=score,
        data=needle,
        document=doc,
        document_offset=ExtractedAnswer.Span(start, start + len(needle)),
    )


def test_an_answer_cites_its_article_sentence_and_offsets_in_the_article():
    doc = _chunk_holding("next March")
    answers, no_answer = cite_answers([_answer(doc, "next March", 0.8)], top_k=3)
    assert no_answer is None
    [answer] = answers
    assert ARTICLE_TEXT[answer.start : answer.end] == answer.text == "next March"
    assert ARTICLE_TEXT[answer.context_start : answer.context_end] == answer.context
    assert answer.context.startswith("Tehran and Moscow") and answer.context.endswith("next March.")
    assert (answer.doc_id, answer.title, answer.path, answer.source) == (
        "doc1",
        "Treaty",
        "/news/treaty.txt",
        "Islam Times",
    )
    assert answer.to_dict()["text"] == "next March"


def test_overlapping_duplicates_weak_answers_and_answers_below_no_answer_are_dropped():
    doc = _chunk_holding("next March")
    no_answer = ExtractedAnswer(query="q", score=0.3, data=None, document=None)
    answers, no_answer_score = cite_answers(
        [
            _answer(doc, "next March", 0.8),
            _answer(doc, "March", 0.7),  # inside the first answer's span
            _answer(doc, "20-year-long", 0.05),  # under a tenth of the best
            _answer(doc, "Tehran", 0.2),  # under the no-answer score
            no_answer,
        ],
        top_k=5,
    )
    assert [a.text for a in answers] == ["next March"]
    assert no_answer_score == 0.3
    kept, _ = cite_answers([_answer(doc, "Tehran", 0.2), no_answer], top_k=5, below_no_answer=True)
    assert [a.text for a in kept] == ["Tehran"]


def test_a_search_hit_is_the_chunk_with_its_article_offsets():
    doc = _chunk_holding("next March")
    hit = SearchHit.from_document(Document(id=doc.id, content=doc.content, meta=doc.meta, score=0.5))
    assert ARTICLE_TEXT[hit.start : hit.end] == hit.text
    assert hit.to_dict()["doc_id"] == "doc1" and hit.score == 0.5


def test_by_article_keeps_each_articles_best_passage_and_counts_the_rest():
    def hit(doc_id: str, score: float) -> SearchHit:
        return SearchHit(doc_id, doc_id.upper(), f"/{doc_id}.txt", "en", score, f"text {score}", 0, 6)

    hits = [hit("a", 0.9), hit("b", 0.8), hit("a", 0.7), hit("c", 0.6), hit("a", 0.5), hit("b", 0.4)]
    grouped = by_article(hits, k=2)
    assert [(h.doc_id, h.score, h.more_passages) for h in grouped] == [("a", 0.9, 2), ("b", 0.8, 1)]
    assert grouped[0].to_dict()["more_passages"] == 2
    assert [h.doc_id for h in by_article(hits, k=10)] == ["a", "b", "c"]
    assert hits[0].more_passages == 0  # inputs are not changed
