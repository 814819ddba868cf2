"""Tests for kavosh.text.scripts and kavosh.text.lexicon: one home for scripts, letters, digits and word lists.

The rules moved here from four modules; these tests pin what users see through them (language of an article,
spelling variants that must match, the UI's question test, question classification).
"""

from __future__ import annotations

import re

import pytest

from kavosh.qa.answer_types import AnswerType, classify_question
from kavosh.text import scripts
from kavosh.text.analysis import analyze, embedding_text, normalize_chars
from kavosh.text.lexicon import ENGLISH_MONTHS, PERSIAN_QUESTION_WORDS, PERSIAN_SOLAR_MONTHS


@pytest.mark.parametrize(
    ("text", "lang", "languages"),
    [
        ("پوتین درباره تحریم‌ها چه گفت؟", "fa", {"fa"}),
        ("Putin sanctions", "en", {"en"}),
        ("Putin پوتین و تحریم", "fa", {"en", "fa"}),
        ("2001", "en", {"en", "fa"}),  # no letters: English, but matches in both languages
        ("", "en", {"en", "fa"}),
        ("ﻙﺘﺎﺏ", "fa", {"fa"}),  # presentation forms are Arabic script too
    ],
)
def test_language_of_a_text(text, lang, languages):
    assert scripts.detect_language(text) == lang
    assert scripts.languages_in(text) == languages


def test_arabic_script_tokens_by_their_first_character():
    assert scripts.is_arabic_script("ایران")
    assert scripts.is_arabic_script("ﻙ")
    assert not scripts.is_arabic_script("Iran")
    assert not scripts.is_arabic_script("2001")
    assert re.fullmatch(scripts.arabic_block_class(), "ی") and not re.fullmatch(scripts.arabic_block_class(), "y")


def test_digits_fold_to_ascii_and_arabic_letters_to_persian():
    assert scripts.fold_digits("۱۳۹۹/۰۵/٠١") == "1399/05/01"
    assert scripts.fold_typed_letters("كجا است؟ رأي") == "کجا است؟ رای"
    assert analyze("ايران ۲۰۰۱") == analyze("ایران 2001")  # BM25 sees the same terms
    assert embedding_text("ايران ۲۰۰۱") == "ایران 2001"  # and the embedding model the same text


def test_every_fold_table_agrees_with_the_analysis_fold():
    for table in (scripts.YEH_KAF_MAP, scripts.HEH_MAP, scripts.ALEF_MAP, scripts.TYPED_LETTER_MAP):
        for src, dst in table.items():
            assert normalize_chars(src) == dst
    assert scripts.EMBEDDING_CHAR_MAP.items() <= scripts.CHAR_MAP.items()
    assert all(len(src) == len(dst) == 1 for src, dst in scripts.CHAR_MAP.items())  # offsets stay valid


def test_variant_class_matches_every_spelling_of_a_letter():
    yeh = scripts.variant_class("ی", scripts.YEH_KAF_MAP)
    assert all(re.fullmatch(yeh, c) for c in "یيى")
    assert scripts.variant_class("ب", scripts.YEH_KAF_MAP) == "ب"


@pytest.mark.parametrize(
    ("question", "answer_type"),
    [
        ("When does the Iran–Russia treaty expire?", AnswerType.DATE),
        ("How many people attended?", AnswerType.NUMBER),
        ("Who is the ambassador?", AnswerType.PERSON),
        ("معاهده ایران و روسیه کی تمام می‌شود؟", AnswerType.DATE),
        ("معاهده ايران و روسيه كي تمام مي‌شود؟", AnswerType.DATE),  # Arabic yeh/kaf: same answer
        ("چه کسی رئیس جمهور است؟", AnswerType.PERSON),
        ("چند نفر کشته شدند؟", AnswerType.NUMBER),
    ],
)
def test_question_classification_reads_the_script_and_letter_rules(question, answer_type):
    assert classify_question(question) is answer_type


def test_word_lists():
    assert {"کجا", "چرا", "آیا"} <= PERSIAN_QUESTION_WORDS
    assert len(ENGLISH_MONTHS) == len(PERSIAN_SOLAR_MONTHS) == 12
    assert ENGLISH_MONTHS[8] == ("september", "sep", "sept")
