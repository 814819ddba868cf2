"""Cross-lingual retrieval on NTREX-128 (English news and their professional Persian translations).

Both languages are indexed together in one store: 123 English and 123 Persian articles, each the headline, a blank
line and the sentences of the document. Queries go from one language to the other, restricted to the target
language with the ``lang`` filter (without it an English query would first find its own English article):

- document level: the headline and the first sentences of a document; relevant: its translation (an article);
- sentence level: one sentence; relevant: a passage (chunk) of the translated article that holds the whole
  translated sentence.

Reported per direction and mode: recall@1, recall@5 and MRR over the first ``DOC_CHUNKS`` / ``SENTENCE_CHUNKS``
chunks retrieved.

Keyword level, the queries people type: the headline alone (``headline``), the first ``LEAD_WORDS`` content words
of the lead sentence (``lead-words``) and its first two (``two-words``), ranked among *articles* (chunks collapsed
to their article, best first). Each kind runs twice: with no language filter (``…-any``: both languages compete, as
a user searching the archive sees them) and restricted to the target language (``…-lang``). The keyword level asks
the documents of the ``test`` half only (:func:`split_of`): the ``tune`` half fits the language gate that decides the
``-any`` lists.
"""

from __future__ import annotations

import logging
import random
import zlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from kavosh.evaluation.corpus import make_article
from kavosh.evaluation.metrics import latency_summary, mean
from kavosh.indexer.loaders import Article
from kavosh.text.analysis import ENGLISH_STOPWORDS, PERSIAN_STOPWORDS, tokenize

logger = logging.getLogger(__name__)

LANGS = ("en", "fa")
DIRECTIONS = (("en", "fa"), ("fa", "en"))
DOC_CHUNKS = 50  # chunks fetched per document query (collapsed to articles)
SENTENCE_CHUNKS = 20  # passages fetched per sentence query
QUERY_SENTENCES = 2  # body sentences added to the headline in a document query
RECALL_AT = (1, 5)
LEAD_WORDS = 4  # content words of the lead sentence in a keyword query
KEYWORD_KINDS = ("headline", "lead-words", "two-words")
#: content words of the lead sentence in each kind of keyword query other than the headline
KIND_WORDS = {"lead-words": LEAD_WORDS, "two-words": 2}
#: Halves of NTREX by document: the language gate of hybrid search is fitted on ``tune`` queries
#: (:mod:`kavosh.evaluation.language_gate`); the keyword level, which that gate decides, is measured on ``test``.
SPLITS = ("tune", "test")
KEYWORD_SPLIT = "test"
_FILES = {"en": "newstest2019-src.eng.txt", "fa": "newstest2019-ref.fas.txt", "ids": "DOCUMENT_IDS.tsv"}


@dataclass(frozen=True)
class ParallelDocument:
    """One NTREX document: its id and its lines (headline first) in each language, line-aligned."""

    doc_id: str
    lines: dict[str, tuple[str, ...]]

    def text(self, lang: str) -> tuple[str, list[tuple[int, int]]]:
        """The article text (headline, blank line, sentences joined by spaces) and each line's span in it."""
        lines = self.lines[lang]
        parts: list[str] = []
        spans: list[tuple[int, int]] = []
        pos = 0
        for i, line in enumerate(lines):
            if i:
                sep = "\n\n" if i == 1 else " "
                parts.append(sep)
                pos += len(sep)
            parts.append(line)
            spans.append((pos, pos + len(line)))
            pos += len(line)
        return "".join(parts), spans

    def query(self, lang: str, sentences: int = QUERY_SENTENCES) -> str:
        """Headline and the first ``sentences`` sentences: the document-level query."""
        return " ".join(self.lines[lang][: 1 + sentences])

    def keywords(self, lang: str, kind: str) -> str:
        """This document's keyword query of one kind (see :func:`keyword_query`)."""
        lines = self.lines[lang]
        return keyword_query(lines[0], lines[1] if len(lines) > 1 else lines[0], kind)


def split_of(key: str) -> str:
    """``tune`` or ``test``: a fixed half of any keyed collection (CRC-32 of the key, even or odd)."""
    return SPLITS[zlib.crc32(key.encode("utf-8")) % 2]


def keyword_query(headline: str, lead: str, kind: str) -> str:
    """A keyword query of one of ``KEYWORD_KINDS``: the headline alone, or the lead sentence's first content words
    (``KIND_WORDS``)."""
    if kind == "headline":
        return headline
    return " ".join(lead_words(lead, KIND_WORDS[kind]))


def lead_words(sentence: str, n: int = LEAD_WORDS) -> list[str]:
    """The first `n` content words of `sentence` (normalised tokens; stopwords and numbers left out)."""
    stop = ENGLISH_STOPWORDS | PERSIAN_STOPWORDS
    return [t for t in tokenize(sentence) if t not in stop and not t[0].isdigit()][:n]


@dataclass
class ParallelCorpus:
    name: str
    root: str
    documents: list[ParallelDocument]

    def articles_for_store(self, leave_out: Collection[tuple[str, str]] = ()) -> list[Article]:
        """One article per document and language, but the ``(language, doc id)`` pairs of ``leave_out``; key
        ``<lang>:<doc id>``."""
        out = []
        for doc in self.documents:
            for lang in LANGS:
                if (lang, doc.doc_id) in leave_out:
                    continue
                text, _ = doc.text(lang)
                out.append(
                    make_article(
                        text,
                        doc.lines[lang][0],
                        f"{lang}:{doc.doc_id}",
                        lang,
                        f"{self.root}#{lang}:{doc.doc_id}",
                        doc.doc_id.rsplit(".", 1)[0],
                    )
                )
        return out

    def stats(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.root,
            "documents": len(self.documents),
            "sentence_pairs": sum(len(d.lines["en"]) for d in self.documents),
        }


def load_ntrex(root: str | Path) -> ParallelCorpus:
    """Read NTREX-128 English-Persian: the source and reference files and ``DOCUMENT_IDS.tsv``, line-aligned.

    :raises ValueError: if the files are missing or not aligned.
    """
    root = Path(root)
    paths = {k: root / name for k, name in _FILES.items()}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise ValueError(f"{root}: missing NTREX files: {', '.join(missing)}")
    columns = {k: p.read_text(encoding="utf-8").rstrip("\n").split("\n") for k, p in paths.items()}
    if not len(columns["en"]) == len(columns["fa"]) == len(columns["ids"]):
        raise ValueError(
            f"{root}: files are not line-aligned ({', '.join(f'{k} {len(v)}' for k, v in columns.items())})"
        )
    documents: list[ParallelDocument] = []
    order: dict[str, dict[str, list[str]]] = {}
    for doc_id, en, fa in zip(columns["ids"], columns["en"], columns["fa"], strict=True):
        lines = order.setdefault(doc_id.strip(), {"en": [], "fa": []})
        lines["en"].append(" ".join(en.split()))
        lines["fa"].append(" ".join(fa.split()))
    for doc_id, lines in order.items():
        documents.append(ParallelDocument(doc_id, {lang: tuple(lines[lang]) for lang in LANGS}))
    return ParallelCorpus("ntrex128_en_fa", str(root), documents)


def sentence_queries(corpus: ParallelCorpus, limit: int | None = None, seed: int = 13) -> list[tuple[int, int]]:
    """(document index, line index) pairs to ask at sentence level: all, or a fixed-seed sample of ``limit``."""
    pairs = [(d, i) for d, doc in enumerate(corpus.documents) for i in range(len(doc.lines["en"]))]
    if limit is not None and limit < len(pairs):
        keep = set(random.Random(seed).sample(range(len(pairs)), limit))
        pairs = [p for n, p in enumerate(pairs) if n in keep]
    return pairs


def keyword_documents(corpus: ParallelCorpus) -> ParallelCorpus:
    """The documents the keyword level asks (the ``KEYWORD_SPLIT`` half)."""
    return replace(corpus, documents=[d for d in corpus.documents if split_of(d.doc_id) == KEYWORD_SPLIT])


def _summary(ranks: list[int | None], seconds: list[float]) -> dict[str, Any]:
    return {
        **{f"recall@{k}": mean(float(r is not None and r <= k) for r in ranks) for k in RECALL_AT},
        "mrr": mean(1.0 / r if r else 0.0 for r in ranks),
        "queries": len(ranks),
        "latency": latency_summary(seconds),
    }


def _article_ranks(
    service: Any,
    corpus: ParallelCorpus,
    doc_ids: dict[str, str],
    queries: list[str],
    tgt: str,
    mode: str,
    lang: str | None,
    bar: Any,
) -> dict[str, Any]:
    """Each document's query (``queries``, in document order) searched with the ``lang`` filter or none; the rank of
    its `tgt` translation among the articles found (chunks collapsed to their article, in order)."""
    ranks: list[int | None] = []
    seconds: list[float] = []
    for doc, query in zip(corpus.documents, queries, strict=True):
        found = service.search(query, mode=mode, k=DOC_CHUNKS, lang=lang)
        ranked = list(dict.fromkeys(h.doc_id for h in found.hits))
        target = doc_ids[f"{tgt}:{doc.doc_id}"]
        ranks.append(ranked.index(target) + 1 if target in ranked else None)
        seconds.append(found.seconds)
        bar.update(1)
    return _summary(ranks, seconds)


def _keyword_level(
    result: dict[str, Any],
    prefix: str,
    service: Any,
    keyword_corpus: ParallelCorpus,
    doc_ids: dict[str, str],
    src: str,
    tgt: str,
    mode: str,
    bar: Any,
) -> None:
    """Every kind of keyword query of ``keyword_corpus``, with no language filter and with the target language, into
    ``result["<kind>-<prefix><scope>"]["<src>-><tgt>"][mode]``."""
    for kind in KEYWORD_KINDS:
        queries = [doc.keywords(src, kind) for doc in keyword_corpus.documents]
        for scope, lang in (("any", None), ("lang", tgt)):
            result.setdefault(f"{kind}-{prefix}{scope}", {}).setdefault(f"{src}->{tgt}", {})[mode] = _article_ranks(
                service, keyword_corpus, doc_ids, queries, tgt, mode, lang, bar
            )


def evaluate_crosslingual(
    service: Any,
    corpus: ParallelCorpus,
    doc_ids: dict[str, str],
    modes: Sequence[str] = ("bm25", "dense", "hybrid"),
    sentences: list[tuple[int, int]] | None = None,
    query_sentences: int = QUERY_SENTENCES,
    progress: bool = False,
    keywords: bool = True,
) -> dict[str, Any]:
    """Document- and sentence-level retrieval of translations, both directions, every mode.

    :param doc_ids: article key (``<lang>:<doc id>``) -> store doc_id, from
        :func:`kavosh.evaluation.corpus.build_store`.
    :param sentences: (document index, line index) pairs for the sentence level (see :func:`sentence_queries`);
        ``None`` or empty skips it.
    :param keywords: also run the keyword level (headline, 4 and 2 lead words; no language filter and target language),
        on the ``KEYWORD_SPLIT`` half of the documents (the other half tunes the language gate it measures).
    :returns: ``{"document": {"en->fa": {mode: ...}, ...}, "sentence": {...}, "headline-any": {...}, ...}``.
    """
    spans = {(lang, d): corpus.documents[d].text(lang)[1] for d in range(len(corpus.documents)) for lang in LANGS}
    result: dict[str, Any] = {"document": {}, "sentence": {}}
    jobs = [(src, tgt, mode) for src, tgt in DIRECTIONS for mode in modes]
    keyword_corpus = keyword_documents(corpus)
    keyword_queries = len(keyword_corpus.documents) * len(KEYWORD_KINDS) * 2 if keywords else 0
    total = len(jobs) * (len(corpus.documents) + len(sentences or []) + keyword_queries)
    bar = tqdm(total=total, desc=corpus.name, unit="q", disable=not progress, dynamic_ncols=True)
    for src, tgt, mode in jobs:
        direction = f"{src}->{tgt}"
        result["document"].setdefault(direction, {})[mode] = _article_ranks(
            service, corpus, doc_ids, [doc.query(src, query_sentences) for doc in corpus.documents], tgt, mode, tgt, bar
        )
        if not sentences:
            continue
        ranks: list[int | None] = []
        seconds: list[float] = []
        for d, i in sentences:
            doc = corpus.documents[d]
            start, end = spans[(tgt, d)][i]
            target = doc_ids[f"{tgt}:{doc.doc_id}"]
            found = service.search(doc.lines[src][i], mode=mode, k=SENTENCE_CHUNKS, lang=tgt)
            rank = next(
                (
                    n
                    for n, h in enumerate(found.hits, start=1)
                    if h.doc_id == target and h.start <= start and h.end >= end
                ),
                None,
            )
            ranks.append(rank)
            seconds.append(found.seconds)
            bar.update(1)
        result["sentence"].setdefault(direction, {})[mode] = _summary(ranks, seconds)
    for src, tgt, mode in jobs if keywords else []:
        _keyword_level(result, "", service, keyword_corpus, doc_ids, src, tgt, mode, bar)
    bar.close()
    if not sentences:
        del result["sentence"]
    return result


def told_in_one_language(corpus: ParallelCorpus, src: str) -> set[tuple[str, str]]:
    """The articles to leave out of a store for :func:`evaluate_told_in_one_language`: the ``src`` side of the
    keyword-level documents."""
    return {(src, d.doc_id) for d in keyword_documents(corpus).documents}


def evaluate_told_in_one_language(
    service: Any,
    corpus: ParallelCorpus,
    doc_ids: dict[str, str],
    src: str,
    tgt: str,
    modes: Sequence[str] = ("bm25", "dense", "hybrid"),
    progress: bool = False,
) -> dict[str, Any]:
    """The keyword level (``src`` queries, ``tgt`` targets) when the story is told in the target language only.

    The service's store holds the corpus without :func:`told_in_one_language`, so the query's language holds other
    stories but not this one, as with local news that only one side reported. In the full store the query's own
    article is there, and a rule that ranks the other language through what the query's language found looks far
    better than it is: session 8's "bridge" lifted 4-word R@1 0.49 -> 0.78 there and cut it 0.49 -> 0.23 here
    (docs/evaluation.md).

    :returns: ``{"<kind>-alone-any": {"<src>-><tgt>": {mode: ...}}, "<kind>-alone-lang": ...}``.
    """
    keyword_corpus = keyword_documents(corpus)
    total = len(modes) * len(KEYWORD_KINDS) * 2 * len(keyword_corpus.documents)
    bar = tqdm(total=total, desc=f"{corpus.name} {src} alone", unit="q", disable=not progress, dynamic_ncols=True)
    result: dict[str, Any] = {}
    for mode in modes:
        _keyword_level(result, "alone-", service, keyword_corpus, doc_ids, src, tgt, mode, bar)
    bar.close()
    return result


__all__ = [
    "DIRECTIONS",
    "KIND_WORDS",
    "ParallelCorpus",
    "ParallelDocument",
    "evaluate_crosslingual",
    "evaluate_told_in_one_language",
    "keyword_query",
    "lead_words",
    "load_ntrex",
    "sentence_queries",
    "split_of",
    "told_in_one_language",
]
