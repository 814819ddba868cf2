"""The reader's training pipeline on a 20-question slice: bundle, a few steps, resume, export (seconds, no GPU)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from kavosh.evaluation import reader_training as rt

pytest.importorskip("torch")
pytest.importorskip("transformers")


def test_splits_keep_the_evaluation_sets_out(data_dir):
    train, tune = rt.training_splits(data_dir)
    ids = {item.qid for item in train} | {item.qid for item in tune}
    assert not {item.qid for item in train} & {item.qid for item in tune}
    persianqa = json.loads((data_dir / "persianqa" / "pqa_test.json").read_text(encoding="utf-8"))["data"]
    assert not ids & {str(q["id"]) for a in persianqa for p in a["paragraphs"] for q in p["qas"]}
    squad = json.loads((data_dir / "squad2_dev_cs224n_half" / "dev-v2.0.cs224n-half.json").read_text(encoding="utf-8"))[
        "data"
    ]
    test_half = {q["id"] for a in squad[len(squad) // 2 :] for p in a["paragraphs"] for q in p["qas"]}
    assert not ids & test_half
    assert {item.lang for item in train} == {"fa", "en"}


def test_crosslingual_cloze_questions_ask_for_what_the_other_language_says(data_dir):
    train, tune = rt.crosslingual_items(data_dir)
    assert train and tune
    answerable = [item for item in train if item.answers]
    for item in answerable[:50]:
        start, text = item.answers[0]
        assert item.context[start : start + len(text)] == text
    assert {item.lang for item in train} == {"fa>en", "en>fa"}
    assert any(not item.answers for item in train)


@pytest.fixture(scope="module")
def bundle(data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle")
    stats = rt.prepare(data_dir, out, limit=20)
    assert stats["train_questions"] == 20 and stats["train_windows"] >= 20
    return out


def test_bundle_features_label_answers_inside_their_window(bundle):
    features = np.load(bundle / "features.npz")
    start, end, length = features["train_start"], features["train_end"], features["train_length"]
    assert (start <= end).all() and (end < length).all()
    assert (start > 0).any()  # some windows hold their answer


def test_training_checkpoints_resumes_and_exports(bundle, tmp_path):
    out = tmp_path / "run"
    first = rt.train(bundle, out, epochs=1, batch_size=4, train_layers=1, save_every=1, max_steps=2)
    assert first["steps"] == 2 and (out / "checkpoint.pt").is_file()
    resumed = rt.train(bundle, out, epochs=1, batch_size=4, train_layers=1, save_every=1, max_steps=3, resume=True)
    assert resumed["steps"] == 3  # went on from step 2, not from the start
    model_dir = tmp_path / "model"
    exported = rt.export(out, model_dir, quantize=True)
    assert exported["bytes"] < 30 << 20
    card = json.loads((model_dir / "kavosh-reader.json").read_text(encoding="utf-8"))
    assert card["max_length"] == 256 and card["training"]["steps"] == 3
    fitted = rt.calibrate(model_dir, [bundle], limit=4)  # read as deployed: retrieval over the tuning paragraphs
    card = json.loads((model_dir / "kavosh-reader.json").read_text(encoding="utf-8"))
    assert card["platt"] == fitted["platt"] and 0.0 <= card["threshold"] <= 1.0
    assert card["type_bonus"] in rt.TYPE_BONUSES and fitted["tune"]["questions"] == 4


def test_platt_scaling_recovers_a_known_calibration():
    rng = np.random.default_rng(0)
    scores = rng.normal(0, 3, 4000)
    correct = rng.random(4000) < 1 / (1 + np.exp(-(0.8 * scores - 1.0)))
    a, b = rt.fit_platt(scores, correct)
    assert a == pytest.approx(0.8, abs=0.1) and b == pytest.approx(-1.0, abs=0.15)


def test_a_second_stage_starts_from_the_first_stages_weights(bundle, tmp_path, capsys):
    import torch

    first = tmp_path / "first"
    rt.train(bundle, first, epochs=1, batch_size=4, train_layers=1, save_every=0, max_steps=2)
    second = tmp_path / "second"
    args = ["train", "--bundle", str(bundle), "--out", str(second), "--init", str(first)]
    capsys.readouterr()
    assert rt.main([*args, "--max-steps", "1", "--lr", "0", "--train-layers", "1", "--batch-size", "2"]) == 0
    printed = capsys.readouterr()
    assert re.search(r"epoch \d\.\d\d: \{'step': 1", printed.err)  # progress, on stderr
    assert json.loads(printed.out)["steps"] == 1  # stdout is the summary alone

    def head(run):
        state = {}
        for path in sorted(run.glob("reader-*.pt")):
            state.update(torch.load(path))
        return state["qa.weight"]

    assert torch.equal(head(second), head(first))  # through the command line, --init really loads the weights
