"""Elasticsearch index settings and mappings, generated from ``kavosh.text.analysis`` so both engines tokenise alike.

The analyzer ``kavosh`` reproduces ``kavosh.text.analysis.analyze`` with stock Elasticsearch parts only (no plugin):

- char filters: ``kavosh_chars`` (mapping) folds what ``normalize_chars`` and NFKC/case folding change in word
  characters: ``CHAR_MAP`` (yeh/kaf/heh/alef/waw forms, Persian and Arabic-Indic digits), ``PRESENTATION_FORMS_MAP``,
  Arabic ligatures, fullwidth forms, composed marks (ا + ◌ٓ -> آ); ``kavosh_removed`` deletes ``REMOVED_CHARS``
  (ZWNJ, harakat, tatweel, bidi marks), which joins ``همکاری‌ها``; ``kavosh_glue`` joins detached affixes
  (``می گویند``, ``همکاری ها``) as ``analyze`` does.
- tokenizer ``kavosh_words``: the pattern of ``kavosh.text.analysis`` (acronyms, numbers with separators, Arabic-script
  words, other words with ``'s``), written in Java regex syntax.
- token filters: lower case; ``1,000`` -> ``1000`` and ``u.s.`` -> ``us``; the stopwords of both languages; the
  Persian light stemmer as a chain of ``pattern_replace`` filters (below); Persian stopwords again (stems);
  ``porter2`` (Snowball English, as ``snowballstemmer``) on tokens that are neither numbers nor Arabic script.

Stock ``arabic_normalization`` / ``persian_normalization`` are not used: the first folds آ to ا (we keep آ) and ى to
Arabic ي, the second folds ی/ک to Arabic ي/ك (the opposite direction); matching would be consistent but the tokens
would differ from ours. ``decimal_digit`` is not used either: the mapping folds Persian and Arabic-Indic digits like
``CHAR_MAP``, while ``decimal_digit`` would also fold other scripts' digits that ``analyze`` keeps.

The Persian stemmer (``stem_persian``) is a fixed sequence of suffix rules, each applied at most once, with a stop
on short words and exceptions after every change and one state (a plural was removed); pattern filters are
stateless, so the state travels with the token as private-use marker characters that the last filter removes:
``\\uE000`` = a plural was removed, ``\\uE001`` = stemming is over.

Known differences from ``analyze`` (tested in ``tests/store/elasticsearch/test_analysis.py``, listed in
``docs/elasticsearch.md``): an affix written with harakat or tatweel (``مِی گویند``) is glued here, not there;
Arabic ligature presentation forms (ﻻ) glue affixes here; letters from Arabic blocks other than U+0600-06FF,
U+0750-077F, U+08A0-08FF; NFKC and case folding are reproduced for the Unicode blocks in ``_FOLDED_BLOCKS`` only;
English stems come from Lucene's Snowball English, ours from ``snowballstemmer`` (same algorithm, possibly another
Snowball release).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any

from kavosh.text.analysis import (
    ANALYSIS_VERSION,
    CHAR_MAP,
    COMPARATIVE,
    ENGLISH_STOPWORDS,
    GAN_AFTER,
    LONG_VOWELS,
    PERSIAN_STEM_EXCEPTIONS,
    PERSIAN_STOPWORDS,
    PLURAL_HA,
    PREFIX_TOKENS,
    PRESENTATION_FORMS_MAP,
    REMOVED_CHARS,
    STAN_PLURALS,
    SUFFIX_TOKENS_ANY,
    SUFFIX_TOKENS_VOWEL,
    VERB_FINAL,
    VERB_STEMS_BARE,
    VOWEL_FINAL,
    normalize_chars,
)

#: Recorded in the index; bump when anything below changes the tokens Elasticsearch produces.
ES_ANALYSIS_VERSION = f"{ANALYSIS_VERSION}.es1"
ANALYZER = "kavosh"

# Private-use markers carrying the stemmer's state (never part of a token: Co characters split words).
PLURAL = "\ue000"  # a plural -ها was removed: only the comparative and -یی rules still apply
STOP = "\ue001"  # stemming is over

# Java regex pieces. Arabic-script tokens are recognised by their first character as `_is_arabic_script` does.
_ARABIC_BLOCKS = r"\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF"
_AL = r"[\p{IsArabic}&&\p{L}]"  # Arabic-script letter
_OL = r"[\p{L}\p{N}&&[^\p{IsArabic}\u0640]]"  # other letter or number
_OLL = r"[\p{L}&&[^\p{IsArabic}\u0640]]"  # other letter
_M = r"\p{M}"
# Python's str.isspace(): categories Zs/Zl/Zp, \t-\r, \x1c-\x1f, \x85.
_WS = r"[\t-\r\x1C-\x1F\x85\p{Z}]"
_C = r"[^\uE000\uE001]"  # a character of the word itself (not a marker)
_P = r"\uE000"
_S = r"\uE001"

# Unicode blocks scanned for characters whose normalised form differs from Java's per-character lower case.
_FOLDED_BLOCKS: tuple[tuple[int, int], ...] = (
    (0x00A0, 0x052F),  # Latin-1, Latin Extended-A/B, IPA, modifiers, combining marks, Greek, Cyrillic
    (0x0600, 0x06FF),  # Arabic
    (0x0750, 0x077F),  # Arabic Supplement
    (0x08A0, 0x08FF),  # Arabic Extended-A
    (0x1E00, 0x1FFF),  # Latin Extended Additional, Greek Extended
    (0x2070, 0x218F),  # super/subscripts, letterlike symbols, number forms
    (0x2460, 0x24FF),  # enclosed alphanumerics
    (0xFB00, 0xFDFF),  # alphabetic presentation forms, Arabic Presentation Forms-A
    (0xFE70, 0xFEFF),  # Arabic Presentation Forms-B
    (0xFF00, 0xFFEF),  # halfwidth and fullwidth forms
)
_REMOVE_TABLE = str.maketrans(dict.fromkeys(REMOVED_CHARS))
_MAP_TABLE = str.maketrans({**PRESENTATION_FORMS_MAP, **CHAR_MAP})


def _alternation(words: frozenset[str] | tuple[str, ...] | list[str]) -> str:
    """Regex alternation, longest first (the words are plain letters: nothing to escape)."""
    return "|".join(sorted(words, key=lambda w: (-len(w), w)))


def _java_lower(text: str) -> str:
    """Lucene's ``lowercase`` filter: ``Character.toLowerCase`` per code point (one character in, one out)."""
    return "".join(low if len(low := c.lower()) == 1 else c for c in text)


def normalized_form(text: str) -> str:
    """What ``analyze`` turns a word's characters into before splitting: ``normalize_chars``, NFKC, ``CHAR_MAP``,
    deletion of ``REMOVED_CHARS``, case folding (``kavosh.text.analysis`` applies the same steps to each word)."""
    folded = unicodedata.normalize("NFKC", normalize_chars(text)).translate(_MAP_TABLE)
    return folded.translate(_REMOVE_TABLE).casefold()


def _is_word_char(c: str) -> bool:
    return unicodedata.category(c)[0] in "LMN"


@lru_cache(maxsize=1)
def char_mappings() -> dict[str, str]:
    """Source → target of the ``kavosh_chars`` mapping char filter (it runs before ``REMOVED_CHARS`` are deleted).

    Every character of ``CHAR_MAP`` and ``PRESENTATION_FORMS_MAP`` (``normalize_chars`` maps them before tokenising,
    punctuation such as ’ and ٫ included); every word character of ``_FOLDED_BLOCKS`` whose normalised form differs
    from what Elasticsearch's lower-casing gives (ligatures, fullwidth letters, ß, superscripts); and every
    two-character canonical decomposition (ا + ◌ٓ) that NFKC would compose, since the mark may be deleted later.
    """
    rules: dict[str, str] = {}
    for c in [*CHAR_MAP, *PRESENTATION_FORMS_MAP]:
        rules[c] = normalized_form(c)
    for c in _folded_block_chars():
        if c not in rules and c not in REMOVED_CHARS and _is_word_char(c):
            target = normalized_form(c)
            if target != _java_lower(c):
                rules[c] = target
    for c in _folded_block_chars():
        pair = unicodedata.normalize("NFD", c)
        if len(pair) == 2 and _is_word_char(c) and unicodedata.category(pair[1]).startswith("M"):
            target = normalized_form(pair)
            if target != elasticsearch_chars(pair, rules):
                rules[pair] = target
    return rules


def _folded_block_chars() -> list[str]:
    return [chr(cp) for start, end in _FOLDED_BLOCKS for cp in range(start, end + 1)]


def elasticsearch_chars(text: str, rules: dict[str, str]) -> str:
    """What the char filters ``kavosh_chars`` and ``kavosh_removed`` and the ``lowercase`` filter make of a word:
    mapping rules, longest match first, then deletion of ``REMOVED_CHARS``, then per-character lower case."""
    longest = max((len(k) for k in rules), default=1)
    out: list[str] = []
    i = 0
    while i < len(text):
        for size in range(min(longest, len(text) - i), 0, -1):
            if text[i : i + size] in rules:
                out.append(rules[text[i : i + size]])
                i += size
                break
        else:
            out.append(text[i])
            i += 1
    return _java_lower("".join(out).translate(_REMOVE_TABLE))


def _escape_rule_text(text: str) -> str:
    # Every character as \uXXXX: no trimming of spaces, no clash with "=>", no backslash surprises.
    return "".join(f"\\u{unit:04X}" for unit in _utf16_units(text))


def _utf16_units(text: str) -> list[int]:
    data = text.encode("utf-16-be")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def _java_class_escape(chars: str) -> str:
    return "".join(f"\\u{ord(c):04X}" for c in sorted(set(chars)))


def tokenizer_pattern() -> str:
    """``kavosh.text.analysis``'s word pattern in Java syntax, for text whose ``REMOVED_CHARS`` are already deleted."""
    return "|".join(
        [
            rf"{_OLL}(?:\.{_OLL})+\.?(?![\p{{L}}\p{{N}}])",  # acronym: u.s.  e.g.
            r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?(?![0-9])",  # 1,000,000.5
            r"[0-9]+\.[0-9]+",  # 3.5
            rf"{_AL}(?:{_AL}|{_M})*",  # Persian/Arabic word
            rf"{_OL}(?:{_OL}|{_M}|'(?={_OLL}))*",  # Latin (or other) word / number: iran's, g7
        ]
    )


def glue_pattern() -> str:
    """Whitespace that ``analyze`` bridges: before a detached suffix (ها، های، تر ...; ای/اش/ام/ات after ه or ی),
    and after a standalone verb prefix (می، نمی) followed by an Arabic-script word. Replacement: ``$1``."""
    arabic_letter = rf"[{_ARABIC_BLOCKS}&&\p{{L}}&&\p{{IsArabic}}]"
    word_goes_on = rf"(?:{_AL}|{_M})"
    return (
        rf"(?<={arabic_letter}){_WS}+(?=(?:{_alternation(SUFFIX_TOKENS_ANY)})(?!{word_goes_on}))"
        rf"|(?<=[{VOWEL_FINAL}]){_WS}+(?=(?:{_alternation(SUFFIX_TOKENS_VOWEL)})(?!{word_goes_on}))"
        rf"|(?<!{word_goes_on})({_alternation(PREFIX_TOKENS)}){_WS}+(?={arabic_letter})"
    )


def _replace(pattern: str, replacement: str) -> dict[str, Any]:
    return {"type": "pattern_replace", "pattern": pattern, "replacement": replacement, "all": False}


def persian_stemmer_filters() -> dict[str, dict[str, Any]]:
    """The ``pattern_replace`` token filters of the Persian stemmer, by name (``PERSIAN_STEMMER_CHAIN`` orders them).

    ``stem_persian`` in filters: stop on a short word or an exception; the verb prefix (then stop); plural -ها
    (marked ``PLURAL``); stop again; -ستان (then stop); then the suffix rules in ``SUFFIX_RULES`` order,
    each at most once and each followed by the stop check. Rules that do not run after a plural require the token to
    carry no ``PLURAL`` marker; the others keep the marker. A stopped token carries ``STOP`` and matches no rule.
    """
    exceptions = _alternation(PERSIAN_STEM_EXCEPTIONS)
    plural, stop = PLURAL, STOP
    lv, vf = LONG_VOWELS, VOWEL_FINAL
    any_state = f"({_P}?)"  # rules of both lists keep the plural marker
    return {
        # len(w) < 3 or w in PERSIAN_STEM_EXCEPTIONS: the word is returned as it is.
        "kavosh_fa_guard": _replace(rf"^((?:{exceptions})|{_C}{{1,2}})({_P}?)$", "$1$2" + stop),
        # میگویند -> گویند, نمیتوان -> توان; a verb takes no suffix rule.
        "kavosh_fa_verb": _replace(rf"^(?:نمی|می)({_C}+[{VERB_FINAL}]|{_alternation(VERB_STEMS_BARE)})$", "$1" + stop),
        # کشورهای -> کشور (stem >= 2 letters)
        "kavosh_fa_plural": _replace(rf"^({_C}{{2,}})(?:{_alternation(PLURAL_HA)})$", "$1" + plural),
        # پاکستان stays, دوستان -> دوست; either way nothing else is stripped.
        "kavosh_fa_stan": _replace(
            rf"^(?:({_C}*(?:{_alternation([s[:-2] for s in STAN_PLURALS])}))ان|({_C}*ستان)){any_state}$",
            "$1$2$3" + stop,
        ),
        # کشورشان -> کشور (stem >= 3 letters)
        "kavosh_fa_possessive_plural": _replace(rf"^({_C}{{3,}})(?:شان|تان)$", "$1"),
        # نمایندگان -> نماینده: the one rule that adds a letter, so it is a filter of its own, before the -ان rule.
        "kavosh_fa_plural_gan": _replace(rf"^({_C}+[{GAN_AFTER}])گان$", "$1ه"),
        # دانشجویان -> دانشجو, مسئولان -> مسئول
        "kavosh_fa_plural_an": _replace(rf"^(?:({_C}+[{lv}])یان|({_C}{{2,}})ان)$", "$1$2"),
        # انتخابات -> انتخاب (stem >= 3 letters)
        "kavosh_fa_plural_at": _replace(rf"^({_C}{{3,}})ات$", "$1"),
        # بزرگترین -> بزرگ; a stem under 3 letters keeps -تر: بهترین -> بهتر
        "kavosh_fa_comparative": _replace(
            rf"^(?:({_C}{{3,}})(?:{_alternation(COMPARATIVE)})|({_C}*تر)(?:ین|ی)){any_state}$", "$1$2$3"
        ),
        # آمریکایی -> آمریکا
        "kavosh_fa_long_vowel": _replace(rf"^({_C}+[{lv}])یی{any_state}$", "$1$2"),
        # آقای -> آقا
        "kavosh_fa_ezafe": _replace(rf"^({_C}+[{lv}])ی$", "$1"),
        # خانهاش -> خانه
        "kavosh_fa_possessive_vowel": _replace(rf"^({_C}{{2,}}[{vf}])(?:اش|ام)$", "$1"),
        "kavosh_fa_unmark": {"type": "pattern_replace", "pattern": rf"[{_P}{_S}]", "replacement": "", "all": True},
    }


_SUFFIX_RULE_FILTERS = [
    "kavosh_fa_possessive_plural",
    "kavosh_fa_plural_gan",
    "kavosh_fa_plural_an",
    "kavosh_fa_plural_at",
    "kavosh_fa_comparative",
    "kavosh_fa_long_vowel",
    "kavosh_fa_ezafe",
    "kavosh_fa_possessive_vowel",
]

#: The Persian stemmer's filters in order; the stop check (guard) follows every rule that can change the word
#: (on an unchanged word it changes nothing: that word already passed it).
PERSIAN_STEMMER_CHAIN: list[str] = [
    "kavosh_fa_guard",
    "kavosh_fa_verb",
    "kavosh_fa_plural",
    "kavosh_fa_guard",
    "kavosh_fa_stan",
    *[name for rule in _SUFFIX_RULE_FILTERS for name in (rule, "kavosh_fa_guard")],
    "kavosh_fa_unmark",
]

#: The ``kavosh`` analyzer's token filters in order.
TOKEN_FILTER_CHAIN: list[str] = [
    "lowercase",
    "kavosh_number_commas",
    "kavosh_acronym_dots",
    "kavosh_stop",
    *PERSIAN_STEMMER_CHAIN,
    "kavosh_fa_stop",
    "kavosh_en_keep",
    "kavosh_en_stem",
]

#: The char filters in order.
CHAR_FILTER_CHAIN: list[str] = ["kavosh_chars", "kavosh_removed", "kavosh_glue"]


def analysis_settings() -> dict[str, Any]:
    """The ``settings.analysis`` block defining the ``kavosh`` analyzer."""
    rules = char_mappings()
    # Characters that normalise to nothing are deleted with REMOVED_CHARS rather than mapped to an empty string.
    deleted = "".join(src for src, dst in rules.items() if not dst and len(src) == 1)
    return {
        "char_filter": {
            "kavosh_chars": {
                "type": "mapping",
                "mappings": [
                    f"{_escape_rule_text(src)} => {_escape_rule_text(dst)}"
                    for src, dst in sorted(rules.items())
                    if dst or len(src) > 1
                ],
            },
            "kavosh_removed": {
                "type": "pattern_replace",
                "pattern": f"[{_java_class_escape(REMOVED_CHARS + deleted)}]",
                "replacement": "",
            },
            "kavosh_glue": {"type": "pattern_replace", "pattern": glue_pattern(), "replacement": "$1"},
        },
        "tokenizer": {"kavosh_words": {"type": "pattern", "pattern": tokenizer_pattern(), "group": 0}},
        "filter": {
            # Commas only ever occur inside numbers (1,000), dots after a letter only inside acronyms (u.s.).
            "kavosh_number_commas": {"type": "pattern_replace", "pattern": ",", "replacement": "", "all": True},
            "kavosh_acronym_dots": {
                "type": "pattern_replace",
                "pattern": r"(?<=\p{L})\.",
                "replacement": "",
                "all": True,
            },
            "kavosh_stop": {"type": "stop", "stopwords": sorted(PERSIAN_STOPWORDS | ENGLISH_STOPWORDS)},
            **persian_stemmer_filters(),
            "kavosh_fa_stop": {"type": "stop", "stopwords": sorted(PERSIAN_STOPWORDS)},
            # Numbers and Arabic-script tokens are not English-stemmed (`_term` in kavosh.text.analysis).
            "kavosh_en_keep": {"type": "keyword_marker", "keywords_pattern": rf"(?:\p{{Nd}}|[{_ARABIC_BLOCKS}]).*"},
            "kavosh_en_stem": {"type": "stemmer", "language": "porter2"},
        },
        "analyzer": {
            ANALYZER: {
                "type": "custom",
                "char_filter": CHAR_FILTER_CHAIN,
                "tokenizer": "kavosh_words",
                "filter": TOKEN_FILTER_CHAIN,
            }
        },
    }


#: ``dense_vector`` index types Elasticsearch 8.x accepts (quantised variants save memory; bbq needs 8.16+).
VECTOR_INDEX_TYPES = ("hnsw", "int8_hnsw", "int4_hnsw", "bbq_hnsw", "flat", "int8_flat", "int4_flat", "bbq_flat")
SIMILARITIES = ("cosine", "dot_product", "l2_norm", "max_inner_product")


def chunk_index_body(
    dim: int,
    *,
    similarity: str = "cosine",
    vector_index: str = "int8_hnsw",
    hnsw_m: int = 16,
    hnsw_ef_construction: int = 100,
    shards: int = 1,
    replicas: int = 0,
    meta: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Settings and mappings of the chunk index: one document per chunk, its text analysed by ``kavosh``.

    :param dim: embedding dimension (``dims`` is explicit: a wrong vector is refused at write time).
    :param similarity: ``dense_vector`` similarity; ``cosine`` matches the embedded store.
    :param vector_index: HNSW or flat, with or without quantisation (``VECTOR_INDEX_TYPES``).
    :raises ValueError: for a bad dimension, similarity or index type.
    """
    if not isinstance(dim, int) or not 1 <= dim <= 4096:
        raise ValueError(f"dim must be an integer from 1 to 4096, got {dim!r}")
    if similarity not in SIMILARITIES:
        raise ValueError(f"unknown similarity {similarity!r}; choose one of: {', '.join(SIMILARITIES)}")
    if vector_index not in VECTOR_INDEX_TYPES:
        raise ValueError(f"unknown vector index {vector_index!r}; choose one of: {', '.join(VECTOR_INDEX_TYPES)}")
    index_options: dict[str, Any] = {"type": vector_index}
    if vector_index.endswith("hnsw"):
        index_options.update(m=hnsw_m, ef_construction=hnsw_ef_construction)
    keyword = {"type": "keyword"}
    return {
        "settings": {
            "number_of_shards": shards,
            "number_of_replicas": replicas,
            "analysis": analysis_settings(),
        },
        "mappings": {
            "dynamic": "strict",
            "_meta": {"kavosh": dict(meta or {})},
            "properties": {
                "id": keyword,
                # Offsets in the postings: fast highlighting without re-analysing the text.
                "content": {"type": "text", "analyzer": ANALYZER, "index_options": "offsets"},
                "title": {"type": "text", "index": False},
                # The title is searchable in each article's first chunk only: it counts once per article.
                "title_first": {"type": "text", "analyzer": ANALYZER},
                "parent_id": keyword,
                "chunk_index": {"type": "integer"},
                "start": {"type": "integer", "index": False},
                "end": {"type": "integer", "index": False},
                "lang": keyword,
                "source": keyword,
                "published": keyword,
                # The calendar day of `published` (date filters compare days, as the embedded store does).
                "published_day": {"type": "date", "format": "strict_date"},
                "path": keyword,
                "extra": {"type": "object", "enabled": False},
                "embedding": {
                    "type": "dense_vector",
                    "element_type": "float",
                    "dims": dim,
                    "index": True,
                    "similarity": similarity,
                    "index_options": index_options,
                },
            },
        },
    }


def article_index_body(*, shards: int = 1, replicas: int = 0, meta: dict[str, str] | None = None) -> dict[str, Any]:
    """Settings and mappings of the article index: full texts and metadata; store settings in ``_meta.kavosh``."""
    keyword = {"type": "keyword"}
    return {
        "settings": {"number_of_shards": shards, "number_of_replicas": replicas},
        "mappings": {
            "dynamic": "strict",
            "_meta": {"kavosh": dict(meta or {})},
            "properties": {
                "doc_id": keyword,
                "key": keyword,
                "path": keyword,
                "title": {"type": "text", "index": False},
                "text": {"type": "text", "index": False},
                "lang": keyword,
                "source": keyword,
                "url": {"type": "keyword", "index": False, "doc_values": False},
                "published": keyword,
                "format": keyword,
                "indexed_at": {"type": "date"},
            },
        },
    }
