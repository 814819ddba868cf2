"""Tests for qa/transformer_reader.py.

The real reader model cannot be downloaded here, so the mechanics (offsets, windows, no-answer, dedup) run on a tiny
BERT question-answering model built in tmp_path with hand-set weights: every token's embedding survives the encoder
unchanged (attention and feed-forward outputs are zeroed, so the residuals carry it), and `qa_outputs` reads it out
so that the start logit is high only on "next" / "اسفند" and the end logit high only on "march" / "آینده".
"""

import pytest

# The Hugging Face reader is the `hf` extra (torch, transformers, transformers-haystack); without it, skip.
torch = pytest.importorskip("torch", reason="the hf extra is not installed (pip install 'kavosh[hf]')")
pytest.importorskip("haystack_integrations.components.readers.transformers", reason="the hf extra is not installed")

import huggingface_hub.constants  # noqa: E402
from haystack import Document  # noqa: E402
from transformers import BertConfig, BertForQuestionAnswering, BertTokenizerFast  # noqa: E402

from kavosh.qa.transformer_reader import (  # noqa: E402
    CALIBRATION_FACTOR,
    DEFAULT_READER_MODEL,
    build_transformer_reader,
    is_model_available,
    load_error_message,
)

EN_WORDS = (
    "a and answer end go march monday next of officials on ports said signed talks that the treaty "
    "trade was when will does year 20 in - . , ?"
).split()
FA_WORDS = "پیمان بیست ساله اسفند سال آینده پایان می یابد کی گفتند مقامات ، . ؟".split()
START_WORDS = ("next", "اسفند")
END_WORDS = ("march", "آینده")

QUERY = "When does the treaty end?"
ARTICLE = "Officials said on Monday that the 20-year treaty will end next March. Talks on trade and ports go on."
# One filler sentence: every word is one token of the tiny vocab, none of them a start or end word.
FILLER = "the treaty of trade and ports was signed in the year 20 . "


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    # huggingface_hub reads the variable once at import; transformers asks this constant at load time.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("tiny-qa")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + sorted(set(EN_WORDS + FA_WORDS))
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    ids = {word: i for i, word in enumerate(vocab)}
    # strip_accents=False keeps Persian letters such as "آ" intact under lower-casing.
    tokenizer = BertTokenizerFast(vocab=ids, do_lower_case=True, strip_accents=False)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
    )
    model = BertForQuestionAnswering(config)
    with torch.no_grad():
        embeddings = model.bert.embeddings
        words = embeddings.word_embeddings.weight
        words.zero_()
        words[:, 2] = 1.0  # every token: dimension 2
        for word in START_WORDS:
            words[ids[word]] = 0.0
            words[ids[word], 0] = 1.0  # start words: dimension 0
        for word in END_WORDS:
            words[ids[word]] = 0.0
            words[ids[word], 1] = 1.0  # end words: dimension 1
        embeddings.position_embeddings.weight.zero_()
        embeddings.token_type_embeddings.weight.zero_()
        for layer in model.bert.encoder.layer:
            for dense in (layer.attention.output.dense, layer.output.dense):
                dense.weight.zero_()
                dense.bias.zero_()
        # After LayerNorm a one-hot embedding reads sqrt(31) ~ 5.57 on its dimension and -0.18 elsewhere:
        # start logit ~ +30.7 on start words and -26.8 on all others (same for end), so the span
        # "next march" scores sigmoid(0.1 * 61) ~ 0.998 and a span touching neither word ~ 0.005.
        model.qa_outputs.weight.zero_()
        model.qa_outputs.bias.fill_(-25.0)
        model.qa_outputs.weight[0, 0] = 10.0
        model.qa_outputs.weight[1, 1] = 10.0
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)


def _chunk(article: str, start: int, end: int, parent_id: str = "article-1", lang: str = "en") -> Document:
    """A chunk Document the way the indexer makes them: an exact slice plus its article offsets."""
    meta = {"start": start, "end": end, "parent_id": parent_id, "title": "Treaty", "lang": lang, "path": "a.txt"}
    return Document(content=article[start:end], meta=meta)


def _read(model_dir: str, query: str, documents: list[Document], **settings):
    reader = build_transformer_reader(model_dir, **settings)
    reader.warm_up()
    return reader, reader.run(query=query, documents=documents)["answers"]


def _windows(reader, query: str, text: str, max_seq_length: int, stride: int) -> list[list[str]]:
    """The token windows the reader's tokenizer cuts from (query, text), as the reader does."""
    encoded = reader.tokenizer(
        [query], [text], truncation=True, max_length=max_seq_length, stride=stride, return_overflowing_tokens=True
    )
    return [reader.tokenizer.convert_ids_to_tokens(ids) for ids in encoded["input_ids"]]


def test_build_configures_the_stock_reader() -> None:
    reader = build_transformer_reader("some/model", top_k=3, no_answer=False, max_seq_length=256, stride=64)
    params = reader.to_dict()["init_parameters"]

    assert params["model"] == "some/model"
    assert (params["top_k"], params["no_answer"], params["max_seq_length"], params["stride"]) == (3, False, 256, 64)
    assert (params["answers_per_seq"], params["overlap_threshold"]) == (8, 0.01)
    assert params["calibration_factor"] == CALIBRATION_FACTOR
    assert reader.model is None, "no model is loaded before warm_up"


@pytest.mark.parametrize(
    ("settings", "bad"),
    [
        ({"top_k": 0}, "top_k"),
        ({"max_seq_length": 64, "stride": 64}, "stride"),
        ({"answers_per_seq": 0}, "answers_per_seq"),
        ({"score_threshold": 1.5}, "score_threshold"),
        ({"overlap_threshold": -0.1}, "overlap_threshold"),
    ],
)
def test_build_rejects_bad_settings(settings: dict, bad: str) -> None:
    with pytest.raises(ValueError, match=bad):
        build_transformer_reader("some/model", **settings)


def test_answer_offsets_slice_the_chunk_and_map_to_the_article(tiny_model_dir: str) -> None:
    chunk = _chunk(ARTICLE, 31, len(ARTICLE))  # starts at "the 20-year treaty"

    _, answers = _read(tiny_model_dir, QUERY, [chunk])

    top = answers[0]
    assert top.data == "next March"
    assert top.score > 0.99
    assert top.document is chunk
    span = top.document_offset
    assert chunk.content[span.start : span.end] == top.data
    article_start = chunk.meta["start"] + span.start
    assert ARTICLE[article_start : article_start + len(top.data)] == "next March"
    assert article_start == ARTICLE.index("next March")
    # Candidates overlapping the best span ("end next March", "next") were deduplicated away.
    for other in answers[1:]:
        if other.document_offset is not None:
            assert other.document_offset.end <= span.start or other.document_offset.start >= span.end


def test_answer_near_the_end_of_a_long_document_is_found_through_windows(tiny_model_dir: str) -> None:
    text = FILLER * 20 + "The treaty will end next March."
    reader, answers = _read(tiny_model_dir, QUERY, [Document(content=text)], max_seq_length=64, stride=16)

    assert len(_windows(reader, QUERY, text, 64, 16)) > 4, "the document must span many windows"
    top = answers[0]
    assert top.data == "next March"
    assert text[top.document_offset.start : top.document_offset.end] == "next March"
    assert top.document_offset.start == text.index("next March") > len(text) - 40


def test_document_without_the_answer_gives_the_no_answer_first(tiny_model_dir: str) -> None:
    chunk = Document(content="Talks on trade and ports go on. The treaty was signed on Monday.")

    _, answers = _read(tiny_model_dir, QUERY, [chunk])
    _, without_no_answer = _read(tiny_model_dir, QUERY, [chunk], no_answer=False)
    _, above_threshold = _read(tiny_model_dir, QUERY, [chunk], score_threshold=0.5)

    assert answers[0].data is None and answers[0].document is None
    assert answers[0].score > 0.95
    # The no-answer score is the probability that every returned span is wrong: prod(1 - score).
    assert answers[0].score == pytest.approx(torch.tensor([1 - a.score for a in answers[1:]]).prod().item())
    assert all(a.data is not None for a in without_no_answer)
    assert [a.data for a in above_threshold] == [None]


def test_no_answer_ranks_below_a_found_answer(tiny_model_dir: str) -> None:
    _, answers = _read(tiny_model_dir, QUERY, [Document(content=ARTICLE)])

    no_answer = next(a for a in answers if a.data is None)
    assert answers[0].data == "next March"
    assert no_answer.score < 0.01


def test_same_answer_in_overlapping_windows_is_returned_once(tiny_model_dir: str) -> None:
    # Query "when does the treaty end ?" is 6 tokens, so a 64-token window holds 55 document tokens and the next one
    # starts 39 tokens later: document tokens 39..54 are in both windows. Put "next March" at tokens 45-46.
    filler_words = (FILLER.split() * 10)[:45]
    text = " ".join(filler_words) + " next March " + " ".join(filler_words)
    doc = Document(content=text)

    reader, deduplicated = _read(tiny_model_dir, QUERY, [doc], max_seq_length=64, stride=16)
    _, kept = _read(tiny_model_dir, QUERY, [doc], max_seq_length=64, stride=16, overlap_threshold=None)

    assert sum("next" in window for window in _windows(reader, QUERY, text, 64, 16)) == 2
    assert [a.data for a in kept].count("next March") == 2, "without dedup both windows give the answer"
    found = [a for a in deduplicated if a.data == "next March"]
    assert len(found) == 1
    assert text[found[0].document_offset.start : found[0].document_offset.end] == "next March"


def test_overlapping_chunks_of_one_article_are_not_merged_by_the_reader(tiny_model_dir: str) -> None:
    # Dedup in the reader works per Document id; two chunks holding the same article span both answer, with the
    # same article offsets, so merging them is left to the citation code.
    first, second = _chunk(ARTICLE, 0, 70), _chunk(ARTICLE, 40, len(ARTICLE))

    _, answers = _read(tiny_model_dir, QUERY, [first, second])

    found = [a for a in answers if a.data == "next March"]
    assert {a.document.id for a in found} == {first.id, second.id}
    assert {a.document.meta["start"] + a.document_offset.start for a in found} == {ARTICLE.index("next March")}


def test_persian_answer_offsets(tiny_model_dir: str) -> None:
    # The zero-width non-joiner in "بیست‌ساله" and "می‌یابد" is dropped by the tokenizer; offsets must still land.
    article = "مقامات گفتند پیمان بیست‌ساله، اسفند سال آینده پایان می‌یابد."
    chunk = _chunk(article, 13, len(article), lang="fa")

    _, answers = _read(tiny_model_dir, "پیمان کی پایان می یابد؟", [chunk])

    top = answers[0]
    assert top.data == "اسفند سال آینده"
    assert chunk.content[top.document_offset.start : top.document_offset.end] == top.data
    assert chunk.meta["start"] + top.document_offset.start == article.index("اسفند سال آینده")


def test_is_model_available_checks_local_directories_without_network(tiny_model_dir: str, tmp_path) -> None:
    assert is_model_available(tiny_model_dir)
    assert not is_model_available(str(tmp_path))  # a directory without a config
    assert not is_model_available("no-such-org/no-such-reader-model-xyz")
    assert not is_model_available("not a // valid id")


def test_is_model_available_finds_a_model_in_the_hf_cache(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot = tmp_path / "models--acme--reader" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (tmp_path / "models--acme--reader" / "refs").mkdir()
    (tmp_path / "models--acme--reader" / "refs" / "main").write_text("abc123")
    (snapshot / "config.json").write_text("{}")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))

    assert not is_model_available("acme/reader"), "a config without weights is not a usable model"
    (snapshot / "model.safetensors").write_bytes(b"")
    assert is_model_available("acme/reader")


def test_load_error_message_is_one_line_naming_the_model(tmp_path) -> None:
    missing = "no-such-org/no-such-reader-model-xyz"
    reader = build_transformer_reader(missing)
    with pytest.raises(OSError) as hub_error:
        reader.warm_up()
    empty_dir = build_transformer_reader(str(tmp_path))
    with pytest.raises(ValueError) as dir_error:  # transformers: a directory that is not a model is a ValueError
        empty_dir.warm_up()

    hub_message = load_error_message(missing, hub_error.value)
    dir_message = load_error_message(str(tmp_path), dir_error.value)

    assert "\n" not in hub_message and "\n" not in dir_message
    assert f"'{missing}'" in hub_message and "--reader offline" in hub_message and "local path" in hub_message
    assert str(tmp_path) in dir_message


@pytest.mark.integration
@pytest.mark.skipif(
    not is_model_available(DEFAULT_READER_MODEL),
    reason=f"{DEFAULT_READER_MODEL} is not in the Hugging Face cache and cannot be downloaded here",
)
def test_default_model_answers_in_english_and_persian() -> None:
    reader = build_transformer_reader()
    reader.warm_up()

    english = reader.run(query=QUERY, documents=[Document(content=ARTICLE)])["answers"][0]
    persian_text = "مقامات گفتند پیمان بیست‌ساله اسفند سال آینده پایان می‌یابد."
    persian = reader.run(query="پیمان کی پایان می‌یابد؟", documents=[Document(content=persian_text)])["answers"][0]

    assert "March" in english.data
    assert "اسفند" in persian.data
