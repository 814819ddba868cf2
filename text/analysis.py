"""Persian/English text analysis: the one definition of normalisation, tokenisation, stopwords and stemming.

Every engine uses this module: the tantivy BM25 index, query analysis, the QA reader, evaluation normalisation,
and the Elasticsearch analyzer settings, which are derived from or tested against the data exported here
(`CHAR_MAP`, `REMOVED_CHARS`, the stopword sets, `PERSIAN_STEM_EXCEPTIONS`).

The chain (`analyze`) is: character normalisation -> tokenisation -> merging of detached Persian affixes
(``می گویند``, ``همکاری ها``) -> stopwords of both languages -> stemming by the script of each token
(Persian: a light suffix/prefix stripper written here; English: Snowball). A query may mix languages.

Why our own Persian stemmer: hazm is heavy, and Snowball's Persian stemmer is too aggressive for news search
(``تحریم`` -> ``تحر``, ``روحانی`` -> ``روح``, ``میدان`` -> ``مید``).

Speed: `analyze` runs at about 7-12 MB/s of news text on one core once its per-word caches are warm (Hamshahri,
Fars, BBC); `analyze_with_offsets` at about 5 MB/s. Dependencies: `regex` (Unicode script classes) and
`snowballstemmer`.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache
from itertools import chain
from typing import Any

import regex
from snowballstemmer.english_stemmer import EnglishStemmer

from kavosh.text.scripts import (
    CHAR_MAP,
    EMBEDDING_CHAR_MAP,
    detect_language,
    fold_digits,
    is_arabic_script,
    languages_in,
)

logger = logging.getLogger(__name__)

__all__ = [
    "ANALYSIS_VERSION",
    "CHAR_MAP",
    "COMPARATIVE",
    "EMBEDDING_CHAR_MAP",
    "ENGLISH_STOPWORDS",
    "GAN_AFTER",
    "LONG_VOWELS",
    "PERSIAN_STEM_EXCEPTIONS",
    "PERSIAN_STOPWORDS",
    "PLURAL_HA",
    "PREFIX_TOKENS",
    "PRESENTATION_FORMS_MAP",
    "REMOVED_CHARS",
    "STAN_PLURALS",
    "SUFFIX_RULES",
    "SUFFIX_RULES_AFTER_PLURAL",
    "SUFFIX_TOKENS_ANY",
    "SUFFIX_TOKENS_VOWEL",
    "VERB_FINAL",
    "VERB_STEMS_BARE",
    "VOWEL_FINAL",
    "analyze",
    "analyze_with_offsets",
    "detect_language",
    "embedding_text",
    "fold_digits",
    "is_arabic_script",
    "languages_in",
    "matched_spans",
    "normalize",
    "normalize_chars",
    "stem_english",
    "stem_persian",
    "tokenize",
]

#: Bump whenever a rule below changes the terms produced; the store records it and re-indexes on mismatch.
ANALYSIS_VERSION = "1"

# --------------------------------------------------------------------------------------------------------------
# Character rules (data, so that an Elasticsearch analyzer can be generated from / checked against them).
# `CHAR_MAP` (letters, separators, digits) lives in kavosh.text.scripts with the other script rules.
# --------------------------------------------------------------------------------------------------------------

#: Characters deleted by `normalize` (kept, as part of the word, by `normalize_chars`): Arabic harakat and
#: Quranic marks, superscript alef, tatweel, zero-width (non-)joiners and spaces, bidi/format marks, BOM,
#: soft hyphen. Deleting ZWNJ joins the word: همکاری‌ها -> همکاریها.
REMOVED_CHARS: str = "".join(
    [
        *map(chr, range(0x0610, 0x061B)),  # Arabic signs above/below (honorifics)
        *map(chr, range(0x064B, 0x0660)),  # harakat: fathatan .. wavy hamza below (incl. hamza above U+0654)
        "\u0670",  # superscript alef
        *map(chr, range(0x06D6, 0x06DD)),  # Quranic annotation marks
        *map(chr, range(0x06DF, 0x06E5)),
        "\u06e7",
        "\u06e8",
        *map(chr, range(0x06EA, 0x06EE)),
        "\u0640",  # tatweel
        "\u061c",  # Arabic letter mark
        "\u00ad",  # soft hyphen
        *map(chr, range(0x200B, 0x2010)),  # ZWSP, ZWNJ, ZWJ, LRM, RLM
        *map(chr, range(0x202A, 0x202F)),  # bidi embeddings and overrides
        *map(chr, range(0x2060, 0x2065)),  # word joiner, invisible operators
        *map(chr, range(0x2066, 0x206A)),  # bidi isolates
        "\ufeff",  # BOM / zero-width no-break space
    ]
)


def _presentation_forms_map() -> dict[str, str]:
    """Arabic presentation forms whose NFKC form is one character, mapped through `CHAR_MAP` (ﻙ -> ک)."""
    out: dict[str, str] = {}
    for cp in [*range(0xFB50, 0xFE00), *range(0xFE70, 0xFF00)]:
        ch = chr(cp)
        nfkc = unicodedata.normalize("NFKC", ch)
        if len(nfkc) == 1 and nfkc != ch:
            out[ch] = CHAR_MAP.get(nfkc, nfkc)
    return out


#: Arabic presentation forms (U+FB50-U+FDFF, U+FE70-U+FEFF) with a one-character NFKC form; `normalize_chars`
#: folds them too. Ligatures (ﻻ, ﷲ) expand to several characters and are left to NFKC in `normalize`.
PRESENTATION_FORMS_MAP: dict[str, str] = _presentation_forms_map()

_PRESENTATION_TABLE = str.maketrans(PRESENTATION_FORMS_MAP)
# str.translate walks a dict per character (~20 MB/s on Persian); a str.replace per mapped character that is
# present is about five times faster, and presentation forms are rare enough to be looked for first.
_CHAR_PAIRS = tuple(CHAR_MAP.items())
_PRESENTATION_RE = re.compile("[\ufb50-\ufdff\ufe70-\ufeff]")
_REMOVED_RE = re.compile("[" + re.escape(REMOVED_CHARS) + "]+")
_WS_RE = re.compile(r"\s+")


def _map_chars(text: str) -> str:
    for src, dst in _CHAR_PAIRS:
        if src in text:
            text = text.replace(src, dst)
    return text


def _core(text: str) -> str:
    """NFKC, `CHAR_MAP`, deletion of `REMOVED_CHARS`, case folding; whitespace untouched."""
    return _REMOVED_RE.sub("", _map_chars(unicodedata.normalize("NFKC", text))).casefold()


# --------------------------------------------------------------------------------------------------------------
# Stopwords (stored in normalised form)
# --------------------------------------------------------------------------------------------------------------

# Standalone Persian affixes, written apart from their word (Hamshahri-style spacing, or ZWNJ typed as a space).
# `analyze` glues them back; when there is nothing to glue them to they are dropped as stopwords.
PREFIX_TOKENS = frozenset({"می", "نمی"})
SUFFIX_TOKENS_ANY = frozenset(
    {"ها", "های", "هایی", "هایم", "هایت", "هایش", "هایمان", "هایتان", "هایشان", "تر", "ترین", "تری"}
)
SUFFIX_TOKENS_VOWEL = frozenset({"ای", "اش", "ام", "ات"})  # only after a word ending in ه or ی

_PERSIAN_STOPWORDS_RAW = """
و در به از که این آن را با برای تا بر هم نیز یا اما ولی لیکن لکن اگر اگرچه هرچند چون چه چرا زیرا پس سپس نه
هیچ هر همه همگی همین همان اینها آنها اینکه آنکه آنچه چنین چنان چنانچه چنانکه چند چندین بی بدون درباره روی زیر
میان بین نزد پیش طی توسط طبق مانند مثل همچون همچنین همچنان بلکه حتی فقط تنها دیگر دیگری دیگران خود خویش خودش
خودشان خودمان یک یکی او وی ما شما من تو ایشان آنان اینان باید نباید شاید نیست نیستند هست هستند هستیم است
بود بوده بودند باشد باشند باشیم بودن شد شده شود شوند شدند شدن شدهاند می‌شود می‌شوند نمی‌شود کرد کرده کند کنند
کردند کردن کردهاند می‌کند می‌کنند داشت دارد دارند داشته داشتند خواهد خواهند خواهیم گردد گردید آیا اکنون هنوز
البته بسیار خیلی بیشتر بیش سوی اند ایم اید لذا بنابراین ضمن جز مگر وقتی هنگامی کجا چگونه کدام آنجا اینجا کسی
چیزی برخی بعضی یعنی هیچکس توی ولیکن الان بدان آنچنان برایش برایم برایشان برایمان برایتان
"""

#: Persian function words, normalised (ZWNJ removed, Persian yeh/kaf), plus the detached affixes (می، ها، ...).
PERSIAN_STOPWORDS: frozenset[str] = frozenset(
    {_core(w) for w in _PERSIAN_STOPWORDS_RAW.split()} | PREFIX_TOKENS | SUFFIX_TOKENS_ANY | SUFFIX_TOKENS_VOWEL
)

#: English function words, lower case. Deliberately absent: "us" (U.S.), "who" (WHO), "may" (the month).
ENGLISH_STOPWORDS: frozenset[str] = frozenset(
    """
    a an and are as at be been being but by for from had has have having he her hers herself him himself his i if
    in into is it its itself me my myself no nor not of on or our ours ourselves she so such than that the their
    theirs them themselves then there these they this those to too was we were what when where which while whom why
    will with would you your yours yourself yourselves do does did doing done am can could should shall might must
    about above after again all any both each few more most other some same own only very just how here once
    because until before below between down during further off out over through under up also s t
    don't doesn't didn't isn't aren't wasn't weren't hasn't haven't hadn't can't cannot couldn't won't wouldn't
    shouldn't it's i'm i've i'd i'll you're you've you'd you'll he's he'd he'll she's she'd she'll we're we've we'd
    we'll they're they've they'd they'll that's there's what's let's
    """.split()
)

_ALL_STOPWORDS = PERSIAN_STOPWORDS | ENGLISH_STOPWORDS

# --------------------------------------------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------------------------------------------

# Spans are found in `normalize_chars` output (same length as the original, so match offsets are offsets into
# the original text). A span is a word: a run of letters and marks with joiners (ZWNJ, tatweel, ...) inside,
# Arabic-script and other letters apart; or a number with separators (1,000  3.5); or an acronym (U.S.).
# Order matters: acronyms and numbers before plain words. The second group of the pair pattern is the text
# after a span up to the next one (characters that can start no span), used to glue detached affixes.
# The classes are defined once with Unicode properties (`_CLASSES`, `regex` syntax).
_SPAN_TEMPLATE = r"""(
    {AL}{ALM}*(?:{J}+{ALM}+)*                       # Persian/Arabic word, ZWNJ/harakat inside
    | {OLL}(?:\.{OLL})+\.?(?!{LN})                  # acronym: u.s.  e.g.
    | [0-9]{{1,3}}(?:,[0-9]{{3}})+(?:\.[0-9]+)?(?![0-9])   # 1,000,000.5
    | [0-9]+\.[0-9]+                                # 3.5
    | {OL}{OLM}*(?:(?:{J}+|'(?={OLL})){OLM}+)*      # Latin (or other) word/number: iran's, g7
    )({GAP}*)"""


def _compile_span_patterns(compile_: Any, flags: int, classes: dict[str, str]) -> tuple[Any, Any]:
    """(span pattern, pair pattern) from `_SPAN_TEMPLATE` with the given character classes."""
    source = _SPAN_TEMPLATE.format(**classes)
    span_source = source[1 : source.rindex(")(")]
    return compile_(span_source, flags), compile_(source, flags)


_CLASSES = {
    "J": "[" + regex.escape(REMOVED_CHARS, special_only=False) + "]",  # joiners: inside a word, deleted later
    "AL": r"[\p{sc=Arabic}&&\p{L}]",  # Arabic-script letter
    "ALM": r"[[\p{sc=Arabic}&&\p{L}]\p{M}]",  # ... or a mark (harakat)
    "OL": r"[[\p{L}\p{N}]--[\p{sc=Arabic}\u0640]]",  # any other letter or number (Latin, digits, ...)
    "OLM": r"[[\p{L}\p{N}\p{M}]--[[\p{sc=Arabic}&&[\p{L}\p{N}]]\u0640]]",  # ... or a mark
    "OLL": r"[\p{L}--[\p{sc=Arabic}\u0640]]",  # any other letter
    "LN": r"[[\p{L}\p{N}]--[[\p{sc=Arabic}&&\p{N}]\u0640]]",  # what starts a span: AL or OL
    "GAP": r"[^[\p{L}\p{N}]--[[\p{sc=Arabic}&&\p{N}]\u0640]]",  # what cannot
}
_SPAN_ENGINE = (
    *_compile_span_patterns(regex.compile, regex.V1 | regex.VERBOSE, _CLASSES),
    regex.compile(_CLASSES["AL"], regex.V1),
)
_SPAN_RE = _SPAN_ENGINE[0]
_NON_BMP_RE = re.compile("[\U00010000-\U0010ffff]")


@lru_cache(maxsize=1)
def _bmp_span_engine() -> tuple[Any, Any, Any]:
    """The same patterns on the stdlib engine, each class spelled out as its BMP ranges (taken from `regex`).

    About twice as fast as `regex` with Unicode properties: the stdlib engine keeps BMP sets as bitmaps.
    Built on first use (about 0.1 s); used for all text without characters beyond U+FFFF.
    """
    bmp = "".join(map(chr, range(0x10000)))

    def ranges(class_: str) -> str:
        runs = regex.finditer(class_ + "+", bmp, regex.V1)
        return "[" + "".join(f"{re.escape(chr(m.start()))}-{re.escape(chr(m.end() - 1))}" for m in runs) + "]"

    classes = {name: ranges(class_) for name, class_ in _CLASSES.items()}
    return (*_compile_span_patterns(re.compile, re.VERBOSE, classes), re.compile(classes["AL"]))


# Texts shorter than this go to the `regex` engine until the stdlib one is built: building it costs ~0.2 s, which a
# one-shot `kavosh search` would pay for a five-word query; indexing or a long text builds it once and then uses it.
_BUILD_BMP_ENGINE_FROM_CHARS = 2000


def _span_engine(nct: str) -> tuple[Any, Any, Any]:
    """(span pattern, pair pattern, Arabic-letter pattern) for this text (both engines find the same spans)."""
    if _NON_BMP_RE.search(nct):
        return _SPAN_ENGINE
    if len(nct) < _BUILD_BMP_ENGINE_FROM_CHARS and not _bmp_span_engine.cache_info().currsize:
        return _SPAN_ENGINE
    return _bmp_span_engine()


# Detached Persian affixes are glued to their word when only spaces/joiners separate them (ZWNJ typed as a
# space, or Hamshahri-style spacing): می گویند, همکاری ها, خانه اش.
_GAP_RE = re.compile(r"[\s" + re.escape(REMOVED_CHARS) + "]+")
_AFFIX_SPANS = PREFIX_TOKENS | SUFFIX_TOKENS_ANY | SUFFIX_TOKENS_VOWEL


def _glue_links(spans: list[str], gaps: list[str]) -> list[int]:
    """Sorted indices ``i`` such that span ``i`` and span ``i + 1`` are one word (an affix glued to its word)."""
    links = set()
    n = len(spans)
    for i in [i for i, span in enumerate(spans) if span in _AFFIX_SPANS]:
        span = spans[i]
        if span in PREFIX_TOKENS:  # می گویند -> میگویند
            if i + 1 < n and is_arabic_script(spans[i + 1]) and _GAP_RE.fullmatch(gaps[i]):
                links.add(i)
        elif i > 0 and is_arabic_script(spans[i - 1]) and _GAP_RE.fullmatch(gaps[i - 1]):
            prev_tokens = _span_tokens(spans[i - 1])
            if span in SUFFIX_TOKENS_ANY or (prev_tokens and prev_tokens[-1][-1] in VOWEL_FINAL):
                links.add(i - 1)  # همکاری ها -> همکاریها; خانه اش -> خانهاش (-ای/-اش/-ام/-ات after ه/ی only)
    return sorted(links)


def _groups(links: list[int], n: int) -> list[tuple[int, int]]:
    """Index ranges ``[first, last]`` of spans that form one word, for all ``n`` spans in order."""
    groups: list[tuple[int, int]] = []
    pos, k = 0, 0
    while k < len(links):
        first = last = links[k]
        while k < len(links) and links[k] == last:
            last += 1
            k += 1
        groups.extend((i, i) for i in range(pos, first))
        groups.append((first, last))
        pos = last + 1
    groups.extend((i, i) for i in range(pos, n))
    return groups


def _spans(nct: str) -> list[str]:
    """The word spans of `normalize_chars` output, detached Persian affixes glued (their text joined)."""
    span_re, pair_re, arabic_re = _span_engine(nct)
    if not arabic_re.search(nct):  # nothing to glue
        return span_re.findall(nct)
    pairs = pair_re.findall(nct)
    spans = [span for span, _ in pairs]
    if _AFFIX_SPANS.isdisjoint(spans):
        return spans
    links = _glue_links(spans, [gap for _, gap in pairs])
    if not links:
        return spans
    return ["".join(spans[first : last + 1]) for first, last in _groups(links, len(spans))]


def _spans_with_offsets(nct: str) -> list[tuple[str, int, int]]:
    """`_spans` with ``(start, end)`` offsets; a glued word spans from its first part to its last."""
    span_re, pair_re, arabic_re = _span_engine(nct)
    if not arabic_re.search(nct):  # nothing to glue
        return [(m.group(), m.start(), m.end()) for m in span_re.finditer(nct)]
    matches = list(pair_re.finditer(nct))
    spans = [m.group(1) for m in matches]
    items = [(span, m.start(1), m.end(1)) for span, m in zip(spans, matches, strict=True)]
    if _AFFIX_SPANS.isdisjoint(spans):
        return items
    links = _glue_links(spans, [m.group(2) for m in matches])
    if not links:
        return items
    return [
        ("".join(spans[first : last + 1]), items[first][1], items[last][2])
        for first, last in _groups(links, len(spans))
    ]


def _fix_token(token: str) -> str:
    """Drop thousands separators from numbers (1,000 -> 1000) and dots from acronyms (u.s. -> us)."""
    if token[0].isdigit():
        return token.replace(",", "") if "," in token else token
    if "." in token:
        return token.replace(".", "")
    return token


@lru_cache(maxsize=1 << 18)
def _span_tokens(span: str) -> tuple[str, ...]:
    """Normalised token(s) of one span: usually one; none for a lone tatweel; several for a ligature (ﷺ)."""
    norm = _core(span)
    if norm == span:  # already normal: the span is exactly one token
        return (_fix_token(span),)
    return tuple(_fix_token(t) for t in _SPAN_RE.findall(norm))


# --------------------------------------------------------------------------------------------------------------
# Persian light stemmer
# --------------------------------------------------------------------------------------------------------------

# Words that look inflected but are not (ایران is not ایر+ان). The stemmer stops as soon as it reaches one,
# so each is also protected behind a plural: ایرانها -> ایران.
_STEM_EXCEPTIONS_RAW = """
ایران تهران اصفهان خراسان کرمان آذربایجان زنجان همدان سمنان کاشان گیلان گرگان رفسنجان زاهدان آبادان شمیران
مازندران آلمان لبنان یونان عمان سودان تایوان واتیکان افغان هندوستان کاپیتان
جهان زمان زبان جوان بیان میان نشان روان توان گران امان مکان دهان کلان آسان کمان
سازمان ساختمان قهرمان خیابان انسان پایان جریان امکان میدان میزان درمان پیمان آسمان آرمان فرمان ایمان مهمان
میهمان ارزان فراوان دیوان ایوان لیوان حیوان کاروان خاندان دندان زندان پنهان رایگان سامان گمان بنیان جبران
هیجان طوفان سلطان شیطان کیهان فنجان عرفان قرآن اذان احسان سلمان عثمان سلیمان رحمان سبحان پژمان مهران کامران
ساسان یزدان نریمان شایان کیوان رمضان آبان باران دوران بحران عنوان قربان گروگان بازرگان ارگان مهرگان بیابان
مسلمان پشیمان دودمان ریسمان زایمان کهکشان درخشان پریشان مردمان نهان خاطرنشان آتشنشان
تنها تنهای تنهایی نهایی انتها انتهای انتهایی اشتها اشتهای بینهایت
دختر دفتر دکتر بستر اختر کامپیوتر تئاتر متر کیلومتر سانتیمتر میلیمتر هلیکوپتر فیلتر لیتر پوستر کبوتر خاکستر
انگشتر منچستر پیتر توییتر کاترین باتری
ملاقات اثبات مجازات مساوات مکافات مناجات مباهات صلوات سوغات ممات تورات مهمات
الهام ابهام اتهام استفهام اوهام ایهام
رای قوی چای
تومان همزمان اکران کارگردان نگهبان میزبان پشتیبان باغبان مرزبان پاسبان دربان دیدهبان نوجوان نگران اطمینان الان
سیمان سرطان رمان امتحان فقدان پیکان اسکان بتوان نتوان سپاهان
دادگستری دادگستر دفاتر امارات ایالات مالیات عملیات حملات
خامنهای موسوی رضوی معنوی پهلوی علوی صفوی نبوی دنیوی حاوی مساوی ثانوی لغوی منزوی
شوروی مهدوی مولوی خسروی علاوی تساوی مشتری کلانتری
ارکستر رویتر ریشتر کوپتر سارتر اینتر دکترین
ناوگان یگان عمران زیان یکسان همسان پارلمان آپارتمان گفتمان یادمان خانمان ناگهان اذعان تکان عنان میلان استخوان
چمران نوسان ملوان ویران مهربان خودگردان زعفران قلیان کماکان فراخوان اتوبان بعنوان ارمغان فلان ناتوان مامان
خلبان توفان گریبان پهلوان گردان طالقان نیاوران گچساران شانگهای
دیپلمات دموکرات مگاوات عرفات شکلات
دایی رضایی رجایی طباطبایی میرزایی بابایی مشایی بیضایی کیمیایی صفایی فدایی مولایی
میلاد میلیارد میعاد میقات میمنت
"""

_TAR_EXCEPTIONS_RAW = (
    "دختر دفتر دکتر بستر اختر کامپیوتر تئاتر متر کیلومتر سانتیمتر میلیمتر هلیکوپتر فیلتر لیتر پوستر کبوتر "
    "خاکستر انگشتر منچستر پیتر توییتر"
)

#: Words the Persian stemmer leaves alone (normalised). Comparative look-alikes are also protected with a
#: trailing ی (دختری), which the comparative rule would otherwise read as -تری.
PERSIAN_STEM_EXCEPTIONS: frozenset[str] = frozenset(
    {_core(w) for w in _STEM_EXCEPTIONS_RAW.split()} | {_core(w) + "ی" for w in _TAR_EXCEPTIONS_RAW.split()}
)

PLURAL_HA = ("هایشان", "هایتان", "هایمان", "هایش", "هایت", "هایم", "هایی", "های", "ها")  # longest first
COMPARATIVE = ("ترین", "تری", "تر")
STAN_PLURALS = ("دوستان", "پرستان")  # -ستان words that are plurals (friends, -worshippers)
LONG_VOWELS = "او"
GAN_AFTER = "دتبیم"  # -گان for -ه nouns: -ندگان, -تگان, نخبگان, همسایگان, همگان (not بزرگان, سگان)
VOWEL_FINAL = "هی"
VERB_FINAL = "دمت"  # person endings -د -ند -ید -م -یم and past stems in -ت: the rest after می is a verb
VERB_STEMS_BARE = frozenset({"توان"})  # می‌توان / نمی‌توان (impersonal, no person ending)


def _strip_plural_ha(w: str) -> str:
    """کشورهای -> کشور, همکاریها -> همکاری (plural -ها with its possessive/indefinite forms)."""
    for suf in PLURAL_HA:
        if w.endswith(suf):
            return w[: -len(suf)] if len(w) - len(suf) >= 2 else w
    return w


def _strip_possessive_plural(w: str) -> str:
    """کشورشان -> کشور (-شان/-تان, stem >= 3 letters; -مان is left alone: معلمان is معلم+ان)."""
    if len(w) >= 6 and (w.endswith("شان") or w.endswith("تان")):
        return w[:-3]
    return w


def _strip_plural_an(w: str) -> str:
    """مسئولان -> مسئول, دانشجویان -> دانشجو, نمایندگان -> نماینده (stem >= 2 letters)."""
    n = len(w)
    if n < 4 or not w.endswith("ان"):
        return w
    if n >= 5 and w.endswith("یان") and w[-4] in LONG_VOWELS:
        return w[:-3]
    if n >= 5 and w.endswith("گان") and w[-4] in GAN_AFTER:  # نمایندگان -> نماینده, نخبگان -> نخبه
        return w[:-3] + "ه"
    return w[:-2]


def _strip_plural_at(w: str) -> str:
    """انتخابات -> انتخاب, تبادلات -> تبادل (stem >= 3 letters; also -ات "your" after ه/ی)."""
    return w[:-2] if len(w) >= 5 and w.endswith("ات") else w


def _strip_comparative(w: str) -> str:
    """بزرگترین -> بزرگ, بیشتری -> بیش; with a stem under 3 letters only to -تر: بهترین -> بهتر (not به)."""
    for suf in COMPARATIVE:
        if w.endswith(suf):
            return w[: -len(suf)] if len(w) - len(suf) >= 3 else w[: len(w) - len(suf) + 2]
    return w


def _strip_after_long_vowel(w: str) -> str:
    """آمریکایی -> آمریکا, دانشجویی -> دانشجو (-یی after ا/و)."""
    return w[:-2] if len(w) >= 4 and w.endswith("یی") and w[-3] in LONG_VOWELS else w


def _strip_ezafe(w: str) -> str:
    """آقای -> آقا, اجرای -> اجرا (ezafe ی after ا/و; ی after a consonant is left alone: ایرانی, همکاری)."""
    return w[:-1] if len(w) >= 3 and w[-1] == "ی" and w[-2] in LONG_VOWELS else w


def _strip_possessive_vowel(w: str) -> str:
    """خانهاش -> خانه, زندگیام -> زندگی (-اش/-ام after ه/ی, stem >= 3 letters)."""
    if len(w) >= 5 and (w.endswith("اش") or w.endswith("ام")) and w[-3] in VOWEL_FINAL:
        return w[:-2]
    return w


# Applied in this order, each at most once: کودکانشان -> کودکان -> کودک, بزرگترها -> بزرگتر -> بزرگ.
# After -ها only the comparative and -یی rules run: no second plural or ezafe (بهانهای -> بهان, not به).
SUFFIX_RULES_AFTER_PLURAL = (_strip_comparative, _strip_after_long_vowel)
SUFFIX_RULES = (
    _strip_possessive_plural,
    _strip_plural_an,
    _strip_plural_at,
    _strip_comparative,
    _strip_after_long_vowel,
    _strip_ezafe,
    _strip_possessive_vowel,
)


def _strip_suffixes(w: str) -> str:
    """Strip inflectional suffixes, stopping at `PERSIAN_STEM_EXCEPTIONS` and at stems shorter than 3 letters."""
    stripped = _strip_plural_ha(w)
    after_plural = stripped != w
    w = stripped
    if len(w) < 3 or w in PERSIAN_STEM_EXCEPTIONS:
        return w
    if w.endswith("ستان"):  # countries and places (پاکستان, بیمارستان, استان) are not plurals
        return w[:-2] if w.endswith(STAN_PLURALS) else w
    for rule in SUFFIX_RULES_AFTER_PLURAL if after_plural else SUFFIX_RULES:
        stripped = rule(w)
        if stripped != w:
            w = stripped
            if len(w) < 3 or w in PERSIAN_STEM_EXCEPTIONS:
                return w
    return w


def _strip_verb_prefix(w: str) -> str:
    """Remove the present/continuous prefix می/نمی when the rest looks like a verb form: میگویند -> گویند."""
    for prefix in ("نمی", "می"):
        if w.startswith(prefix):
            rest = w[len(prefix) :]
            if len(rest) >= 2 and (rest[-1] in VERB_FINAL or rest in VERB_STEMS_BARE):
                return rest
            return w
    return w


@lru_cache(maxsize=1 << 18)
def stem_persian(token: str) -> str:
    """Light Persian stemmer: the verb prefix می/نمی, or plural, comparative and a few possessive suffixes.

    Conservative by design: a stem keeps at least two letters (three for -ات and possessives), the words in
    `PERSIAN_STEM_EXCEPTIONS` (ایران, تهران, میدان, دختر, ...) stop it, and -ی after a consonant (ایرانی,
    همکاری) is left alone. Expects a normalised token (see `normalize`).

    :param token: one normalised Persian token, e.g. ``"کشورهای"``.
    :returns: the stem, e.g. ``"کشور"``; ``"ایران"`` and ``"روسیه"`` come back unchanged.
    """
    w = token
    if len(w) < 3 or w in PERSIAN_STEM_EXCEPTIONS:
        return w
    verb = _strip_verb_prefix(w)  # a verb takes none of the noun suffixes below: نمیتوان is not نمیتو+ان
    if verb != w:
        return verb
    return _strip_suffixes(w)


# The pure-Python Snowball stemmer, named directly: `snowballstemmer.stemmer()` silently switches to PyStemmer
# when that is installed, whose bundled Snowball version may stem differently, and the index must not depend on it.
_ENGLISH_STEMMER = EnglishStemmer()


@lru_cache(maxsize=1 << 18)
def stem_english(token: str) -> str:
    """Snowball (Porter2) English stem of a lower-case token.

    :param token: one normalised token, e.g. ``"sanctions"``.
    :returns: its stem, e.g. ``"sanction"``.
    """
    return _ENGLISH_STEMMER.stemWord(token)


# --------------------------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------------------------


def _check_lang(lang: str | None) -> None:
    if lang not in (None, "fa", "en"):
        raise ValueError(f"lang must be 'fa', 'en' or None, got {lang!r}")


def normalize_chars(text: str) -> str:
    """Length-preserving character normalisation: one character in, one out, so offsets stay valid.

    Applies `CHAR_MAP` (Arabic yeh/kaf/teh marbuta/heh/alef/waw forms, digits, ٫ ٬ ’) and
    `PRESENTATION_FORMS_MAP`, and lower-cases. Harakat, tatweel, ZWNJ and other `REMOVED_CHARS` stay in place.

    :param text: original text.
    :returns: a string of the same length as ``text``.
    """
    out = _map_chars(text)
    if _PRESENTATION_RE.search(out):
        out = out.translate(_PRESENTATION_TABLE)
    lowered = out.lower()
    if len(lowered) != len(out):  # rare: "İ".lower() is two characters
        lowered = "".join(c if len(lc := c.lower()) != 1 else lc for c in out)
    return lowered


def normalize(text: str, lang: str | None = None) -> str:
    """Full normalisation for matching: NFKC, `CHAR_MAP`, deletion of `REMOVED_CHARS`, case folding, spaces.

    ZWNJ is deleted, so ``همکاری‌ها`` becomes ``همکاریها``; Arabic presentation forms become base letters.
    Idempotent.

    :param text: any text.
    :param lang: ``"fa"``, ``"en"`` or None; the rules are the same for both (they follow the script).
    :returns: the normalised text with single spaces and no leading/trailing space.
    :raises ValueError: for an unknown ``lang``.
    """
    _check_lang(lang)
    return _WS_RE.sub(" ", _core(normalize_chars(text))).strip()


_EMBEDDING_TABLE = str.maketrans(EMBEDDING_CHAR_MAP)
_EMBEDDING_CHARS_RE = re.compile("[" + "".join(EMBEDDING_CHAR_MAP) + "]")


def embedding_text(text: str) -> str:
    """The text as an embedding model should see it: Arabic yeh/kaf as Persian, digits as ASCII (same length).

    :param text: a query or passage.
    :returns: ``text`` with `EMBEDDING_CHAR_MAP` applied.
    """
    return text.translate(_EMBEDDING_TABLE) if _EMBEDDING_CHARS_RE.search(text) else text


def tokenize(text: str) -> list[str]:
    """Split text into normalised word tokens (no stopword removal, no stemming).

    Words are runs of letters, marks and digits; ZWNJ, tatweel and harakat inside a word join it. Everything
    else splits, including hyphens and ، ؛ ؟ « ». Numbers keep a decimal point and lose thousands
    separators (``3.5``, ``1,000`` -> ``1000``, ``۱٬۰۰۰`` -> ``1000``); acronyms lose their dots (``U.S.`` -> ``us``).
    Persian affixes written apart are glued back (``می گویند`` -> ``میگویند``, ``همکاری ها`` -> ``همکاریها``).

    :param text: raw or normalised text.
    :returns: the tokens, in order.
    """
    return list(chain.from_iterable(map(_span_tokens, _spans(normalize_chars(text)))))


@lru_cache(maxsize=1 << 18)
def _term(token: str) -> str | None:
    """Stopword filter + stemmer for one normalised token; None when it is dropped."""
    if token[0].isdigit():
        return token  # numbers (2001, 3.5, 19th) are kept as they are
    if token in _ALL_STOPWORDS:
        return None
    if is_arabic_script(token):
        stem = stem_persian(token)
        return None if stem in PERSIAN_STOPWORDS else stem  # an affix glued to a stopword: اینها, می‌شوند
    return stem_english(token)


@lru_cache(maxsize=1 << 18)
def _span_terms(span: str) -> tuple[str, ...]:
    """The analysed terms of one span (cached: news text repeats its words)."""
    return tuple(t for t in map(_term, _span_tokens(span)) if t is not None)


def analyze(text: str, lang: str | None = None) -> list[str]:
    """The BM25 analysis chain: normalise, tokenise, glue detached Persian affixes, drop stopwords, stem.

    Stopwords of both languages are dropped (a query may mix them); Arabic-script tokens go to `stem_persian`,
    numbers are kept, everything else goes to `stem_english`. ``همکاری‌ها``, ``همکاریها`` and ``همکاری ها``
    all give ``["همکاری"]``; ``analyze("۲۰۰۱") == analyze("2001") == ["2001"]``.

    :param text: a document or a query.
    :param lang: ``"fa"``, ``"en"`` or None; accepted for symmetry, the rules follow each token's script.
    :returns: the terms, in text order.
    :raises ValueError: for an unknown ``lang``.
    """
    _check_lang(lang)
    return list(chain.from_iterable(map(_span_terms, _spans(normalize_chars(text)))))


def matched_spans(query: str, text: str) -> list[tuple[int, int]]:
    """Where `text` holds a word that BM25 matches against `query`: the ``(start, end)`` of each word whose analysed
    term is one of the query's, adjacent words merged. Persian variants match as they do in search (ZWNJ present,
    missing or a space; Arabic yeh/kaf; Persian and Arabic-Indic digits), stopwords never.

    :returns: sorted, non-overlapping spans of `text`; empty when nothing matches.
    """
    terms = set(analyze(query))
    if not terms:
        return []
    spans: list[tuple[int, int]] = []
    for term, start, end in analyze_with_offsets(text):
        if term not in terms:
            continue
        if spans and start <= spans[-1][1] + 1 and not text[spans[-1][1] : start].strip():
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return spans


def analyze_with_offsets(text: str) -> list[tuple[str, int, int]]:
    """`analyze` with character offsets into the original text, for highlighting and the QA reader.

    ``text[start:end]`` covers the surface word with its harakat, tatweel and ZWNJ; for a glued affix
    (``می گویند``, ``همکاری ها``) it covers both parts. ``[t for t, _, _ in analyze_with_offsets(x)] == analyze(x)``.

    :param text: the original text.
    :returns: ``(term, start, end)`` triples, in text order.
    """
    out: list[tuple[str, int, int]] = []
    for span, start, end in _spans_with_offsets(normalize_chars(text)):
        out.extend((term, start, end) for term in _span_terms(span))
    return out
