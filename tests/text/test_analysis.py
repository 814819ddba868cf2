"""Tests for kavosh.text.analysis: the one Persian/English analysis chain shared by every engine."""

from pathlib import Path

import pytest

from kavosh.text import analysis
from kavosh.text.analysis import (
    ANALYSIS_VERSION,
    CHAR_MAP,
    ENGLISH_STOPWORDS,
    PERSIAN_STEM_EXCEPTIONS,
    PERSIAN_STOPWORDS,
    REMOVED_CHARS,
    analyze,
    analyze_with_offsets,
    detect_language,
    embedding_text,
    fold_digits,
    languages_in,
    normalize,
    normalize_chars,
    stem_english,
    stem_persian,
    tokenize,
)

SEEDS_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "seeds"
SEEDS = sorted(SEEDS_DIR.glob("*.txt"))
PERSIAN_SEED = SEEDS_DIR / "001_783e3036fd1b3a4b.txt"
ZWNJ = "\u200c"

needs_seeds = pytest.mark.skipif(not PERSIAN_SEED.exists(), reason="../shared/corpus/seeds is not available")


# --- character normalisation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("علي", "علی"),  # Arabic yeh
        ("مصطفى", "مصطفی"),  # alef maqsura
        ("كتاب", "کتاب"),  # Arabic kaf
        ("مدرسة", "مدرسه"),  # teh marbuta
        ("خانۀ", "خانه"),  # heh with yeh above
        ("ھمه", "همه"),  # heh doachashmee
        ("رأی", "رای"),  # alef with hamza above
        ("إسلام", "اسلام"),  # alef with hamza below
        ("مؤسسه", "موسسه"),  # waw with hamza
        ("رئیس", "رییس"),  # yeh with hamza (رئیس/رییس are both written)
        ("آمریکا", "آمریکا"),  # alef with madda is a letter of its own: kept
        ("كِتَابٌ", "کتاب"),  # harakat removed
        ("خانهٔ", "خانه"),  # hamza above (ezafe) removed
        ("قرآن\u0670", "قرآن"),  # superscript alef removed
        ("کـــتاب", "کتاب"),  # tatweel removed
        ("همکاری\u200cها", "همکاریها"),  # ZWNJ removed: the word is joined
        ("\u200fسلام\u200e \ufeffدنیا\u202b", "سلام دنیا"),  # bidi marks and BOM removed
        ("ﻙﺸﻮﺭ", "کشور"),  # Arabic presentation forms -> base letters
        ("ﻻ", "لا"),  # lam-alef ligature expands
        ("  Iran\u00a0 AND\tRussia \n", "iran and russia"),  # whitespace collapsed, Latin case-folded
        ("۲۰۰۱ و ٢٠٠١", "2001 و 2001"),  # both kinds of digits
    ],
)
def test_normalize_rules(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_normalize_chars_is_length_preserving_and_keeps_removable_marks() -> None:
    text = "كِتَابٌ ـ همکاری\u200cها ۲۰۰۱ مدرسة ﻙ\u200f U.S."
    out = normalize_chars(text)
    assert len(out) == len(text)
    assert out == "کِتَابٌ ـ همکاری\u200cها 2001 مدرسه ک\u200f u.s."


def test_char_map_is_one_to_one_and_removed_chars_are_what_normalize_drops() -> None:
    assert all(len(k) == 1 and len(v) == 1 for k, v in CHAR_MAP.items())
    assert normalize("ک" + REMOVED_CHARS + "ک") == "کک"
    assert normalize_chars(REMOVED_CHARS) == REMOVED_CHARS


def test_fold_digits() -> None:
    text = "سال ۱۳۹۹ و ٢٠٢٠ و 2021"
    assert fold_digits(text) == "سال 1399 و 2020 و 2021"
    assert len(fold_digits(text)) == len(text)


def test_normalize_is_idempotent_and_validates_lang() -> None:
    text = "كِتَابٌ همکاری\u200cها ۲۰۰۱ The U.S."
    assert normalize(normalize(text)) == normalize(text)
    assert normalize(text, lang="fa") == normalize(text, lang="en") == normalize(text)
    with pytest.raises(ValueError, match="'de'"):
        normalize(text, lang="de")
    with pytest.raises(ValueError, match="'de'"):
        analyze(text, lang="de")


# --- tokenisation ----------------------------------------------------------------------------------------------


def test_tokenize_splits_on_persian_and_latin_punctuation_and_hyphens() -> None:
    text = "«تهران-مسکو»، گفتگو؛ آیا؟ COVID-19 (e-mail)"
    assert tokenize(text) == ["تهران", "مسکو", "گفتگو", "آیا", "covid", "19", "e", "mail"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2001", ["2001"]),
        ("3.5", ["3.5"]),
        ("۳٫۵", ["3.5"]),  # Arabic decimal separator
        ("1,000", ["1000"]),
        ("۱٬۰۰۰٬۰۰۰", ["1000000"]),  # Arabic thousands separator
        ("1,000,000.25", ["1000000.25"]),
        ("2001,2002", ["2001", "2002"]),  # not a thousands group: two numbers
        ("in 2001.", ["in", "2001"]),  # sentence full stop is not a decimal point
    ],
)
def test_tokenize_numbers(raw: str, expected: list[str]) -> None:
    assert tokenize(raw) == expected


def test_acronyms_and_possessives() -> None:
    assert analyze("U.S.") == analyze("US") == ["us"]
    assert analyze("Iran's oil") == analyze("Iran’s oil") == ["iran", "oil"]


def test_stdlib_engine_finds_the_spans_of_the_unicode_property_engine() -> None:
    """Text within the BMP goes to a faster stdlib pattern built from the `regex` one; both must agree."""
    samples = [
        "The U.S. said on Monday (3.5%) that 1,000,000 people—about 12% of £2,000—don't e.g. rock'n'roll x².",
        "Café naïve ÆON straße 'quoted' ‘single’ “double” 19th g7 covid19 ½ … a.m. A.Smith 2001,2002 1,0000",
        "كِتَابٌ همکاری\u200cها تـــهران «مسکو»، می گویند ۱٬۰۰۰ ﻙﺸﻮﺭ ﷺ Iranایران ـ \u200c x\u0301y Ⅻ",
    ]
    samples += [p.read_text(encoding="utf-8") for p in SEEDS]
    bmp_span, bmp_pair, _ = analysis._bmp_span_engine()
    ref_span, ref_pair, _ = analysis._SPAN_ENGINE
    for text in samples:
        nct = normalize_chars(text)
        assert bmp_span.findall(nct) == ref_span.findall(nct)
        assert bmp_pair.findall(nct) == ref_pair.findall(nct)


def test_text_beyond_the_bmp_is_analysed_alike() -> None:
    text = "همکاری ها و U.S. sanctions ۲۰۰۱ می گویند"
    assert analyze("😀 " + text + " 𝄞") == analyze(text) == ["همکاری", "us", "sanction", "2001", "گویند"]
    assert [t for t, _, _ in analyze_with_offsets("😀 " + text)] == analyze(text)


# --- stopwords -------------------------------------------------------------------------------------------------


def test_persian_stopwords_are_dropped_and_stored_normalised() -> None:
    assert analyze("این کتاب را به او داده است و در خانه می‌ماند") == ["کتاب", "داده", "خانه", "ماند"]
    assert {"و", "در", "به", "از", "که", "را", "این", "است", "میشود"} <= PERSIAN_STOPWORDS
    assert all(normalize(w) == w for w in PERSIAN_STOPWORDS)
    assert analyze("اين") == analyze("این") == []  # Arabic yeh form is a stopword too


def test_english_stopwords_are_dropped_but_not_news_words() -> None:
    assert analyze("The sanctions on the oil are not new") == ["sanction", "oil", "new"]
    assert {"the", "and", "of", "don't"} <= ENGLISH_STOPWORDS
    assert analyze("US WHO May") == ["us", "who", "may"]  # country, organisation, month


def test_stopwords_of_both_languages_are_dropped_in_a_mixed_query() -> None:
    assert analyze("the تحریم های of Iran در سال 2020") == ["تحریم", "iran", "سال", "2020"]


# --- stemming --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "stem"),
    [("sanctions", "sanction"), ("running", "run"), ("nuclear", "nuclear"), ("talks", "talk"), ("iran's", "iran")],
)
def test_stem_english_snowball(word: str, stem: str) -> None:
    assert stem_english(word) == stem


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("کشورهای", "کشور"),
        ("کشورها", "کشور"),
        ("کشورهایی", "کشور"),
        ("کشورهایشان", "کشور"),
        ("همکاریها", "همکاری"),
        ("مسیولان", "مسیول"),
        ("کودکان", "کودک"),
        ("دانشجویان", "دانشجو"),
        ("نمایندگان", "نماینده"),
        ("انتخابات", "انتخاب"),
        ("بزرگترین", "بزرگ"),
        ("بزرگترها", "بزرگ"),
        ("بهترین", "بهتر"),  # not به, which is a stopword
        ("آمریکایی", "آمریکا"),
        ("آقای", "آقا"),
        ("کشورشان", "کشور"),
        ("خانهاش", "خانه"),
        ("ایرانی", "ایرانی"),  # -ی after a consonant is left alone
        ("همکاری", "همکاری"),
    ],
)
def test_stem_persian_suffixes(word: str, stem: str) -> None:
    assert stem_persian(word) == stem


@pytest.mark.parametrize(
    "word",
    ["ایران", "تهران", "روسیه", "جهان", "زمان", "سازمان", "میدان", "پاکستان", "دختر", "دفتر", "ملاقات", "تنها", "رای"],
)
def test_stem_persian_leaves_lookalikes_alone(word: str) -> None:
    assert stem_persian(word) == word


def test_stem_persian_exceptions_survive_a_plural() -> None:
    assert stem_persian("ایرانها") == "ایران"
    assert stem_persian("سازمانهای") == "سازمان"
    assert stem_persian("دختران") == "دختر"
    assert all(normalize(w) == w for w in PERSIAN_STEM_EXCEPTIONS)


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("میگویند", "گویند"),
        ("نمیتوان", "توان"),
        ("میشناسم", "شناسم"),
        ("میگفت", "گفت"),
        ("میز", "میز"),  # a noun: too short to be می + verb
        ("میلیارد", "میلیارد"),
        ("میزان", "میزان"),
        ("میوه", "میوه"),
    ],
)
def test_stem_persian_verb_prefix(word: str, stem: str) -> None:
    assert stem_persian(word) == stem


# --- the analysis chain ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "forms",
    [
        ["همکاری\u200cها", "همکاریها", "همکاری ها"],
        ["تحریم\u200cها", "تحریمها", "تحریم ها", "تحریم"],
        ["می\u200cگویند", "میگویند", "می گویند"],
        ["نمی\u200cتوان", "نمیتوان", "نمی توان"],
        ["کشورهای", "کشور\u200cهای", "کشور های", "کشور"],
        ["بزرگ\u200cترین", "بزرگترین", "بزرگ ترین", "بزرگ"],
        ["خانه\u200cاش", "خانهاش", "خانه اش", "خانه"],
        ["منطقه\u200cای", "منطقهای", "منطقه ای"],  # -ای: the detached form must be glued to match the others
        ["جوان\u200cها", "جوانها", "جوان ها", "جوان"],
    ],
)
def test_zwnj_present_missing_or_a_space_give_the_same_terms(forms: list[str]) -> None:
    results = [analyze(f) for f in forms]
    assert len(results[0]) == 1
    assert all(r == results[0] for r in results), dict(zip(forms, results, strict=True))


def test_detached_suffix_is_glued_only_when_it_is_a_whole_word_after_a_space() -> None:
    assert analyze("همکاری هاشمی") == ["همکاری", "هاشمی"]  # هاشمی is a name, not -ها
    assert analyze("همکاری، ها") == ["همکاری"]  # punctuation between: not glued, ها alone is dropped
    assert analyze("کتاب ای") == ["کتاب"]  # -ای only after ه/ی
    assert analyze("می") == analyze("ها") == []


def test_hamshahri_style_arabic_letters_and_spacing_match_modern_persian() -> None:
    hamshahri = "مسئولان كشورهاي منطقه مي گويند همكاري ها ادامه دارد"
    modern = "مسئولان کشورهای منطقه می‌گویند همکاری‌ها ادامه دارد"
    assert analyze(hamshahri) == analyze(modern)
    assert analyze("كشور") == analyze("کشور") == ["کشور"]
    assert analyze("ياري اش") == analyze("یاری\u200cاش") == analyze("یاری")


def test_digits_of_every_kind_analyse_to_ascii() -> None:
    assert analyze("۲۰۰۱") == analyze("٢٠٠١") == analyze("2001") == ["2001"]


# --- language detection ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Russia and Iran discussed sanctions.", "en"),
        ("روحانی توسعه همکاری‌های ایران و روسیه را ضروری خواند.", "fa"),
        ("رئیس جمهور Vladimir Putin در تماس تلفنی با روحانی گفت", "fa"),  # mostly Persian
        ("The word تحریم means sanction in Persian.", "en"),  # mostly English
        ("", "en"),
        ("۱۲۳ 456 ... !!", "en"),  # digits and punctuation are not letters
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_detect_language_looks_only_at_the_beginning() -> None:
    assert detect_language("news " * 2000 + "خبر " * 100_000) == "en"


# --- offsets ---------------------------------------------------------------------------------------------------


def test_offsets_cover_the_surface_word_with_diacritics_zwnj_and_tatweel() -> None:
    text = "كِتَابٌ و همکاری\u200cها در تـــهران، می گویند U.S. ۲۰۰۱"
    got = [(term, text[start:end]) for term, start, end in analyze_with_offsets(text)]
    assert got == [
        ("کتاب", "كِتَابٌ"),
        ("همکاری", "همکاری\u200cها"),
        ("تهران", "تـــهران"),
        ("گویند", "می گویند"),
        ("us", "U.S."),
        ("2001", "۲۰۰۱"),
    ]


@needs_seeds
@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name)
def test_analyze_equals_the_terms_of_analyze_with_offsets_on_seed_articles(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    with_offsets = analyze_with_offsets(text)
    assert analyze(text) == [term for term, _, _ in with_offsets]
    assert len(with_offsets) > 100
    for term, start, end in with_offsets:
        assert 0 <= start < end <= len(text)
        surface = normalize(text[start:end])
        assert surface, (term, start, end)


@needs_seeds
def test_persian_seed_without_zwnj_matches_queries_written_with_zwnj() -> None:
    article_terms = set(analyze(PERSIAN_SEED.read_text(encoding="utf-8")))
    assert "همکاریها" in PERSIAN_SEED.read_text(encoding="utf-8")  # the seed has lost its ZWNJs
    for query in ["همکاری\u200cها", "تحریم\u200cهای", "می\u200cگویند", "کشورهای", "پروتکل\u200cهای بهداشتی"]:
        terms = analyze(query)
        assert terms and set(terms) <= article_terms, (query, terms)
    assert "ایران" in article_terms and "روسیه" in article_terms


def test_analysis_version_is_recorded() -> None:
    assert isinstance(ANALYSIS_VERSION, str) and ANALYSIS_VERSION


def test_embedding_text_folds_only_letter_and_digit_variants():
    text = "Iran’s كتاب ي ى ۱۴۰۲ ٢٠٢٣ می‌شود Ã"
    folded = embedding_text(text)
    assert folded == "Iran’s کتاب ی ی 1402 2023 می‌شود Ã"  # ZWNJ, case, apostrophe and accents untouched
    assert len(folded) == len(text)
    assert embedding_text("plain English") == "plain English"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Putin sanctions", {"en"}),
        ("تحریم‌ها ۱۴۰۲", {"fa"}),
        ("Putin تحریم", {"en", "fa"}),
        ("2024 ۱۴۰۲ ?", {"en", "fa"}),
        ("", {"en", "fa"}),
    ],
)
def test_languages_in_follows_the_scripts_of_the_letters(text, expected):
    assert languages_in(text) == expected


def test_a_short_query_does_not_build_the_stdlib_engine() -> None:
    """A one-shot search analyses a few words: it must not pay for building the stdlib patterns (~0.2 s)."""
    import subprocess
    import sys

    code = (
        "from kavosh.text import analysis as a\n"
        "print(a.analyze('Iran Russia treaty'), a._bmp_span_engine.cache_info().currsize)\n"
        "print(len(a.analyze('Iran and Russia signed the treaty. ' * 100)), a._bmp_span_engine.cache_info().currsize)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["['iran', 'russia', 'treati'] 0", "400 1"]


class TestMatchedSpans:
    TEXT = "Putin called US sanctions a violation; همکاریها و تحریم‌های آمريكا در سال ۲۰۲۰ ادامه یافت."

    def spans(self, query: str) -> list[str]:
        from kavosh.text.analysis import matched_spans

        return [self.TEXT[s:e] for s, e in matched_spans(query, self.TEXT)]

    def test_stems_and_persian_variants_match_as_in_search(self):
        assert self.spans("sanction Putin") == ["Putin", "sanctions"]
        # ZWNJ written as a space or missing, Persian vs Arabic yeh/kaf, Persian vs ASCII digits
        assert self.spans("تحریم های آمریکا") == ["تحریم‌های آمريكا"]
        assert self.spans("همکاری‌ها 2020") == ["همکاریها", "۲۰۲۰"]

    def test_stopwords_and_unmatched_words_are_not_marked(self):
        assert self.spans("the a and در و") == []
        assert self.spans("Moscow") == []
