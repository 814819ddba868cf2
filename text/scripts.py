"""Scripts, letters and digits: the one home of script/language detection, Arabic->Persian letter folding and digits.

Every rule that asks "is this Persian?", "which spelling of yeh is this?" or "is ۲ the digit 2?" reads the tables
here: text analysis (BM25), the embedders, question classification, the date parser, the UI's question test and the
Elasticsearch store. Pure functions and data only; `regex` is the one dependency (Unicode script classes).
"""

from __future__ import annotations

import regex

__all__ = [
    "ARABIC_BLOCKS",
    "CHAR_MAP",
    "DIGIT_MAP",
    "EMBEDDING_CHAR_MAP",
    "HEH_MAP",
    "LETTER_MAP",
    "TYPED_LETTER_MAP",
    "YEH_KAF_MAP",
    "ALEF_MAP",
    "arabic_block_class",
    "detect_language",
    "fold_digits",
    "fold_typed_letters",
    "is_arabic_script",
    "languages_in",
    "variant_class",
]

# --------------------------------------------------------------------------------------------------------------
# Scripts
# --------------------------------------------------------------------------------------------------------------

#: The Unicode blocks of the Arabic script (Arabic, Supplement, Extended-B/A, presentation forms A and B), as
#: inclusive code point ranges. A token starting with one of these characters is Arabic-script (Persian) text.
ARABIC_BLOCKS: tuple[tuple[int, int], ...] = (
    (0x0600, 0x06FF),
    (0x0750, 0x077F),
    (0x0870, 0x08FF),
    (0xFB50, 0xFDFF),
    (0xFE70, 0xFEFF),
)


def arabic_block_class() -> str:
    """A regular-expression character class (``[\\u0600-\\u06ff...]``) matching any character of `ARABIC_BLOCKS`."""
    return "[" + "".join(f"\\u{lo:04x}-\\u{hi:04x}" for lo, hi in ARABIC_BLOCKS) + "]"


def is_arabic_script(token: str) -> bool:
    """Whether a token (or span) starts with a character of the Arabic blocks, presentation forms included.

    :param token: a non-empty token.
    :returns: ``True`` for ``"ایران"`` and ``"ﻙ"``, ``False`` for ``"Iran"`` and ``"2001"``.
    """
    c = ord(token[0])
    return any(lo <= c <= hi for lo, hi in ARABIC_BLOCKS)


_LANG_SAMPLE_CHARS = 4000
ARABIC_LETTER_RE = regex.compile(r"[\p{sc=Arabic}&&\p{L}]", regex.V1)
LATIN_LETTER_RE = regex.compile(r"[\p{sc=Latin}&&\p{L}]", regex.V1)


def detect_language(text: str) -> str:
    """``"fa"`` when Arabic-script letters outnumber Latin letters, else ``"en"`` (also for empty/numeric text).

    Only the first 4000 characters are looked at, so it is cheap on long articles.

    :param text: any text.
    :returns: ``"fa"`` or ``"en"``.
    """
    sample = text[:_LANG_SAMPLE_CHARS]
    arabic = len(ARABIC_LETTER_RE.findall(sample))
    latin = len(LATIN_LETTER_RE.findall(sample))
    return "fa" if arabic > latin else "en"


def languages_in(text: str) -> set[str]:
    """The languages whose script a text uses: ``"fa"`` for Arabic-script letters, ``"en"`` for Latin letters.

    A text with no letters (a number, a date) belongs to both: its terms match in either language.

    :param text: a query or passage.
    :returns: a non-empty subset of ``{"en", "fa"}``.
    """
    found = {lang for lang, letters in (("fa", ARABIC_LETTER_RE), ("en", LATIN_LETTER_RE)) if letters.search(text)}
    return found or {"en", "fa"}


# --------------------------------------------------------------------------------------------------------------
# Digits
# --------------------------------------------------------------------------------------------------------------

#: Persian (Extended Arabic-Indic) and Arabic-Indic digits -> ASCII digits.
DIGIT_MAP: dict[str, str] = {
    **{chr(0x06F0 + i): str(i) for i in range(10)},
    **{chr(0x0660 + i): str(i) for i in range(10)},
}
_DIGIT_TABLE = str.maketrans(DIGIT_MAP)


def fold_digits(text: str) -> str:
    """Persian (۰-۹) and Arabic-Indic (٠-٩) digits to ASCII; length-preserving.

    :param text: any text.
    :returns: the text with ASCII digits.
    """
    return text.translate(_DIGIT_TABLE)


# --------------------------------------------------------------------------------------------------------------
# Letters: Arabic spellings of Persian letters
# --------------------------------------------------------------------------------------------------------------

#: Arabic yeh, alef maqsura and Arabic kaf: what an Arabic keyboard types for Persian ی and ک. Every consumer folds
#: these (the embedders too: the model's vocabulary keeps them apart from the Persian letters).
YEH_KAF_MAP: dict[str, str] = {"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9"}  # ي ى ك
#: Teh marbuta and heh with yeh above, written for a final Persian heh (ة ۀ -> ه).
HEH_MAP: dict[str, str] = {"\u0629": "\u0647", "\u06c0": "\u0647"}
#: Alef with hamza above or below (أ إ -> ا): رأی/رای, تأکید/تاکید.
ALEF_MAP: dict[str, str] = {"\u0623": "\u0627", "\u0625": "\u0627"}

#: Every Arabic->Persian letter fold of text analysis (one character in, one out). Alef with madda (آ) is kept: it
#: is a distinct letter in Persian (آن/ان, آش/اش).
LETTER_MAP: dict[str, str] = {
    # yeh: Arabic yeh, alef maqsura, yeh with hamza, yeh barree -> Persian yeh
    "\u064a": "\u06cc",  # ي
    "\u0649": "\u06cc",  # ى
    "\u0626": "\u06cc",  # ئ  (رئیس/رییس, جزئی/جزیی are both common spellings)
    "\u06d2": "\u06cc",  # ے
    # kaf: Arabic kaf, swash kaf -> Persian keheh
    "\u0643": "\u06a9",  # ك
    "\u06aa": "\u06a9",  # ڪ
    # heh forms and teh marbuta -> heh
    "\u0629": "\u0647",  # ة
    "\u06c0": "\u0647",  # ۀ  (heh with yeh above: the ezafe is dropped)
    "\u06be": "\u0647",  # ھ  (heh doachashmee)
    "\u06c1": "\u0647",  # ہ  (heh goal)
    "\u06c3": "\u0647",  # ۃ
    "\u06d5": "\u0647",  # ە
    # alef with hamza above/below, wasla -> bare alef (رأی/رای, تأکید/تاکید)
    "\u0623": "\u0627",  # أ
    "\u0625": "\u0627",  # إ
    "\u0671": "\u0627",  # ٱ
    "\u0672": "\u0627",  # ٲ
    "\u0673": "\u0627",  # ٳ
    # waw with hamza -> waw
    "\u0624": "\u0648",  # ؤ
}
assert {**YEH_KAF_MAP, **HEH_MAP, **ALEF_MAP}.items() <= LETTER_MAP.items()  # the named groups are folds of it

#: One character in -> one character out, applied by text analysis (`kavosh.text.analysis.normalize_chars`):
#: the letter folds, the Arabic decimal and thousands separators, curly apostrophes, and the digits.
CHAR_MAP: dict[str, str] = {
    **LETTER_MAP,
    "\u066b": ".",  # ٫
    "\u066c": ",",  # ٬
    "\u2019": "'",  # ’
    "\u2018": "'",  # ‘
    **DIGIT_MAP,
}

#: Spelling variants folded in the text an embedding model sees: the model's vocabulary keeps Arabic yeh/kaf and
#: Persian/Arabic-Indic digits apart from the Persian letters and ASCII digits, so "ايران" and "ایران" would get
#: different vectors. Only one-to-one swaps of the same letter or digit: everything else the model reads as written
#: (case, ZWNJ, diacritics carry meaning it has learnt).
EMBEDDING_CHAR_MAP: dict[str, str] = {**YEH_KAF_MAP, **DIGIT_MAP}

#: The folds applied to what a user types before it is compared with a word list (the UI's question words):
#: yeh/kaf, teh marbuta / heh with yeh, alef with hamza.
TYPED_LETTER_MAP: dict[str, str] = {**YEH_KAF_MAP, **HEH_MAP, **ALEF_MAP}
_TYPED_TABLE = str.maketrans(TYPED_LETTER_MAP)


def fold_typed_letters(text: str) -> str:
    """Arabic spellings of Persian letters (`TYPED_LETTER_MAP`) to the Persian letter; length-preserving.

    :param text: typed text, e.g. ``"كجا"``.
    :returns: ``"کجا"``.
    """
    return text.translate(_TYPED_TABLE)


def variant_class(letter: str, folds: dict[str, str]) -> str:
    """A regular-expression class matching a Persian letter and every spelling ``folds`` maps to it.

    :param letter: a Persian letter, e.g. ``"ی"``.
    :param folds: a fold table such as `YEH_KAF_MAP`.
    :returns: e.g. ``"[یيى]"``; the letter itself when nothing folds to it.
    """
    variants = "".join(src for src, dst in folds.items() if dst == letter)
    return f"[{letter}{variants}]" if variants else letter
