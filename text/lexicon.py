"""Word lists that several modules read: question words and month names, English and Persian.

Each list is written once here; the modules that use them (question classification, the offline reader, the UI's
question test, the date parser) build their patterns or sets from these.
"""

from __future__ import annotations

__all__ = [
    "ENGLISH_MONTHS",
    "ENGLISH_QUESTION_WORDS",
    "ENGLISH_WH_WORDS",
    "PERSIAN_GREGORIAN_MONTHS",
    "PERSIAN_LUNAR_MONTHS",
    "PERSIAN_QUESTION_WORDS",
    "PERSIAN_SOLAR_MONTHS",
    "PERSIAN_WH_WORDS",
    "READER_QUESTION_WORDS",
]

# --------------------------------------------------------------------------------------------------------------
# Question words
# --------------------------------------------------------------------------------------------------------------

#: English wh-words, in the order question classification tries them.
ENGLISH_WH_WORDS: tuple[str, ...] = ("what", "which", "who", "whom", "whose", "where", "when", "why", "how")

#: Persian question words both the UI and the reader know: what, why, when/who, where, how, whether, how many,
#: which, how, what (colloquial), what is, who is, where is, how much. Persian yeh/kaf (input is folded first).
PERSIAN_WH_WORDS: tuple[str, ...] = tuple("چه چرا کی کجا چگونه آیا چند کدام چطور چی چیست کیست کجاست چقدر".split())

#: Words that start an English question, for the UI's ask-or-search rule: wh-words and auxiliaries.
ENGLISH_QUESTION_WORDS: frozenset[str] = frozenset(
    ENGLISH_WH_WORDS
    + tuple("is are was were do does did can could will would should shall has have had may might must".split())
)

#: Words that start a Persian question, for the UI's ask-or-search rule (also: how (colloquial), which one, really?).
PERSIAN_QUESTION_WORDS: frozenset[str] = frozenset(PERSIAN_WH_WORDS + ("چطوری", "کدام\u200cیک", "مگر"))

#: Question words the offline reader drops from a question's terms (also colloquial what-is/who-is, ordinal
#: how-many, colloquial which, which-are).
READER_QUESTION_WORDS: tuple[str, ...] = (
    ENGLISH_WH_WORDS + ("whats",) + PERSIAN_WH_WORDS + ("چیه", "کیه", "چندمین", "کدوم", "کدامند")
)

# --------------------------------------------------------------------------------------------------------------
# Month names
# --------------------------------------------------------------------------------------------------------------

#: English months, January first, each with its abbreviations (lower case).
ENGLISH_MONTHS: tuple[tuple[str, ...], ...] = (
    ("january", "jan"),
    ("february", "feb"),
    ("march", "mar"),
    ("april", "apr"),
    ("may",),
    ("june", "jun"),
    ("july", "jul"),
    ("august", "aug"),
    ("september", "sep", "sept"),
    ("october", "oct"),
    ("november", "nov"),
    ("december", "dec"),
)

#: The months of the Solar Hijri (Jalali) calendar, Farvardin first.
PERSIAN_SOLAR_MONTHS: tuple[str, ...] = tuple(
    "فروردین اردیبهشت خرداد تیر مرداد شهریور مهر آبان آذر دی بهمن اسفند".split()
)

#: Gregorian month names as Persian writes them (with common variant spellings).
PERSIAN_GREGORIAN_MONTHS: tuple[str, ...] = tuple(
    "ژانویه ژانویهٔ فوریه مارس آوریل آپریل ژوئن ژوئیه ژوییه جولای اوت آگوست سپتامبر اکتبر نوامبر دسامبر".split()
)

#: The months of the lunar Hijri calendar.
PERSIAN_LUNAR_MONTHS: tuple[str, ...] = tuple(
    "محرم صفر ربیع‌الاول ربیع‌الثانی جمادی‌الاول جمادی‌الثانی رجب شعبان رمضان شوال ذی‌القعده ذی‌الحجه".split()
)
