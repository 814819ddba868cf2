"""Ad-hoc retrieval against relevance judgements (Hamshahri), scored with ``ranx``, beside a stock BM25 baseline.

The Hamshahri sample (``HamshahriData/``): articles in ``HamshahriCorpus/<year>/HAM2-<yymmdd>-<n>.ham`` (UTF-8,
headline on the first line, Arabic yeh/kaf throughout), queries in ``Queris/<qid>.q`` (one line), binary
judgements in ``RelativeAssesemnt/judgements.txt`` (``qid docid`` per line). Each query is run as given and re-typed
with Persian-keyboard letters (ی/ک), which is how a user types it today.

Kavosh ranks chunks; an article's rank is that of its best chunk, and each run keeps the first ``depth`` (100)
articles. The baseline is Haystack's ``InMemoryDocumentStore`` with its default BM25 (BM25L, regex tokenizer, no
normalisation) over whole articles: what Persian analysis buys is the difference. A reference run feeds the same
stock BM25 Kavosh's analysed terms, separating the gain of the analysis from the effect of ranking passages.
"""

from __future__ import annotations

import logging
import re
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from kavosh.evaluation.corpus import make_article
from kavosh.evaluation.metrics import latency_summary, mean
from kavosh.indexer.loaders import Article, jalali_to_gregorian
from kavosh.text.analysis import analyze

logger = logging.getLogger(__name__)

DEPTH = 100
MEASURES = ("map", "ndcg@10", "precision@10", "recall@100")
BASELINE_NAME = "baseline:haystack-bm25"
# Diagnostic: the same stock BM25 over whole articles, fed Kavosh's analysed terms (normalised, stemmed, no
# stopwords). Against BASELINE_NAME it shows what the analysis buys; against Kavosh's bm25 mode, what ranking
# passages (chunks) instead of whole articles costs.
REFERENCE_NAME = "reference:haystack-bm25+kavosh-analysis"
_FIRST_CHUNKS = 400  # chunks fetched first; doubled until `depth` distinct articles are ranked
_MAX_CHUNKS = 3200
_HAM_DATE = re.compile(r"HAM2-(\d\d)(\d\d)(\d\d)-")
_RETYPE = str.maketrans({"\u064a": "\u06cc", "\u0643": "\u06a9"})  # ي -> ی, ك -> ک


def retype_persian(text: str) -> str:
    """The text as typed on a Persian keyboard: Arabic yeh/kaf (ي ك) become Persian yeh/keheh (ی ک)."""
    return text.translate(_RETYPE)


QUERY_VARIANTS: dict[str, Callable[[str], str]] = {"as_given": lambda text: text, "retyped": retype_persian}


@dataclass
class JudgedCollection:
    """Articles (``key`` = the collection's document id), queries and binary judgements."""

    name: str
    root: str
    articles: list[Article]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]

    def stats(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.root,
            "articles": len(self.articles),
            "queries": len(self.queries),
            "judgements": sum(len(v) for v in self.qrels.values()),
        }

    def subset(self, limit: int | None = None, judged_only: bool = False) -> JudgedCollection:
        """The first ``limit`` queries (by numeric id); with ``judged_only`` only the articles judged for them."""
        qids = sorted(self.queries, key=_qid_order)[:limit] if limit else sorted(self.queries, key=_qid_order)
        queries = {q: self.queries[q] for q in qids}
        qrels = {q: self.qrels.get(q, {}) for q in qids}
        articles = self.articles
        if judged_only:
            judged = {d for q in qids for d in qrels[q]}
            articles = [a for a in articles if a.key in judged]
        return JudgedCollection(self.name, self.root, articles, queries, qrels)


def _qid_order(qid: str) -> tuple[int, str]:
    return (int(qid), qid) if qid.isdigit() else (1 << 30, qid)


def _ham_date(doc_id: str) -> str:
    match = _HAM_DATE.match(doc_id)
    if not match:
        return ""
    yy, mm, dd = (int(g) for g in match.groups())
    try:
        return jalali_to_gregorian(1300 + yy, mm, dd).isoformat()
    except ValueError:
        return ""


def load_hamshahri(root: str | Path) -> JudgedCollection:
    """Read the Hamshahri sample.

    :param root: the ``HamshahriData`` folder.
    :returns: articles as ``kavosh index`` reads a text file (title = first line, text = whole file), queries by id
        and the judgements.
    :raises ValueError: if the folder does not look like Hamshahri.
    """
    root = Path(root)
    corpus, query_dir, judgements = root / "HamshahriCorpus", root / "Queris", root / "RelativeAssesemnt"
    if not corpus.is_dir() or not query_dir.is_dir() or not (judgements / "judgements.txt").is_file():
        raise ValueError(f"{root}: expected HamshahriCorpus/, Queris/ and RelativeAssesemnt/judgements.txt")
    articles = []
    for path in sorted(corpus.rglob("*.ham")):
        text = path.read_text(encoding="utf-8")
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        title = " ".join(lines[0].split()) if lines else ""
        articles.append(make_article(text, title, path.stem, "fa", str(path), "hamshahri", _ham_date(path.stem)))
    queries = {p.stem: " ".join(p.read_text(encoding="utf-8").split()) for p in query_dir.glob("*.q")}
    qrels: dict[str, dict[str, int]] = {}
    for line in (judgements / "judgements.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2:
            qrels.setdefault(parts[0], {})[parts[1]] = 1
    return JudgedCollection("hamshahri", str(root), articles, queries, qrels)


COLLECTIONS: dict[str, Callable[[str | Path], JudgedCollection]] = {"hamshahri": load_hamshahri}


# --- Runs ------------------------------------------------------------------------------------------------------


def article_ranking(service: Any, query: str, mode: str, key_of: dict[str, str], depth: int = DEPTH) -> list[str]:
    """The first ``depth`` articles (by collection id) for a query: chunks collapsed to their article's best rank."""
    k = _FIRST_CHUNKS
    while True:
        hits = service.search(query, mode=mode, k=k).hits
        ranked = list(dict.fromkeys(key_of.get(h.doc_id, h.doc_id) for h in hits))
        if len(ranked) >= depth or len(hits) < k or k >= _MAX_CHUNKS:
            return ranked[:depth]
        k *= 2


def kavosh_runs(
    service: Any,
    queries: dict[str, str],
    modes: Sequence[str],
    key_of: dict[str, str],
    depth: int = DEPTH,
    progress: bool = False,
) -> tuple[dict[str, dict[str, dict[str, list[str]]]], dict[str, list[float]]]:
    """Rankings per mode, query variant and query id, and search latencies per mode."""
    runs: dict[str, dict[str, dict[str, list[str]]]] = {m: {v: {} for v in QUERY_VARIANTS} for m in modes}
    seconds: dict[str, list[float]] = {m: [] for m in modes}
    jobs = [(m, v, q) for m in modes for v in QUERY_VARIANTS for q in queries]
    for mode, variant, qid in tqdm(jobs, desc="queries", unit="q", disable=not progress, dynamic_ncols=True):
        started = time.perf_counter()
        runs[mode][variant][qid] = article_ranking(service, QUERY_VARIANTS[variant](queries[qid]), mode, key_of, depth)
        seconds[mode].append(time.perf_counter() - started)
    return runs, seconds


def _analysed(text: str) -> str:
    return " ".join(analyze(text))


def haystack_bm25_runs(
    articles: Iterable[Article], queries: dict[str, str], depth: int = DEPTH, kavosh_analysis: bool = False
) -> dict[str, dict[str, list[str]]]:
    """The stock baseline: Haystack's in-memory BM25 (BM25L, default tokenizer) over whole articles.

    :param kavosh_analysis: feed it ``kavosh.text.analysis.analyze`` terms (articles and queries) instead of raw text,
        split on whitespace; otherwise everything is Haystack's default.
    :returns: rankings per query variant and query id.
    """
    from haystack import Document
    from haystack.components.retrievers.in_memory import InMemoryBM25Retriever
    from haystack.document_stores.in_memory import InMemoryDocumentStore

    prepare: Callable[[str], str] = _analysed if kavosh_analysis else (lambda text: text)
    store = InMemoryDocumentStore(bm25_tokenization_regex=r"(?u)\S+") if kavosh_analysis else InMemoryDocumentStore()
    store.write_documents([Document(id=a.key, content=prepare(a.text)) for a in articles])
    retriever = InMemoryBM25Retriever(store, top_k=depth)
    return {
        variant: {
            qid: [d.id for d in retriever.run(query=prepare(transform(text)))["documents"]]
            for qid, text in queries.items()
        }
        for variant, transform in QUERY_VARIANTS.items()
    }


def score_run(qrels: dict[str, dict[str, int]], rankings: dict[str, list[str]]) -> dict[str, float]:
    """MAP, nDCG@10, P@10 and R@100 of rankings (best first) with ``ranx``; queries without results score 0."""
    from ranx import Qrels, Run, evaluate

    run = {
        qid: ({doc: 1.0 / rank for rank, doc in enumerate(ranked, start=1)} or {"\x00none": 0.0})
        for qid, ranked in rankings.items()
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's type-safety warnings inside ranx
        scores = evaluate(Qrels({q: qrels.get(q, {}) for q in rankings}), Run(run), list(MEASURES))
    return {m: float(scores[m]) for m in MEASURES}


def evaluate_collection(
    service: Any,
    collection: JudgedCollection,
    doc_ids: dict[str, str],
    modes: Sequence[str] = ("bm25", "dense", "hybrid"),
    baseline: bool = True,
    depth: int = DEPTH,
    progress: bool = False,
) -> dict[str, Any]:
    """Score Kavosh's modes and the stock BM25 baseline on both query variants.

    :param doc_ids: article key (collection id) -> store doc_id, from :func:`kavosh.evaluation.corpus.build_store`.
    :returns: ``{"runs": {system: {variant: {measure: value}, "same_ranking": share}}, "latency": ...}``;
        ``same_ranking`` is the share of queries whose ranking is identical as given and re-typed.
    """
    key_of = {doc_id: key for key, doc_id in doc_ids.items()}
    rankings, seconds = kavosh_runs(service, collection.queries, modes, key_of, depth, progress)
    if baseline:
        for name, analysed in ((BASELINE_NAME, False), (REFERENCE_NAME, True)):
            started = time.perf_counter()
            rankings[name] = haystack_bm25_runs(collection.articles, collection.queries, depth, analysed)
            seconds[name] = [(time.perf_counter() - started) / max(1, 2 * len(collection.queries))]
    runs: dict[str, Any] = {}
    for system, by_variant in rankings.items():
        runs[system] = {variant: score_run(collection.qrels, ranked) for variant, ranked in by_variant.items()}
        as_given, retyped = by_variant["as_given"], by_variant["retyped"]
        runs[system]["same_ranking"] = mean(float(as_given[q] == retyped[q]) for q in as_given)
    return {"runs": runs, "latency": {system: latency_summary(s) for system, s in seconds.items()}}


__all__ = [
    "BASELINE_NAME",
    "COLLECTIONS",
    "MEASURES",
    "QUERY_VARIANTS",
    "REFERENCE_NAME",
    "JudgedCollection",
    "article_ranking",
    "evaluate_collection",
    "haystack_bm25_runs",
    "kavosh_runs",
    "load_hamshahri",
    "retype_persian",
    "score_run",
]
