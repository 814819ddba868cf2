"""Open-domain QA on SQuAD-format sets: every paragraph an article in a fresh store, every question through ``ask``.

Readers: SQuAD 2.0 JSON (``data[].paragraphs[].qas[]`` with ``is_impossible``; also PersianQA and ParsiNLU's
``.json``) and ParsiNLU's JSON Lines (``question``, ``passage``, ``answers: [[start, text], ...]``). A paragraph that
occurs several times (ParsiNLU repeats passages) is one article.

Measured per question: the rank of the gold paragraph in each retrieval mode's ranking (``Kavosh.search``, chunks
collapsed to their paragraph), the top answer of ``Kavosh.ask`` (EM/F1, whether its cited sentence holds a gold
answer, no answer on unanswerable questions, latency), and the trivial baseline on the passages the reader read:
the sentence sharing the most analysed terms with the question, given whole as the answer.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from kavosh.evaluation.corpus import make_article
from kavosh.evaluation.metrics import (
    contains_answer,
    exact_match,
    f1_score,
    latency_summary,
    mean,
    no_answer_scores,
    rank_of,
)
from kavosh.indexer.loaders import Article
from kavosh.text.analysis import analyze, detect_language
from kavosh.text.chunking import split_sentences

logger = logging.getLogger(__name__)

RECALL_AT = (1, 5, 20)
SEARCH_CHUNKS = 60  # chunks fetched per mode to rank >= 20 distinct paragraphs (paragraphs are 1-3 chunks)
READER_DEPTH = 10  # chunks the reader reads (kavosh.service.service.DEFAULT_READER_DEPTH)
ANSWERS_K = 3  # answers asked for, as `kavosh ask` does by default
BASELINE_NAME = "baseline:word-overlap"

# SQuAD 2.0 dev half: the offline reader's weights were fitted on the first 8 of its 16 articles, so by default
# only questions of the last 8 articles are asked (all 646 paragraphs are indexed).
TUNING_SPLITS = {"dev-v2.0.cs224n-half.json": "test"}
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


@dataclass(frozen=True)
class QAParagraph:
    pid: str
    title: str
    context: str
    article: int  # index of the article (SQuAD "data" entry) it belongs to


@dataclass(frozen=True)
class QAQuestion:
    qid: str
    text: str
    pid: str
    answers: tuple[str, ...]  # empty for an unanswerable question

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


@dataclass
class QADataset:
    """A SQuAD-format set: paragraphs by id, questions in file order."""

    name: str
    path: str
    lang: str
    paragraphs: dict[str, QAParagraph]
    questions: list[QAQuestion]
    articles: int = 0

    def articles_for_store(self) -> list[Article]:
        """One article per paragraph (key ``<name>:<pid>``), titled with its Wikipedia article where there is one."""
        return [
            make_article(p.context, p.title, f"{self.name}:{p.pid}", self.lang, f"{self.path}#{p.pid}", self.name)
            for p in self.paragraphs.values()
        ]

    def head(self, paragraphs: int) -> QADataset:
        """The first ``paragraphs`` paragraphs of the file and only their questions (a small slice for tests)."""
        keep = dict(list(self.paragraphs.items())[:paragraphs])
        questions = [q for q in self.questions if q.pid in keep]
        articles = len({p.article for p in keep.values()})
        return QADataset(self.name, self.path, self.lang, keep, questions, articles)

    def stats(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "lang": self.lang,
            "paragraphs": len(self.paragraphs),
            "questions": len(self.questions),
            "unanswerable": sum(1 for q in self.questions if not q.answerable),
        }


class _ParagraphIds:
    """Deduplicate paragraphs by text; the first occurrence names them."""

    def __init__(self) -> None:
        self.by_text: dict[str, str] = {}
        self.paragraphs: dict[str, QAParagraph] = {}

    def add(self, context: str, title: str, article: int) -> str:
        pid = self.by_text.get(context)
        if pid is None:
            pid = f"p{len(self.paragraphs)}"
            self.by_text[context] = pid
            title = "" if _UUID.match(title.strip()) else title.replace("_", " ").strip()
            self.paragraphs[pid] = QAParagraph(pid, title, context, article)
        return pid


def _answers(texts: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t for t in texts if t.strip()))


def load_squad_json(path: str | Path) -> QADataset:
    """Read a SQuAD 1.1/2.0-format JSON file (SQuAD 2.0, PersianQA, ParsiNLU ``.json``).

    :raises ValueError: if the file is not SQuAD-shaped.
    """
    path = Path(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise ValueError(f"{path}: not a SQuAD-format file (no top-level 'data' list)")
    ids = _ParagraphIds()
    questions: list[QAQuestion] = []
    for a, article in enumerate(data["data"]):
        for para in article.get("paragraphs", []):
            pid = ids.add(para["context"], str(article.get("title", "")), a)
            for qa in para.get("qas", []):
                impossible = bool(qa.get("is_impossible", False))
                answers = () if impossible else _answers([x["text"] for x in qa.get("answers", [])])
                questions.append(QAQuestion(str(qa["id"]), qa["question"].strip(), pid, answers))
    return _dataset(path, ids, questions, len(data["data"]))


def load_parsinlu_jsonl(path: str | Path) -> QADataset:
    """Read ParsiNLU reading comprehension JSON Lines (``answers`` as ``[[start, text], ...]``)."""
    path = Path(path)
    ids = _ParagraphIds()
    questions: list[QAQuestion] = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f):
            if not line.strip():
                continue
            record = json.loads(line)
            pid = ids.add(record["passage"], "", n)
            answers = _answers([a[1] if isinstance(a, list) else a["text"] for a in record.get("answers", [])])
            questions.append(QAQuestion(str(record.get("id", n)), record["question"].strip(), pid, answers))
    return _dataset(path, ids, questions, len(ids.paragraphs))


def _dataset(path: Path, ids: _ParagraphIds, questions: list[QAQuestion], articles: int) -> QADataset:
    sample = " ".join(p.context[:500] for p in list(ids.paragraphs.values())[:20])
    name = path.stem if path.parent.name in ("", ".") else f"{path.parent.name}/{path.stem}"
    return QADataset(name, str(path), detect_language(sample), ids.paragraphs, questions, articles)


def load_qa_dataset(path: str | Path) -> QADataset:
    """Read a QA set by its extension: ``.jsonl`` is ParsiNLU JSON Lines, anything else SQuAD JSON.

    :raises ValueError: for a file that is neither.
    :raises OSError: for a missing file.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a folder; give a SQuAD-format .json or ParsiNLU .jsonl file")
    return load_parsinlu_jsonl(path) if path.suffix == ".jsonl" else load_squad_json(path)


def default_split(path: str | Path) -> str:
    """``test`` for a set whose first half tuned the offline reader (the SQuAD 2.0 dev half), else ``all``."""
    return TUNING_SPLITS.get(Path(path).name, "all")


def select_questions(
    dataset: QADataset, split: str = "all", limit: int | None = None, seed: int = 13
) -> list[QAQuestion]:
    """The questions to ask.

    :param split: ``all``; ``tune`` / ``test``: questions of the first / second half of the set's articles.
    :param limit: a fixed-seed random sample of at most this many questions (kept in file order).
    :raises ValueError: for an unknown split or a limit below 1.
    """
    if split not in ("all", "tune", "test"):
        raise ValueError(f"unknown split {split!r}; choose all, tune or test")
    half = dataset.articles // 2
    chosen = [
        q
        for q in dataset.questions
        if split == "all" or (split == "tune") == (dataset.paragraphs[q.pid].article < half)
    ]
    if limit is not None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        if limit < len(chosen):
            keep = set(random.Random(seed).sample(range(len(chosen)), limit))
            chosen = [q for i, q in enumerate(chosen) if i in keep]
    return chosen


# --- Baseline --------------------------------------------------------------------------------------------------


def word_overlap_sentence(question: str, passages: Sequence[Any]) -> tuple[str, str]:
    """The trivial baseline: the sentence of the passages sharing the most analysed terms with the question.

    Ties go to the earlier sentence in retrieval order. The whole sentence is the answer.

    :param passages: ``SearchHit``-like objects with ``text``, ``doc_id`` and ``start``, best first.
    :returns: ``(sentence, doc_id)``; ``("", "")`` when there is no passage.
    """
    terms = set(analyze(question))
    best: tuple[int, str, str] = (-1, "", "")
    seen: set[tuple[str, int]] = set()
    for hit in passages:
        for s, e in split_sentences(hit.text):
            key = (hit.doc_id, hit.start + s)
            if key in seen:  # overlapping chunks repeat sentences
                continue
            seen.add(key)
            sentence = hit.text[s:e]
            shared = len(terms & set(analyze(sentence)))
            if shared > best[0]:
                best = (shared, sentence, hit.doc_id)
    return best[1], best[2]


# --- Evaluation ------------------------------------------------------------------------------------------------


@dataclass
class _AnswerLog:
    """Per-question outcomes of one answerer (a reader or the baseline)."""

    em: list[float] = field(default_factory=list)
    f1: list[float] = field(default_factory=list)
    em_plain: list[float] = field(default_factory=list)
    f1_plain: list[float] = field(default_factory=list)
    cited: list[float] = field(default_factory=list)  # answerable only
    from_gold: list[float] = field(default_factory=list)  # answerable only
    none: list[bool] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def add(self, q: QAQuestion, answer: str | None, context: str, doc_id: str, gold_doc: str, persian: bool) -> None:
        prediction = answer or ""
        self.em.append(exact_match(prediction, q.answers, persian))
        self.f1.append(f1_score(prediction, q.answers, persian))
        if persian:
            self.em_plain.append(exact_match(prediction, q.answers))
            self.f1_plain.append(f1_score(prediction, q.answers))
        self.none.append(answer is None)
        if q.answerable:
            self.cited.append(float(answer is not None and contains_answer(context, q.answers, persian)))
            self.from_gold.append(float(answer is not None and doc_id == gold_doc))

    def summary(self, questions: Sequence[QAQuestion]) -> dict[str, Any]:
        has = [i for i, q in enumerate(questions) if q.answerable]
        out: dict[str, Any] = {
            "em": mean(self.em),
            "f1": mean(self.f1),
            "has_answer_em": mean(self.em[i] for i in has),
            "has_answer_f1": mean(self.f1[i] for i in has),
            "cited_sentence_has_answer": mean(self.cited),
            "answered_from_gold_paragraph": mean(self.from_gold),
            "answered": mean(float(not n) for n in self.none),
        }
        if self.em_plain:
            out["em_squad_norm"] = mean(self.em_plain)
            out["f1_squad_norm"] = mean(self.f1_plain)
            out["has_answer_f1_squad_norm"] = mean(self.f1_plain[i] for i in has)
        if len(has) < len(questions):
            out["no_answer"] = no_answer_scores(self.none, [not q.answerable for q in questions])
        if self.seconds:
            out["latency"] = latency_summary(self.seconds)
        return out


def evaluate_qa(
    service: Any,
    dataset: QADataset,
    questions: Sequence[QAQuestion],
    doc_ids: dict[str, str],
    modes: Sequence[str] = ("bm25", "dense", "hybrid"),
    ask_mode: str = "hybrid",
    answers_k: int = ANSWERS_K,
    answers: bool = True,
    baseline: bool = True,
    progress: bool = False,
    on_question: Callable[[int], None] | None = None,
    readers: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """Ask every question through the service and score retrieval, answers and the baseline.

    :param service: a ``kavosh.service.service.Kavosh`` over a store holding ``dataset.articles_for_store()``.
    :param doc_ids: article key -> store doc_id (from :func:`kavosh.evaluation.corpus.build_store`).
    :param modes: retrieval modes whose gold-paragraph recall is measured.
    :param ask_mode: the retrieval mode ``ask`` uses.
    :param answers_k: answers asked for (only the top one is scored).
    :param answers: ask every question (``False``: retrieval only).
    :param baseline: also run the word-overlap baseline on the passages the reader read.
    :param readers: services over the same store whose readers answer every question (default: ``service``'s),
        so that readers are compared on the same retrieval in one run.
    :returns: ``{"retrieval": {mode: ...}, "answers": {reader: ..., baseline: ...}}``.
    """
    pid_of = {doc_ids[f"{dataset.name}:{pid}"]: pid for pid in dataset.paragraphs}
    gold_doc = {pid: doc for doc, pid in pid_of.items()}
    persian = dataset.lang == "fa"
    ranks: dict[str, list[int | None]] = {m: [] for m in modes}
    search_seconds: dict[str, list[float]] = {m: [] for m in modes}
    readers = list(readers) if readers else [service]
    reader_logs = [_AnswerLog() for _ in readers]
    baseline_log = _AnswerLog()
    bar = tqdm(questions, desc=dataset.name, unit="q", disable=not progress, dynamic_ncols=True)
    for n, q in enumerate(bar):
        for mode in modes:
            result = service.search(q.text, mode=mode, k=SEARCH_CHUNKS)
            ranked = list(dict.fromkeys(pid_of.get(h.doc_id, h.doc_id) for h in result.hits))
            ranks[mode].append(rank_of(ranked, q.pid))
            search_seconds[mode].append(result.seconds)
        for reader, reader_log in zip(readers if answers else [], reader_logs, strict=False):
            asked = reader.ask(q.text, k=answers_k, mode=ask_mode)
            top = asked.answers[0] if asked.answers else None
            reader_log.add(
                q,
                top.text if top else None,
                top.context if top else "",
                top.doc_id if top else "",
                gold_doc[q.pid],
                persian,
            )
            reader_log.seconds.append(asked.seconds)
        if answers and baseline:
            started = time.perf_counter()
            read = service.search(q.text, mode=ask_mode, k=READER_DEPTH).hits
            sentence, doc_id = word_overlap_sentence(q.text, read)
            baseline_log.add(q, sentence or None, sentence, doc_id, gold_doc[q.pid], persian)
            baseline_log.seconds.append(time.perf_counter() - started)
        if on_question:
            on_question(n + 1)
    retrieval = {
        mode: {
            **{f"recall@{k}": mean(float(r is not None and r <= k) for r in ranks[mode]) for k in RECALL_AT},
            "mrr": mean(1.0 / r if r else 0.0 for r in ranks[mode]),
            "latency": latency_summary(search_seconds[mode]),
        }
        for mode in modes
    }
    if not answers:
        return {"retrieval": retrieval}
    answerers = {reader.reader_name: log.summary(questions) for reader, log in zip(readers, reader_logs, strict=True)}
    if baseline:
        answerers[BASELINE_NAME] = baseline_log.summary(questions)
    return {"retrieval": retrieval, "answers": answerers}


__all__ = [
    "BASELINE_NAME",
    "QADataset",
    "QAParagraph",
    "QAQuestion",
    "default_split",
    "evaluate_qa",
    "load_parsinlu_jsonl",
    "load_qa_dataset",
    "load_squad_json",
    "select_questions",
    "word_overlap_sentence",
]
