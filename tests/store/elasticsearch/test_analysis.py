"""The Elasticsearch analyzer settings against the Python analysis (``kavosh.text.analysis``).

Elasticsearch cannot run here. ``es_tokens`` therefore runs the generated settings through a model of the
Lucene parts they use — ``mapping`` (longest match, one pass), ``pattern_replace`` char and token filters (Java
``replaceAll``/``replaceFirst`` with ``$n`` groups; unmatched groups give nothing), the ``pattern`` tokenizer with
``group: 0``, ``lowercase`` (``Character.toLowerCase`` per code point), ``stop``, ``keyword_marker`` with
``keywords_pattern`` (whole-token match) and the ``porter2`` stemmer (Snowball English, skipping keywords) — with
the patterns evaluated by the ``regex`` module, whose syntax for the constructs used (classes with ``&&``,
``\\p{IsArabic}``, look-around, ``{m,n}``) is Java's. ``TRICKY`` holds the token output expected from
Elasticsearch, written out; the live test in ``test_elasticsearch_store.py`` checks it against a real cluster.
"""

from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from typing import Any

import pytest
import regex
import snowballstemmer

from kavosh.store.elasticsearch import analysis as es_analysis
from kavosh.store.elasticsearch.analysis import (
    ANALYZER,
    PERSIAN_STEMMER_CHAIN,
    analysis_settings,
    char_mappings,
    chunk_index_body,
    elasticsearch_chars,
    normalized_form,
)
from kavosh.text import analysis
from kavosh.text.analysis import PERSIAN_STEM_EXCEPTIONS, analyze, stem_persian

_PORTER2 = snowballstemmer.stemmer("english")


# ===================================================================== a model of the Lucene parts used
@lru_cache(maxsize=1)
def settings() -> dict[str, Any]:
    return json.loads(json.dumps(analysis_settings()))  # exactly what the client sends


@cache
def _java(pattern: str) -> regex.Pattern:
    return regex.compile(pattern, regex.V1)


def _unescape_rule(text: str) -> str:
    """ES's mapping rule syntax: \\uXXXX escapes (UTF-16 units)."""
    units = [int(h, 16) for h in re.findall(r"\\u([0-9A-Fa-f]{4})", text)]
    assert "".join(f"\\u{u:04X}" for u in units) == text.strip(), f"unexpected rule text {text!r}"
    return b"".join(u.to_bytes(2, "big") for u in units).decode("utf-16-be", "surrogatepass")


@lru_cache(maxsize=1)
def mapping_rules() -> dict[str, str]:
    rules = {}
    for rule in settings()["char_filter"]["kavosh_chars"]["mappings"]:
        lhs, rhs = rule.split("=>")
        rules[_unescape_rule(lhs)] = _unescape_rule(rhs)
    return rules


def _java_replacement(template: str, match: regex.Match) -> str:
    out, i = [], 0
    while i < len(template):
        c = template[i]
        if c == "\\":
            out.append(template[i + 1])
            i += 2
        elif c == "$":
            j = i + 1
            while j < len(template) and template[j].isdigit() and int(template[i + 1 : j + 1]) <= match.re.groups:
                j += 1
            out.append(match.group(int(template[i + 1 : j])) or "")
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def pattern_replace(text: str, spec: dict[str, Any]) -> str:
    count = 0 if spec.get("all", True) else 1
    return _java(spec["pattern"]).sub(lambda m: _java_replacement(spec.get("replacement", ""), m), text, count=count)


def mapping(text: str) -> str:
    rules = mapping_rules()
    longest = max(map(len, rules))
    out, i = [], 0
    while i < len(text):
        for size in range(min(longest, len(text) - i), 0, -1):
            if text[i : i + size] in rules:
                out.append(rules[text[i : i + size]])
                i += size
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def token_filter(tokens: list[list[Any]], name: str) -> list[list[Any]]:
    """One token filter over ``[term, is_keyword]`` pairs."""
    if name == "lowercase":
        return [[es_analysis._java_lower(t), k] for t, k in tokens]
    spec = settings()["filter"][name]
    if spec["type"] == "pattern_replace":
        return [[pattern_replace(t, spec), k] for t, k in tokens]
    if spec["type"] == "stop":
        words = set(spec["stopwords"])
        return [[t, k] for t, k in tokens if t not in words]
    if spec["type"] == "keyword_marker":
        pattern = _java(spec["keywords_pattern"])
        return [[t, k or bool(pattern.fullmatch(t))] for t, k in tokens]
    if spec["type"] == "stemmer":
        assert spec["language"] == "porter2"
        return [[t if k else _PORTER2.stemWord(t), k] for t, k in tokens]
    raise AssertionError(f"no model for filter type {spec['type']}")


def es_tokens(text: str) -> list[str]:
    """The terms the ``kavosh`` analyzer gives (as ``_analyze`` would list them)."""
    s = settings()
    analyzer = s["analyzer"][ANALYZER]
    for name in analyzer["char_filter"]:
        spec = s["char_filter"][name]
        text = mapping(text) if spec["type"] == "mapping" else pattern_replace(text, spec)
    tokenizer = s["tokenizer"][analyzer["tokenizer"]]
    assert tokenizer["type"] == "pattern" and tokenizer["group"] == 0
    tokens = [[m.group(0), False] for m in _java(tokenizer["pattern"]).finditer(text)]
    for name in analyzer["filter"]:
        tokens = token_filter(tokens, name)
    return [t for t, _ in tokens]


def es_persian_stem(token: str) -> str:
    """The Persian stemmer filters alone, on one normalised token."""
    tokens = [[token, False]]
    for name in PERSIAN_STEMMER_CHAIN:
        tokens = token_filter(tokens, name)
    return tokens[0][0]


# ===================================================================== tricky inputs
#: (text, tokens Elasticsearch gives, whether they equal analyze(text)).
TRICKY: list[tuple[str, list[str], bool]] = [
    ("همکاری\u200cها", ["همکاری"], True),  # ZWNJ deleted: one word
    ("همکاری ها", ["همکاری"], True),  # detached plural glued
    ("همکاريها", ["همکاری"], True),  # Arabic yeh
    ("می\u200cگویند", ["گویند"], True),  # verb prefix
    ("می گویند", ["گویند"], True),  # detached verb prefix glued
    ("نمی توانند", ["توانند"], True),
    ("كشورهاي", ["کشور"], True),  # Arabic kaf and yeh, plural + ezafe
    ("۱۳۹۹ و ١٢", ["1399", "12"], True),  # Persian and Arabic-Indic digits; و is a stopword
    ("ایران\u200cها", ["ایران"], True),  # an exception behind a plural
    ("نمایندگان", ["نماینده"], True),  # -ندگان -> -نده
    ("دانشجویان", ["دانشجو"], True),
    ("بزرگ\u200cترین", ["بزرگ"], True),
    ("بهترین", ["بهتر"], True),  # a short stem keeps -تر
    ("آمریکایی", ["آمریکا"], True),
    ("خانه اش", ["خانه"], True),  # -اش glued after ه
    ("پاکستان", ["پاکستان"], True),  # -ستان is not a plural
    ("دوستان", ["دوست"], True),
    ("تحریم\u200cهای", ["تحریم"], True),
    ("رأی", ["رای"], True),  # alef with hamza
    ("آب", ["آب"], True),  # alef with madda kept
    ("ا\u0653ب", ["آب"], True),  # alef + madda above composes (NFKC) before the mark would be deleted
    ("مسئولان", ["مسیول"], True),  # hamza seat folded, plural -ان
    ("كِتابٌ", ["کتاب"], True),  # harakat deleted
    ("ﻙﺘﺎﺏ", ["کتاب"], True),  # presentation forms
    ("انتخابات", ["انتخاب"], True),
    ("آقای رئیس جمهور", ["آقا", "رییس", "جمهور"], True),
    ("دختری", ["دختری"], True),  # protected comparative look-alike
    ("اینها", [], True),  # a stopword behind a plural
    ("U.S. sanctions", ["us", "sanction"], True),  # acronym dots dropped, "us" is no stopword
    ("1,000,000.5 dollars", ["1000000.5", "dollar"], True),
    ("Iran’s COVID-19 response", ["iran", "covid", "19", "respons"], True),  # ’ is an apostrophe
    ("The WHO said", ["who", "said"], True),
    ("running runners ran", ["run", "runner", "ran"], True),
    ("ＩＲＡＮ ﬁnance", ["iran", "financ"], True),  # fullwidth letters and ligatures (NFKC)
    ("Straße", ["strass"], True),  # case folding, not lower-casing
    ("1990s g7", ["1990s", "g7"], True),  # numbers are not stemmed
    ("مي مي بايست", ["میبایست"], True),
    ("کودکان ها", ["کودکان"], True),  # after a plural -ها no other plural is stripped
    # Known difference: analyze compares an affix's surface, so -ها written with a haraka is not glued there
    # (کودکان + ها -> کودک); Elasticsearch deletes the haraka first and glues it.
    ("کودکان هاَ", ["کودکان"], False),
]


@pytest.mark.parametrize(("text", "expected", "agrees"), TRICKY, ids=[t for t, _, _ in TRICKY])
def test_tricky_inputs(text, expected, agrees):
    assert es_tokens(text) == expected
    assert (analyze(text) == expected) is agrees


# ===================================================================== the Persian stemmer
def _stemmer_vocabulary() -> list[str]:
    stems = [
        "کتاب", "کشور", "همکاری", "دانشجو", "آقا", "خانه", "بزرگ", "به", "سایه", "نماینده", "نخبه", "دوست",
        "انتخاب", "مسیول", "کودک", "آمریکا", "زندگی", "بیمار", "پاک", "گوی", "رو", "سگ", "همسایه", "سا", "دا",
    ]  # fmt: skip
    suffixes = [
        "", *analysis.PLURAL_HA, *analysis.COMPARATIVE, "ان", "یان", "گان", "ات", "ستان", "شان", "تان", "مان",
        "یی", "ی", "اش", "ام", "ای", "ها" + "ی", "تر" + "ها", "ان" + "شان", "ترین" + "ها", "ستان" + "ها",
    ]  # fmt: skip
    words = {stem + suf for stem in stems for suf in suffixes}
    words |= {
        prefix + rest for prefix in ("می", "نمی") for rest in ("گویند", "توان", "رود", "خواهم", "دانست", "ها", "گو")
    }
    words |= set(PERSIAN_STEM_EXCEPTIONS) | {w + suf for w in PERSIAN_STEM_EXCEPTIONS for suf in ("ها", "های", "ی")}
    return sorted(w for w in words if w)


def test_persian_stemmer_filters_reproduce_stem_persian():
    words = _stemmer_vocabulary()
    assert len(words) > 1000
    different = [(w, es_persian_stem(w), stem_persian(w)) for w in words if es_persian_stem(w) != stem_persian(w)]
    assert different == []


def test_stemmer_chain_ends_clean_and_leaves_other_scripts_alone():
    assert es_persian_stem("us") == "us" and es_persian_stem("2020") == "2020"
    assert PERSIAN_STEMMER_CHAIN[-1] == "kavosh_fa_unmark"


# ===================================================================== character normalisation
def test_mapping_reproduces_python_normalisation_of_word_characters():
    rules = char_mappings()
    for c in es_analysis._folded_block_chars():
        if es_analysis._is_word_char(c) or c in rules:
            assert elasticsearch_chars(c, rules) == normalized_form(c), hex(ord(c))
    for pair in (k for k in rules if len(k) == 2):
        assert elasticsearch_chars(pair, rules) == normalized_form(pair), pair


def test_mapping_covers_char_map_and_zwnj():
    rules = mapping_rules()
    for src, dst in analysis.CHAR_MAP.items():
        assert rules[src] == normalized_form(dst)
    removed = settings()["char_filter"]["kavosh_removed"]
    assert pattern_replace("همکاری\u200cها\u0640", removed) == "همکاریها"
    assert "\\u200C" in removed["pattern"]


# ===================================================================== the settings as Elasticsearch reads them
def test_every_filter_in_the_analyzer_is_defined():
    s = settings()
    analyzer = s["analyzer"][ANALYZER]
    assert set(analyzer["char_filter"]) <= set(s["char_filter"])
    assert set(analyzer["filter"]) - {"lowercase"} <= set(s["filter"])
    assert analyzer["filter"][:4] == ["lowercase", "kavosh_number_commas", "kavosh_acronym_dots", "kavosh_stop"]
    assert analyzer["filter"][-2:] == ["kavosh_en_keep", "kavosh_en_stem"]
    assert s["filter"]["kavosh_en_stem"] == {"type": "stemmer", "language": "porter2"}
    assert set(s["filter"]["kavosh_stop"]["stopwords"]) == analysis.PERSIAN_STOPWORDS | analysis.ENGLISH_STOPWORDS


def test_mapping_rules_parse_as_elasticsearch_parses_them():
    # ES: "(.*)\s*=>\s*(.*)\s*$", both sides trimmed, then \uXXXX escapes decoded; duplicates are an error.
    sources = []
    for rule in settings()["char_filter"]["kavosh_chars"]["mappings"]:
        assert rule.isascii() and rule.count("=>") == 1
        lhs, rhs = (side.strip() for side in rule.split("=>"))
        assert lhs and rhs
        sources.append(_unescape_rule(lhs))
    assert len(sources) == len(set(sources))


def test_patterns_use_java_syntax_only():
    s = settings()
    patterns = [f["pattern"] for f in s["filter"].values() if "pattern" in f]
    patterns += [f["pattern"] for f in s["char_filter"].values() if "pattern" in f]
    patterns += [s["tokenizer"]["kavosh_words"]["pattern"], s["filter"]["kavosh_en_keep"]["keywords_pattern"]]
    for pattern in patterns:
        _java(pattern)
        assert "(?P" not in pattern and "\\Z" not in pattern and "\\d" not in pattern, pattern
    # Java replacements: $n and literal text only (no Python \g<n>)
    for spec in [*s["filter"].values(), *s["char_filter"].values()]:
        assert "\\g" not in spec.get("replacement", "")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dim": 0}, "dim must be an integer from 1 to 4096"),
        ({"dim": 384, "similarity": "euclid"}, "unknown similarity 'euclid'"),
        ({"dim": 384, "vector_index": "hnsw4"}, "unknown vector index 'hnsw4'"),
    ],
)
def test_chunk_index_body_validates(kwargs, message):
    with pytest.raises(ValueError, match=message):
        chunk_index_body(**kwargs)


def test_flat_index_has_no_hnsw_parameters():
    body = chunk_index_body(384, vector_index="int8_flat")
    assert body["mappings"]["properties"]["embedding"]["index_options"] == {"type": "int8_flat"}
