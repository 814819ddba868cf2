"""Expected answer types of questions and typed candidate spans in text (English and Persian).

Pure functions: ``classify_question`` maps a question to the :class:`AnswerType` its answer should have and
``find_candidates`` finds spans of that type in a text, with character offsets into the text as given (no
normalisation that would shift offsets: Arabic/Persian yeh and kaf, ZWNJ and Persian digits are matched by the
patterns themselves). Rules, not a tagger: there is no NER model for Persian that can run offline here, so names
and places are found by capitalisation (English), titles, a first-name list, «quotes» and a small gazetteer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import Enum

from kavosh.text.lexicon import (
    ENGLISH_MONTHS,
    ENGLISH_WH_WORDS,
    PERSIAN_GREGORIAN_MONTHS,
    PERSIAN_LUNAR_MONTHS,
    PERSIAN_SOLAR_MONTHS,
)
from kavosh.text.scripts import HEH_MAP, YEH_KAF_MAP, detect_language, variant_class

__all__ = ["AnswerType", "classify_question", "find_candidates"]


class AnswerType(Enum):
    """What kind of span a question asks for; ``OTHER`` means no span typing (what / which / چه / چیست)."""

    DATE = "date"
    NUMBER = "number"
    PERSON = "person"
    PLACE = "place"
    OTHER = "other"

    def __str__(self) -> str:
        return self.value

    @staticmethod
    def from_str(string: str) -> AnswerType:
        """Parse an answer type name, case-insensitively (``"entity"`` is accepted for ``OTHER``).

        :param string: ``date``, ``number``, ``person``, ``place`` or ``other``.
        :returns: the answer type.
        :raises ValueError: for any other string; the message names the valid values.
        """
        value = string.strip().lower()
        if value == "entity":
            return AnswerType.OTHER
        for member in AnswerType:
            if member.value == value:
                return member
        valid = ", ".join(m.value for m in AnswerType)
        raise ValueError(f"Unknown answer type {string!r}; valid values are: {valid}")


# --- Persian-tolerant pattern building -------------------------------------------------------------------------

_ZWNJ = "\u200c"
# Persian word boundaries: ZWNJ joins the parts of one word (سه‌شنبه), so it must not count as a boundary.
_BL = r"(?<![\w\u200c])"
_BR = r"(?![\w\u200c])"


# Each Persian letter with the Arabic spellings Persian text uses for it: [یيى], [کك], [هةۀ].
_LETTER_CLASSES = {letter: variant_class(letter, {**YEH_KAF_MAP, **HEH_MAP}) for letter in "یکه"}


def _fa(pattern: str) -> str:
    """Make a Persian pattern tolerant of Arabic yeh/kaf, hamza-yeh spelt ی, and ZWNJ written as space or nothing."""
    out = []
    for ch in pattern:
        if ch in _LETTER_CLASSES:
            out.append(_LETTER_CLASSES[ch])
        elif ch == _ZWNJ:
            out.append(r"[\s\u200c]?")
        elif ch == " ":
            out.append(r"[\s\u200c]+")
        else:
            out.append(ch)
    return "".join(out)


def _words(words: str) -> str:
    """Alternation of space-separated words, longest first so that ``یکشنبه`` wins over ``شنبه``."""
    return "(?:" + "|".join(sorted(words.split(), key=len, reverse=True)) + ")"


def _fa_words(words: str) -> str:
    """Persian alternation; words are separated by spaces, or by ``|`` when they are phrases."""
    items = words.split("|") if "|" in words else words.split()
    return "(?:" + "|".join(_fa(w.strip()) for w in sorted(items, key=len, reverse=True)) + ")"


_FLAGS = re.IGNORECASE | re.UNICODE

# --- Question classification -----------------------------------------------------------------------------------

_EN_RULES: list[tuple[AnswerType, re.Pattern[str]]] = [
    (
        AnswerType.DATE,
        re.compile(
            r"\b(?:when|what|which|in\s+what|in\s+which|during\s+what|by\s+what|until\s+what|since\s+what)\s+"
            r"(?:year|years|date|day|month|decade|century|centuries|time\s+period|era|season|age)\b"
            r"|\bwhen\b|\bwhat\s+time\b|\bhow\s+long\s+ago\b",
            _FLAGS,
        ),
    ),
    (
        AnswerType.NUMBER,
        re.compile(
            r"\bhow\s+(?:many|much|long|old|far|big|large|tall|high|deep|wide|heavy|often|fast|few)\b"
            r"|\bwhat\s+(?:percentage|percent|proportion|fraction|number|amount|size|population|temperature|"
            r"speed|distance|length|height|weight|age|ratio|rate)\b",
            _FLAGS,
        ),
    ),
    (
        AnswerType.PLACE,
        re.compile(
            r"\bwhere\b|\b(?:what|which)\s+(?:country|countries|city|cities|state|states|town|region|continent|"
            r"province|county|place|location|island|nation|area|capital|river|village|district)\b",
            _FLAGS,
        ),
    ),
    (
        AnswerType.PERSON,
        re.compile(
            r"\bwho\b|\bwhom\b|\bwhose\b|\b(?:what|which)\s+(?:person|people|man|woman|king|queen|emperor|president|"
            r"leader|scientist|author|writer|artist|player|general|pope)\b",
            _FLAGS,
        ),
    ),
]

_EN_WH = re.compile(r"\b(?:" + "|".join(ENGLISH_WH_WORDS) + r")\b", re.IGNORECASE)

_FA_RULES: list[tuple[AnswerType, re.Pattern[str]]] = [
    (
        AnswerType.PERSON,
        re.compile(
            _BL + _fa_words("چه کسی|چه کسانی|کدام شخص|کدام اشخاص|چه شخصی|چه فردی|کدام فرد|کیست|کیستند|کیا|چه کس") + _BR,
        ),
    ),
    (
        AnswerType.DATE,
        re.compile(
            _BL
            + "(?:"
            + _fa(r"(?:چه|کدام|کدوم) (?:زمانی|زمان|سالی|سال|تاریخی|تاریخ|روزی|روز|ماهی|ماه|قرنی|قرن|دهه‌ای|دهه|")
            + _fa(r"سده‌ای|سده|هنگامی|وقتی|وقت|دوره‌ای|دوره)")
            + "|"
            + _fa(r"از چه زمانی|تا چه زمانی|چه موقع|چه موقعی|کی‌ها")
            + ")"
            + _BR,
        ),
    ),
    (
        AnswerType.NUMBER,
        re.compile(
            _BL
            + "(?:"
            + _fa(r"چه (?:تعداد|مقدار|میزان|اندازه|قدر|درصدی|درصد|مبلغ|مبلغی|مساحتی|جمعیتی|فاصله‌ای)")
            + "|"
            + _fa(r"چقدر|چقد|چند|چندمین|چندم|چند درصد")
            + ")"
            + _BR,
        ),
    ),
    (
        AnswerType.PLACE,
        re.compile(
            _BL
            + "(?:"
            + _fa(r"کجا|کجاست|کجای|کجایی|کجاها")
            + "|"
            + _fa(r"(?:کدام|کدوم|چه) (?:شهر|شهری|کشور|کشوری|استان|استانی|منطقه|منطقه‌ای|مکان|مکانی|قاره|قاره‌ای|")
            + _fa(r"روستا|روستایی|ایالت|ایالتی|جزیره|جزیره‌ای|محل|محلی|نقطه|کشورها|شهرها)")
            + ")"
            + _BR,
        ),
    ),
]

# "کی" is "who" (ki) or "when" (key) in colloquial Persian; the spelling is the same. It asks for a person after a
# preposition or object marker (توسط کی، برای کی، به دستور کی، رو کی ساخت), before a copula (کی بود، کیه، کی ان) or at
# the start of the question (کی اولین بار ...); otherwise (ورزش تنیس کی وارد ایران شد) it asks for a time.
_FA_KI = re.compile(_BL + _fa("کی") + _BR)
_FA_KI_PERSON_BEFORE = re.compile(
    _BL + _fa_words("توسط برای به با رو را پیشنهاد دستور توصیه همراه کمک طرف سوی جانب") + r"[\s\u200c]*$"
)
_FA_KI_PERSON_AFTER = re.compile(r"^[\s\u200c]*" + _fa_words("بود بودند است هست هستند ان اند بوده بودن") + _BR)
_FA_KIE = re.compile(_BL + _fa_words("کیه کیا") + _BR)


def _classify_fa_ki(question: str) -> AnswerType | None:
    """Decide colloquial ``کی`` as who or when; ``None`` when the question has no ``کی``."""
    if _FA_KIE.search(question):
        return AnswerType.PERSON
    match = _FA_KI.search(question)
    if match is None:
        return None
    before = question[: match.start()].strip()
    after = question[match.end() :]
    if not before or _FA_KI_PERSON_BEFORE.search(before) or _FA_KI_PERSON_AFTER.match(after):
        return AnswerType.PERSON
    return AnswerType.DATE


def classify_question(question: str) -> AnswerType:
    """Guess the type of answer a question expects.

    English: when / what year → DATE, how many / how much / what percentage → NUMBER, where / which country →
    PLACE, who / whom / whose → PERSON. Persian: چه زمانی / چه سالی / کی (when) → DATE, چند / چقدر / چه تعداد →
    NUMBER, کجا / کدام شهر → PLACE, چه کسی / کیست / کی (who) → PERSON. Anything else (what, which, چه, چیست,
    کدام) is ``OTHER``.

    :param question: the question, English or Persian.
    :returns: the expected answer type.
    """
    if detect_language(question) == "fa":
        for answer_type, pattern in _FA_RULES:
            if pattern.search(question):
                return answer_type
        ki = _classify_fa_ki(question)
        if ki is not None:
            return ki
        return AnswerType.OTHER
    # English: the first question word decides ("Who ... in what year" asks for a person; "What is ... called
    # when ..." is a what-question whose "when" is a conjunction).
    wh = _EN_WH.search(question)
    best: tuple[int, AnswerType] | None = None
    for answer_type, pattern in _EN_RULES:
        for match in pattern.finditer(question):
            if wh is not None and not match.start() <= wh.start() < match.end():
                continue
            if best is None or match.start() < best[0]:
                best = (match.start(), answer_type)
            break
    return best[1] if best else AnswerType.OTHER


# --- Shared vocabularies ----------------------------------------------------------------------------------------

_EN_MONTHS = " ".join(
    [names[0].capitalize() for names in ENGLISH_MONTHS]
    + [abbreviation.capitalize() for names in ENGLISH_MONTHS for abbreviation in names[1:]]
)
_EN_WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday"
_EN_SEASONS = "spring summer autumn fall winter"
_EN_NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million "
    "billion trillion dozen dozens hundreds thousands millions billions half"
)
_EN_SCALES = "hundred thousand million billion trillion"
_FA_SOLAR_MONTHS = " ".join(PERSIAN_SOLAR_MONTHS)
_FA_GREGORIAN_MONTHS = " ".join(PERSIAN_GREGORIAN_MONTHS)
_FA_LUNAR_MONTHS = " ".join(PERSIAN_LUNAR_MONTHS)
_FA_WEEKDAYS = "شنبه یکشنبه دوشنبه سه‌شنبه چهارشنبه پنجشنبه پنج‌شنبه جمعه"
_FA_NUMBER_WORDS = (
    "یک دو سه چهار پنج شش هفت هشت نه ده یازده دوازده سیزده چهارده پانزده شانزده هفده هجده هیجده نوزده بیست سی "
    "چهل پنجاه شصت هفتاد هشتاد نود صد یکصد دویست سیصد چهارصد پانصد ششصد هفتصد هشتصد نهصد هزار میلیون میلیارد "
    "بیلیون تریلیون"
)
_FA_SCALES = "صد هزار میلیون میلیارد بیلیون تریلیون"

# --- DATE -------------------------------------------------------------------------------------------------------

_MONTH = r"\b" + _words(_EN_MONTHS) + r"\.?(?![a-z])"
_DAY = r"\b(?:[0-3]?\d)(?:st|nd|rd|th)?\b"
_YEAR = r"\b(?:1[0-9]{3}|20[0-9]{2})\b"
_RELATIVE_UNIT = r"(?:week|weekend|month|year|decade|century|season|quarter|spring|summer|autumn|fall|winter)"
_EN_NUM = r"(?:\d+(?:[.,]\d+)?|" + _words(_EN_NUMBER_WORDS) + r"(?:[\s-]+" + _words(_EN_NUMBER_WORDS) + r")*)"
_EN_DATE = re.compile(
    "|".join(
        [
            # 22 July 2020, 22nd of July, 2020
            _DAY + r"\s+(?:of\s+)?" + _MONTH + r"(?:,?\s+" + _YEAR + r")?",
            # July 22, 2020 / July 2020 / March
            _MONTH + r"(?:\s+" + _DAY + r")?(?:,?\s+" + _YEAR + r")?",
            # next March, last Tuesday, this week, earlier this year, later this month
            r"\b(?:(?:early|earlier|late|later|mid)[\s-]+)?(?:next|last|this|coming|past|previous|following)\s+"
            r"(?:" + _words(_EN_MONTHS + " " + _EN_WEEKDAYS) + r"|" + _RELATIVE_UNIT + r")\b",
            # on Tuesday / Tuesday
            r"\b" + _words(_EN_WEEKDAYS) + r"s?\b",
            # the 1990s, mid-1990s, 1066 AD, 500 BC, 2020-07-22, 22/07/2020, a year
            r"\b(?:the\s+)?(?:(?:early|late|mid)[\s-]+)?(?:1[0-9]{3}|20[0-9]{2})s\b",
            r"\b\d{1,4}\s*(?:BC|BCE|AD|CE)\b|\b(?:AD|A\.D\.)\s*\d{1,4}\b",
            r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b",
            r"\b(?:(?:early|late|mid)[\s-]+)?" + _YEAR + r"(?:\s*(?:-|–|to|and)\s*" + _YEAR + r")?",
            # the 10th century, the 10th and 11th centuries, 19th-century, the fifth century
            r"\b(?:the\s+)?(?:(?:early|late|mid)[\s-]+)?(?:\d{1,2}(?:st|nd|rd|th)|first|second|third|fourth|fifth|"
            r"sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|"
            r"seventeenth|eighteenth|nineteenth|twentieth|twenty-first)"
            r"(?:\s+(?:and|or|to)\s+(?:\d{1,2}(?:st|nd|rd|th)))?[\s-]+centur(?:y|ies)(?:\s+(?:BC|AD|BCE|CE))?\b",
            # tomorrow, yesterday, today, tonight
            r"\b(?:tomorrow|yesterday|today|tonight)\b",
            # within two years, in three weeks, two years ago
            r"\b(?:within|in)\s+(?:the\s+next\s+)?(?:a|an|" + _EN_NUM + r")\s+(?:days?|weeks?|months?|years?|decades?)"
            r"\b",
            r"\b(?:a|an|" + _EN_NUM + r")\s+(?:days?|weeks?|months?|years?|decades?|centuries)\s+(?:ago|later|earlier)"
            r"\b",
            # spring 2001, the summer of 1990
            r"\b(?:the\s+)?" + _words(_EN_SEASONS) + r"\s+(?:of\s+)?" + _YEAR,
        ]
    ),
    _FLAGS,
)
# Month names that are ordinary words in other senses need a day, a year or a modifier next to them.
_EN_AMBIGUOUS_MONTH = re.compile(r"^(?:may|march|mar|jan|sep|dec|aug)\.?$", re.IGNORECASE)

_FA_NUM_WORDS = _fa_words(_FA_NUMBER_WORDS)
_FA_NUMBER_PHRASE = _FA_NUM_WORDS + r"(?:" + _fa(" و ") + _FA_NUM_WORDS + r"|" + _fa(" ") + _fa_words(_FA_SCALES) + ")*"
_FA_DIGITS = r"\d+(?:[٬,]\d{3})*(?:[٫.]\d+)?"
_FA_MONTH = (
    "(?:"
    + _fa_words(_FA_SOLAR_MONTHS + " " + _FA_GREGORIAN_MONTHS + " " + _FA_LUNAR_MONTHS)
    + ")"
    + "(?:"
    + _fa(" ماه")
    + ")?"
)
_FA_ERA = _fa(r"(?: (?:هجری شمسی|هجری قمری|هجری خورشیدی|شمسی|خورشیدی|قمری|هجری|میلادی|ه\.ش|ه\.ق|ق\.م|م\.|پیش از میلاد|")
_FA_ERA += _fa(r"قبل از میلاد|بعد از میلاد|پس از میلاد))?")
_FA_ORDINAL_WORDS = _fa_words("اول نخست دوم سوم اولین دومین سومین")
_FA_DAY = (
    r"(?:\d{1,2}|(?:"
    + _FA_NUM_WORDS
    + _fa(" و ")
    + r")?"
    + _FA_ORDINAL_WORDS
    + "|"
    + _FA_NUMBER_PHRASE
    + r"(?:م|مین|ام)?)"
)
_FA_REL = _fa_words("آینده گذشته قبل بعد پیش جاری بعدی اخیر آتی پیشین")
_FA_DATE = re.compile(
    _BL
    + "(?:"
    + "|".join(
        [
            # ۲۲ تیر ۱۳۹۹، بیست و سوم اردیبهشت ۱۳۷۴، ۲۳ دی ماه ۱۳۷۱، دوشنبه ۱۵ ژوئن
            r"(?:"
            + _fa_words(_FA_WEEKDAYS)
            + r"[\s,،]+)?"
            + _FA_DAY
            + r"[\s\u200c]*"
            + _FA_MONTH
            + r"(?:[\s\u200c]*(?:"
            + _fa("سال ")
            + r")?\d{1,4})?"
            + _FA_ERA,
            # تیر ۱۳۹۹، اسفند آینده، ماه مارس
            _FA_MONTH + r"[\s\u200c]*(?:\d{3,4}" + _FA_ERA + "|" + _FA_REL + r")",
            _fa("ماه ") + _fa_words(_FA_SOLAR_MONTHS + " " + _FA_GREGORIAN_MONTHS),
            # سال ۱۳۸۰، سال‌های ۱۳۶۲ تا ۱۳۶۴، سال ۵۵۰ پیش از میلاد
            _fa("(?:سال|سالهای|سال‌های|دهه|دهه‌ی|دهه‌های|قرن|قرن‌های|سده|سده‌های) ")
            + r"(?:\d{1,4}|"
            + _FA_NUMBER_PHRASE
            + r"(?:م|مین|ام)?)(?:"
            + _fa(" (?:تا|و) ")
            + r"\d{1,4})?"
            + _FA_ERA,
            # قرن نوزدهم
            _fa("(?:قرن|سده)") + r"[\u0654]?[\s\u200c]+" + _FA_NUM_WORDS + r"(?:م|مین)",
            # ماه گذشته، سال آینده، هفته آینده
            _fa("(?:سال|ماه|هفته|روز|دهه|قرن|فصل|زمستان|تابستان|بهار|پاییز|پائیز) ") + _FA_REL,
            # دو سال پیش، ظرف دو سال
            r"(?:\d+|" + _FA_NUMBER_PHRASE + r")" + _fa(" (?:سال|ماه|هفته|روز|دهه|قرن) (?:پیش|قبل|بعد|دیگر)"),
            _fa("(?:ظرف|طی|در طول|تا) ") + r"(?:\d+|" + _FA_NUMBER_PHRASE + r")" + _fa(" (?:سال|ماه|هفته|روز|دهه)"),
            # دیروز، فردا، امسال، پارسال، weekdays
            _fa_words("دیروز فردا امروز امسال پارسال پریروز پس‌فردا امشب دیشب اکنون"),
            _fa_words(_FA_WEEKDAYS),
            # a bare plausible year: ۱۳۹۹ / 1399 / ۲۰۰۱ (1000-2099), optionally followed by its era
            r"(?:1[0-9]{3}|20[0-9]{2}|[۱١][۰-۹٠-٩]{3}|[۲٢][۰٠][۰-۹٠-٩]{2})" + _FA_ERA,
        ]
    )
    + ")"
    + _BR,
)

# --- NUMBER -----------------------------------------------------------------------------------------------------

_EN_UNIT = (
    r"(?:per\s*cent|percent|percentage\s+points?|%|years?|months?|weeks?|days?|hours?|minutes?|seconds?|people|"
    r"persons?|men|women|children|members|students|soldiers|troops|residents|inhabitants|employees|workers|"
    r"votes|seats|points|goals|games|matches|times|km|kilometres?|kilometers?|miles?|metres?|meters?|feet|ft|"
    r"inches|cm|mm|kg|kilograms?|tons?|tonnes?|pounds?|lb|lbs|acres?|hectares?|square\s+(?:miles|kilometres|"
    r"kilometers|metres|meters|feet)|mph|km/h|degrees?|°[CF]?|dollars?|euros?|pounds|yen|rupees?|cents?|"
    r"barrels?|gallons?|litres?|liters?|species|copies|units|cases|deaths|votes|countries|states|cities|"
    r"languages|books|episodes|albums|songs|stations|schools|universities|hospitals|companies|officers)"
)
_EN_NUMBER = re.compile(
    r"(?:(?:about|around|approximately|nearly|almost|over|more\s+than|less\s+than|fewer\s+than|up\s+to|"
    r"at\s+least|some|roughly)\s+)?"
    r"(?:[$€£¥]\s?)?"
    r"(?:\b\d+(?:,\d{3})*(?:\.\d+)?\b|\b" + _words(_EN_NUMBER_WORDS) + r"\b(?:[\s-]+(?:and\s+)?"
    r"" + _words(_EN_NUMBER_WORDS) + r"\b)*)"
    r"(?:\s*(?:" + _words(_EN_SCALES) + r")\b)?"
    r"(?:\s*(?:" + _EN_UNIT + r")(?![a-z]))?"
    r"(?:\s*(?:to|-|–|and|or)\s*(?:[$€£¥]\s?)?\d+(?:,\d{3})*(?:\.\d+)?(?:\s*(?:" + _words(_EN_SCALES) + r"))?"
    r"(?:\s*(?:" + _EN_UNIT + r")(?![a-z]))?)?",
    _FLAGS,
)
_FA_UNIT = _fa_words(
    "درصد ٪ % نفر سال ماه هفته روز ساعت دقیقه ثانیه کیلومتر کیلومتری متر متری سانتی‌متر میلی‌متر کیلوگرم کیلو "
    "گرم تن دلار ریال تومان یورو پوند بار مرتبه عدد جلد نسخه میلیمتر هکتار درجه مایل فوت کشور شهر استان زبان "
    "گونه رای رأی کرسی گل امتیاز بشکه لیتر مگاوات واحد دستگاه قسمت بخش مورد عنوان فیلم کتاب شعبه شرکت"
)
_FA_NUMBER = re.compile(
    _BL
    + r"(?:"
    + _fa("(?:حدود|حدوداً|حدودا|تقریباً|تقریبا|بیش از|کمتر از|بالغ بر|نزدیک به|بیش‌از) ")
    + r")?(?P<num>"
    + _FA_DIGITS
    + r"[٪%]?|"
    + _FA_NUMBER_PHRASE
    + r")(?:"
    + _fa(" ")
    + _fa_words(_FA_SCALES)
    + r")?(?:[\s\u200c]*"
    + _FA_UNIT
    + r")?"
    + _BR
)
_FA_ORDINAL = re.compile(
    _BL
    + r"(?:"
    + _FA_NUMBER_PHRASE
    + r"(?:مین|م)|"
    + _fa_words("نخستین اولین دومین سومین")
    + r"|\d+(?:مین|م|ام))"
    + _BR
)
# A lone یک / نه / سی is an article, "not" or a common word far more often than a number.
_FA_WEAK_NUMBER = re.compile(_fa(r"^(?:یک|نه|صد|ده|سی)$"))
_EN_WEAK_NUMBER = re.compile(r"^(?:one|half|some\s+one|dozens|hundreds|thousands|millions|billions)$", re.IGNORECASE)

# --- PERSON / PLACE ---------------------------------------------------------------------------------------------

_EN_STOP_CAPITALS = frozenset(
    (
        "the a an this that these those his her its their our my your he she it they we i you in on at of for to "
        "from by with as and but or if when while after before during since although though because however "
        "meanwhile also then there here what who which where why how yes no not many some most all both each "
        "other another such according despite following under over about among between into through against "
        "mr mrs ms dr st prof"
    ).split()
)
_EN_MONTH_WEEKDAY = frozenset(w.lower() for w in (_EN_MONTHS + " " + _EN_WEEKDAYS).split())
_EN_TITLES = (
    "President Prime Minister Mr. Mr Mrs. Mrs Ms. Ms Dr. Dr Prof. Professor Sir Lord Lady King Queen Prince "
    "Princess Emperor Empress Pope Saint St. General Gen. Colonel Col. Captain Capt. Sen. Senator Rep. Governor "
    "Gov. Chancellor Ayatollah Sheikh Imam Minister Secretary Judge Justice Bishop Archbishop Cardinal Duke Count"
)
_EN_TITLE = re.compile(
    r"\b(?:(?:Foreign|Prime|Defence|Defense|Finance|Deputy|Vice|Former|former)\s+)?"
    + r"(?:Minister|President|Secretary)?\s*"
    + "(?:"
    + "|".join(re.escape(t) for t in sorted(_EN_TITLES.split(), key=len, reverse=True))
    + r")\s+(?=[A-Z])"
)
_EN_NAME_WORD = r"(?:[A-Z][\w'’\-]*[\w]|[A-Z]\.|[A-Z])"
_EN_CAPITALISED = re.compile(
    _EN_NAME_WORD
    + r"(?:\s+(?:(?:of|de|del|della|da|di|van|von|der|den|du|la|le|bin|ibn|al|el|the)\s+)?"
    + _EN_NAME_WORD
    + r")*"
)
_EN_PLACE_PREPOSITION = re.compile(
    r"\b(?:in|at|from|to|near|into|across|throughout|outside|inside|around|towards|toward|via|of|between)\s+"
    r"(?:the\s+)?$",
    re.IGNORECASE,
)

_EN_PLACES = frozenset(
    (
        "Afghanistan|Albania|Algeria|Argentina|Armenia|Australia|Austria|Azerbaijan|Bahrain|Bangladesh|Belarus|"
        "Belgium|Bolivia|Bosnia|Brazil|Britain|Bulgaria|Cambodia|Cameroon|Canada|Chile|China|Colombia|Croatia|Cuba|"
        "Cyprus|Czech Republic|Denmark|Egypt|England|Estonia|Ethiopia|Europe|Asia|Africa|America|North America|"
        "South America|Antarctica|Oceania|Finland|France|Georgia|Germany|Ghana|Greece|Hungary|Iceland|India|"
        "Indonesia|Iran|Iraq|Ireland|Israel|Italy|Japan|Jordan|Kazakhstan|Kenya|Korea|North Korea|South Korea|"
        "Kuwait|Kyrgyzstan|Latvia|Lebanon|Libya|Lithuania|Luxembourg|Malaysia|Mexico|Mongolia|Morocco|Myanmar|"
        "Nepal|Netherlands|New Zealand|Nigeria|Norway|Oman|Pakistan|Palestine|Peru|Philippines|Poland|Portugal|"
        "Qatar|Romania|Russia|Saudi Arabia|Scotland|Serbia|Singapore|Slovakia|Slovenia|Somalia|South Africa|Spain|"
        "Sri Lanka|Sudan|Sweden|Switzerland|Syria|Taiwan|Tajikistan|Tanzania|Thailand|Tunisia|Turkey|"
        "Turkmenistan|Uganda|Ukraine|United Arab Emirates|UAE|United Kingdom|UK|United States|US|USA|U.S.|"
        "Uruguay|Uzbekistan|Venezuela|Vietnam|Wales|Yemen|Zimbabwe|Tehran|Moscow|Beijing|Washington|London|Paris|"
        "Berlin|Rome|Madrid|Ankara|Istanbul|Baghdad|Kabul|Islamabad|Delhi|New Delhi|Tokyo|Seoul|Cairo|Riyadh|"
        "Doha|Dubai|Damascus|Beirut|Baku|Yerevan|Tbilisi|Kiev|Kyiv|Vienna|Geneva|Brussels|Amsterdam|Athens|"
        "Warsaw|Prague|Budapest|Stockholm|Oslo|Copenhagen|Helsinki|Lisbon|Dublin|Ottawa|Toronto|Sydney|"
        "Canberra|Mexico City|Havana|Caracas|Brasilia|Buenos Aires|Lima|Santiago|Bogota|Nairobi|Lagos|Tripoli|"
        "Tunis|Algiers|Rabat|Khartoum|Muscat|Sanaa|Kuwait City|Manama|Abu Dhabi|Jerusalem|Gaza|Tel Aviv|Mashhad|"
        "Isfahan|Shiraz|Tabriz|Karaj|Qom|Ahvaz|New York|Los Angeles|Chicago|San Francisco|Boston|Houston|"
        "California|Texas|Florida|Normandy|Hong Kong|Shanghai|Mumbai|Karachi|Lahore|Tashkent|Astana|Minsk"
    ).split("|")
)

_FA_PERSON_TITLES = _fa_words(
    "آقای خانم دکتر مهندس استاد پروفسور رئیس‌جمهور رییس‌جمهور رئیس‌جمهوری ریاست‌جمهوری سخنگوی امام آیت‌الله "
    "آیت‌الله‌العظمی حجت‌الاسلام حجت‌الاسلام‌والمسلمین شاه سلطان ملکه پادشاه سردار سرلشکر سرتیپ ژنرال شیخ حضرت "
    "مدیرعامل نماینده وزیر سفیر معاون رهبر فرمانده صدراعظم نخست‌وزیر شهید مرحوم سید سیّد میرزا حاج حاجی "
    "سرمربی مربی بازیکن خواننده بازیگر نویسنده شاعر کارگردان"
)
# Words that may follow a title and are part of the office, not the name (وزیر امور خارجه، رئیس‌جمهور آمریکا).
_FA_OFFICE_WORDS = _fa_words(
    "امور خارجه اقتصاد کشور دفاع نفت جمهور جمهوری اسلامی ایران آمریکا روسیه فرانسه چین انگلیس آلمان سابق "
    "فعلی وقت پیشین کل مجلس دولت سازمان بانک مرکزی دادگستری ارشاد فرهنگ آموزش پرورش بهداشت درمان علوم "
    "تیم ملی فوتبال باشگاه و"
)
_FA_FIRST_NAMES = _fa_words(
    "محمد علی حسن حسین رضا مهدی احمد محمود مصطفی مرتضی جواد کاظم جعفر ابراهیم اسماعیل یوسف یعقوب موسی عیسی "
    "عباس قاسم هادی صادق باقر کریم رحیم امیر امین مجید سعید حمید وحید فرهاد بهرام بهمن داریوش کوروش سیروس "
    "پرویز فریدون جمشید منوچهر هوشنگ ناصر ابوالقاسم ابوالفضل عبدالله عبدالرضا غلامرضا غلامحسین محمدرضا "
    "محمدجواد محمدعلی علیرضا حمیدرضا حسینعلی اکبر اصغر نادر کامران شاپور اردشیر بابک آرش سهراب رستم فاطمه "
    "زهرا مریم زینب معصومه مهسا سارا لیلا نرگس شیرین پروین فروغ سیمین هانس جان جورج ویلیام توماس چارلز "
    "جیمز رابرت پیتر مایکل دیوید ریچارد هنری ولادیمیر دونالد باراک جو هیلاری آنگلا امانوئل نلسون"
)
_FA_STOP = _fa_words(
    "و در به از که را با این آن برای تا است بود شد کرد گفت می نمی هم نیز یا اما ولی پس چون اگر هر همه خود "
    "او وی ما شما آنها ایشان یک دو سه بر روی زیر پیش پس بعد قبل درباره طی توسط علیه ضد بین میان نزد سوی "
    "است؛ هست بوده شده کرده گفته داشت دارد کند کنند شود شوند خواهد باید رفت آمد داد زد دید خواست "
    "افزود نوشت رسید ماند کرده‌است گفته‌است"
)
_FA_WORD = r"[\u0600-\u06FF][\u0600-\u06FF\u200c]*"
_FA_TITLED_NAME = re.compile(
    _BL
    + _FA_PERSON_TITLES
    + r"(?:[\s\u200c]+"
    + _FA_OFFICE_WORDS
    + _BR
    + r")*[\s\u200c]+(?P<name>(?!"
    + _FA_STOP
    + _BR
    + r")"
    + _FA_WORD
    + r"(?:[\s\u200c]+(?!"
    + _FA_STOP
    + _BR
    + r")"
    + _FA_WORD
    + r")?)"
)
_FA_FIRST_NAME = re.compile(
    _BL + r"(?P<name>(?:" + _FA_FIRST_NAMES + r"[\s\u200c]+)+(?!" + _FA_STOP + _BR + r")" + _FA_WORD + r")" + _BR
)
_FA_QUOTED = re.compile(r"«([^«»\n]{1,40})»")

_FA_PLACES = _fa_words(
    "ایران عراق افغانستان پاکستان ترکیه روسیه چین ژاپن هند هندوستان آمریکا امریکا ایالات‌متحده انگلیس بریتانیا "
    "انگلستان فرانسه آلمان ایتالیا اسپانیا پرتغال سوئد نروژ دانمارک فنلاند هلند بلژیک سوئیس اتریش یونان "
    "لهستان اوکراین بلاروس ارمنستان آذربایجان گرجستان قزاقستان ازبکستان ترکمنستان تاجیکستان قرقیزستان "
    "عربستان کویت قطر بحرین امارات عمان یمن سوریه لبنان اردن فلسطین اسرائیل مصر لیبی تونس الجزایر مراکش "
    "سودان اتیوپی کنیا نیجریه کانادا مکزیک برزیل آرژانتین شیلی پرو کلمبیا ونزوئلا کوبا استرالیا اندونزی "
    "مالزی تایلند ویتنام کره فیلیپین سنگاپور مغولستان اروپا آسیا آفریقا آمریکای‌شمالی آمریکای‌جنوبی اقیانوسیه "
    "تهران مشهد اصفهان شیراز تبریز کرج قم اهواز کرمانشاه رشت کرمان یزد اراک همدان زاهدان ارومیه اردبیل "
    "بندرعباس قزوین زنجان سنندج خرم‌آباد گرگان ساری بوشهر بیرجند ایلام یاسوج شهرکرد سمنان بجنورد کاشان "
    "آبادان خوزستان خراسان فارس گیلان مازندران کردستان لرستان سیستان بلوچستان هرمزگان "
    "مسکو پکن واشنگتن لندن پاریس برلین رم مادرید آنکارا استانبول بغداد کابل اسلام‌آباد دهلی توکیو سئول "
    "قاهره ریاض دوحه دبی دمشق بیروت باکو ایروان تفلیس کی‌یف وین ژنو بروکسل آمستردام آتن ورشو پراگ "
    "بوداپست استکهلم اسلو کپنهاگ هلسینکی لیسبون دوبلین اتاوا تورنتو سیدنی نیویورک لس‌آنجلس شیکاگو "
    "کالیفرنیا تگزاس فلوریدا"
)
_FA_PLACE_PREFIX = _fa_words("شهر شهرستان استان کشور روستای روستا منطقه ایالت جزیره بندر قاره پایتخت بخش دهستان")
# Proper-noun suffixes of Persian place names (…ستان، …آباد، …شهر); common nouns with the same ending are excluded.
_FA_PLACE_SUFFIX_WORD = re.compile(
    _BL
    + r"(?!"
    + _fa_words("بیمارستان دبیرستان دبستان تابستان زمستان داستان دوستان بوستان گلستان شهرستان کوهستان پارلمان")
    + _BR
    + r")[\u0600-\u06FF][\u0600-\u06FF\u200c]*(?:ستان|آباد|[\s\u200c]?آباد|شهر|کده|گرد)"
    + _BR
)
_FA_PLACE = re.compile(
    _BL
    + r"(?:"
    + _FA_PLACE_PREFIX
    + r"[\s\u200c]+(?P<named>(?!"
    + _FA_STOP
    + _BR
    + r")"
    + _FA_WORD
    + r")|(?P<known>"
    + _FA_PLACES
    + r"))"
    + _BR
)
_FA_PLACE_PREPOSITION = re.compile(_fa("(?:در|به|از|تا|نزدیک|اطراف|داخل|خارج از) ") + r"$")

# --- Finders ----------------------------------------------------------------------------------------------------


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sort spans and keep only the longest of overlapping ones (the union of a chain of overlaps)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (text[start].isspace() or text[start] in ",،;:"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",،;:"):
        end -= 1
    return start, end


def _find_dates(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _EN_DATE.finditer(text):
        value = match.group(0)
        if _EN_AMBIGUOUS_MONTH.match(value.strip()):
            # "May" / "March" alone: a date only with a capital and not sentence-verb use ("may be", "march on").
            if not value[:1].isupper() or re.match(r"\s+(?:be|have|not|also|well|to|on)\b", text[match.end() :]):
                continue
        spans.append(_strip_span(text, match.start(), match.end()))
    for match in _FA_DATE.finditer(text):
        spans.append(_strip_span(text, match.start(), match.end()))
    return _merge(spans)


def _find_numbers(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _EN_NUMBER.finditer(text):
        value = match.group(0).strip()
        if not value or _EN_WEAK_NUMBER.match(value):
            continue
        spans.append(_strip_span(text, match.start(), match.end()))
    for match in _FA_NUMBER.finditer(text):
        # A lone یک / نه / ده (an article, "not", "village") counts only with a scale or as a percentage.
        if _FA_WEAK_NUMBER.match(match.group("num")) and not re.search(_fa("درصد|هزار|میلیون|میلیارد"), match.group(0)):
            continue
        spans.append(_strip_span(text, match.start(), match.end()))
    for match in _FA_ORDINAL.finditer(text):
        spans.append(_strip_span(text, match.start(), match.end()))
    return _merge(spans)


def _capitalised_sequences(text: str) -> list[tuple[int, int]]:
    """English capitalised word sequences with leading stopwords, months and weekdays trimmed off."""
    spans = []
    for match in _EN_CAPITALISED.finditer(text):
        words = [(m.start() + match.start(), m.end() + match.start()) for m in re.finditer(r"\S+", match.group(0))]
        while words and (
            text[words[0][0] : words[0][1]].lower().rstrip(".") in _EN_STOP_CAPITALS
            or text[words[0][0] : words[0][1]].lower().rstrip(".") in _EN_MONTH_WEEKDAY
        ):
            words.pop(0)
        while words and (
            text[words[-1][0] : words[-1][1]].lower() in _EN_STOP_CAPITALS
            or text[words[-1][0] : words[-1][1]].lower().rstrip(".") in _EN_MONTH_WEEKDAY
        ):
            words.pop()
        if words:
            start, end = words[0][0], words[-1][1]
            if end - start >= 2:
                spans.append((start, end))
    return spans


_EN_TITLE_WORDS = frozenset(t.rstrip(".").lower() for t in _EN_TITLES.split())


def _after_last_title(text: str, start: int, end: int) -> tuple[int, int]:
    """Cut "Iranian President Hassan Rouhani" to "Hassan Rouhani": titles are evidence, not part of the name."""
    words = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
    cut = 0
    for i, (s, e) in enumerate(words[:-1]):
        if text[s:e].rstrip(".").lower() in _EN_TITLE_WORDS:
            cut = i + 1
    return words[cut][0], end


def _find_persons(text: str) -> list[tuple[int, int]]:
    spans = []
    for start, end in _capitalised_sequences(text):
        if text[start:end] in _EN_PLACES:
            continue
        spans.append(_after_last_title(text, start, end))
    # "President Hassan Rouhani": the name after a title (the title is evidence, not part of the answer).
    for match in _EN_TITLE.finditer(text):
        following = _EN_CAPITALISED.match(text, match.end())
        if following:
            spans.append((following.start(), following.end()))
    for pattern in (_FA_TITLED_NAME, _FA_FIRST_NAME):
        for match in pattern.finditer(text):
            spans.append(_strip_span(text, match.start("name"), match.end("name")))
    for match in _FA_QUOTED.finditer(text):
        inner = match.group(1)
        if 0 < len(inner.split()) <= 4:
            spans.append(_strip_span(text, match.start(1), match.end(1)))
    return _merge(spans)


def _find_places(text: str) -> list[tuple[int, int]]:
    spans = []
    for start, end in _capitalised_sequences(text):
        value = text[start:end]
        if value in _EN_PLACES or _EN_PLACE_PREPOSITION.search(text[max(0, start - 20) : start]):
            spans.append((start, end))
    for match in _FA_PLACE.finditer(text):
        group = "named" if match.group("named") else "known"
        # Keep the prefix word: "شهر مبارکه" is the answer a reader expects, and SQuAD-style gold spans include it.
        spans.append(_strip_span(text, match.start() if group == "named" else match.start(group), match.end(group)))
    for match in _FA_PLACE_SUFFIX_WORD.finditer(text):
        if _FA_PLACE_PREPOSITION.search(text[max(0, match.start() - 12) : match.start()]):
            spans.append(_strip_span(text, match.start(), match.end()))
    return _merge(spans)


_FINDERS: dict[AnswerType, Callable[[str], list[tuple[int, int]]]] = {
    AnswerType.DATE: _find_dates,
    AnswerType.NUMBER: _find_numbers,
    AnswerType.PERSON: _find_persons,
    AnswerType.PLACE: _find_places,
    AnswerType.OTHER: lambda text: [],
}


def find_candidates(text: str, answer_type: AnswerType) -> list[tuple[int, int]]:
    """Find spans of the given answer type in a text.

    DATE: English and Persian dates, years, Solar Hijri / Gregorian / lunar month names, relative dates
    ("next March", "اسفند آینده", "دیروز"), weekdays, decades and centuries. NUMBER: digits (ASCII or Persian)
    and written numbers with scales and units ("$1 billion", "۲۰ درصد", "هزار نفر"). PERSON: English capitalised
    name sequences and names after titles; Persian names after titles (آقای، وزیر، رئیس‌جمهور…), after common
    first names, or in «quotes». PLACE: capitalised names after in/at/from/to, Persian names after در/به/از with a
    place suffix or after شهر/کشور/استان, and a gazetteer of countries and capitals in both languages.
    ``OTHER`` has no typed candidates.

    :param text: any text; the spans index it as given.
    :param answer_type: the type to look for.
    :returns: non-overlapping ``(start, end)`` spans in order of position, stripped of surrounding spaces.
    """
    if not text:
        return []
    return _FINDERS[answer_type](text)
