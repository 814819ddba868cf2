import pytest

from kavosh.qa.answer_types import AnswerType, classify_question, find_candidates


def _found(text: str, answer_type: AnswerType) -> list[str]:
    return [text[start:end] for start, end in find_candidates(text, answer_type)]


class TestAnswerTypeFromStr:
    def test_parses_names_case_insensitively(self):
        assert AnswerType.from_str("DATE") is AnswerType.DATE
        assert AnswerType.from_str(" person ") is AnswerType.PERSON
        assert AnswerType.from_str("entity") is AnswerType.OTHER

    def test_unknown_name_lists_valid_values(self):
        with pytest.raises(ValueError, match="date, number, person, place, other"):
            AnswerType.from_str("colour")


class TestClassifyQuestion:
    @pytest.mark.parametrize(
        ("question", "expected"),
        [
            ("When does the Iran–Russia treaty expire?", AnswerType.DATE),
            ("In what year did the Normans arrive?", AnswerType.DATE),
            ("What day of the week is the debate held?", AnswerType.DATE),
            ("How many soldiers were in each Tumen?", AnswerType.NUMBER),
            ("What percentage of the population was Jewish?", AnswerType.NUMBER),
            ("How long did the siege last?", AnswerType.NUMBER),
            ("Who was the Norse leader?", AnswerType.PERSON),
            ("From whom did the Huguenots purchase the land?", AnswerType.PERSON),
            ("Where did Zarif travel?", AnswerType.PLACE),
            ("In what country is Normandy located?", AnswerType.PLACE),
            ("What did Putin say about sanctions?", AnswerType.OTHER),
            # "when" as a conjunction inside a what-question does not make it a date question
            ("What is the resultant force called when two forces act on a particle?", AnswerType.OTHER),
            ("Who ruled in what year?", AnswerType.PERSON),
        ],
    )
    def test_english(self, question, expected):
        assert classify_question(question) is expected

    @pytest.mark.parametrize(
        ("question", "expected"),
        [
            ("فولاد مبارکه در چه سالی احداث شد؟", AnswerType.DATE),
            ("جشنواره فیلم تهران چه زمانی تعطیل شد؟", AnswerType.DATE),
            ("مصرف آب فولاد مبارکه چقدر است؟", AnswerType.NUMBER),
            ("فولاد مبارکه چند بار برنده جایزه شد؟", AnswerType.NUMBER),
            ("چند درصد مردم رأی دادند؟", AnswerType.NUMBER),
            ("چه کسی زئوس را نجات داد؟", AnswerType.PERSON),
            ("شرکت فولاد مبارکه در کجا واقع شده است", AnswerType.PLACE),
            ("هند با کدام کشور همسایه است؟", AnswerType.PLACE),
            ("بزرگ‌ترین مجموعه تولید فولاد ایران چیست؟", AnswerType.OTHER),
            ("کدام دانشگاه‌ها رشته مترجمی دارند؟", AnswerType.OTHER),
            # Arabic yeh/kaf spellings are the same question
            ("چه كسي زئوس را نجات داد؟", AnswerType.PERSON),
        ],
    )
    def test_persian(self, question, expected):
        assert classify_question(question) is expected

    @pytest.mark.parametrize(
        ("question", "expected"),
        [
            # colloquial کی: "when" after a subject with an intransitive/passive verb
            ("معاهده ایران و روسیه کی تمام می‌شود؟", AnswerType.DATE),
            ("ورزش تنیس کی وارد ایران شد؟", AnswerType.DATE),
            # ... and "who" at the start, after a preposition or object marker, or before a copula
            ("کی اولین بار از جعبه سیاه استفاده کرد؟", AnswerType.PERSON),
            ("والیبال توسط کی ساخته شد؟", AnswerType.PERSON),
            ("فرودگاه مهرآباد رو کی ساخت؟", AnswerType.PERSON),
            ("اولین رییس فیفا کی بود؟", AnswerType.PERSON),
            ("مدیر فیفا کیه؟", AnswerType.PERSON),
        ],
    )
    def test_persian_ki_is_who_or_when(self, question, expected):
        assert classify_question(question) is expected


class TestDates:
    def test_english_dates(self):
        text = (
            "The treaty will end next March. It was prepared in March 2001, signed on 22 July 2020 and again on "
            "July 22. In the 1990s it lapsed; talks resume tomorrow, next year or within two years, on Tuesday."
        )
        found = _found(text, AnswerType.DATE)
        for expected in ["next March", "March 2001", "22 July 2020", "July 22", "the 1990s", "tomorrow", "next year"]:
            assert expected in found
        assert "within two years" in found
        assert "Tuesday" in found

    def test_modal_may_is_not_a_date(self):
        assert _found("Officials may be asked to resign.", AnswerType.DATE) == []

    def test_centuries(self):
        assert _found("The Normans lived in the 10th and 11th centuries.", AnswerType.DATE) == [
            "the 10th and 11th centuries"
        ]

    def test_persian_dates(self):
        text = "معاهده در اسفند آینده تمام می‌شود. قرارداد در ۲۲ تیر ۱۳۹۹ امضا شد و سال ۱۳۸۰ آغاز شد."
        found = _found(text, AnswerType.DATE)
        assert "اسفند آینده" in found
        assert "۲۲ تیر ۱۳۹۹" in found
        assert "سال ۱۳۸۰" in found

    def test_persian_years_in_both_digit_sets(self):
        assert _found("این اتفاق در ۱۳۹۹ رخ داد.", AnswerType.DATE) == ["۱۳۹۹"]
        assert _found("این اتفاق در 1399 رخ داد.", AnswerType.DATE) == ["1399"]
        assert _found("در ۲۰۰۱ امضا شد.", AnswerType.DATE) == ["۲۰۰۱"]

    def test_persian_relative_dates_and_weekdays(self):
        found = _found("دیروز گفت ماه گذشته و هفته آینده، فردا و سه‌شنبه جلسه است.", AnswerType.DATE)
        assert found == ["دیروز", "ماه گذشته", "هفته آینده", "فردا", "سه‌شنبه"]

    def test_persian_written_day_and_gregorian_month(self):
        found = _found("او در بیست و سوم اردیبهشت ۱۳۷۴ ازدواج کرد و دوشنبه ۱۵ ژوئن بازگشت.", AnswerType.DATE)
        assert found == ["بیست و سوم اردیبهشت ۱۳۷۴", "دوشنبه ۱۵ ژوئن"]

    def test_month_word_used_as_common_noun_is_not_a_date(self):
        # تیر is also "arrow": without a day, year or modifier it is not a date
        assert _found("تیر به هدف خورد.", AnswerType.DATE) == []


class TestNumbers:
    def test_english_quantities(self):
        text = "It lasted 20 years and five years; 3.5 percent of $1 billion went to about 10,000 soldiers."
        assert _found(text, AnswerType.NUMBER) == [
            "20 years",
            "five years",
            "3.5 percent",
            "$1 billion",
            "about 10,000 soldiers",
        ]

    def test_persian_quantities(self):
        text = "۲۰ درصد مردم و هزار نفر در بیست و پنج سال ۳۵ کیلومتر راه رفتند و ۱٫۵٪ ماند."
        assert _found(text, AnswerType.NUMBER) == ["۲۰ درصد", "هزار نفر", "بیست و پنج سال", "۳۵ کیلومتر", "۱٫۵٪"]

    def test_persian_article_yek_is_not_a_number(self):
        assert _found("او یک کتاب نوشت.", AnswerType.NUMBER) == []


class TestPersons:
    def test_english_names_without_titles_or_sentence_initial_words(self):
        text = "In July, Iranian President Hassan Rouhani wrote to Mr. Smith. The Normans were led by Rollo."
        assert _found(text, AnswerType.PERSON) == ["Hassan Rouhani", "Smith", "Normans", "Rollo"]

    def test_persian_names_after_titles_first_names_and_quotes(self):
        text = "رئیس جمهور حسن روحانی گفت وزیر امور خارجه ظریف رفت. جواد خیابانی دختری به نام «نگار» دارد."
        found = _found(text, AnswerType.PERSON)
        assert "حسن روحانی" in found
        assert "ظریف" in found
        assert "جواد خیابانی" in found
        assert "نگار" in found


class TestPlaces:
    def test_english_places(self):
        text = "In July, the Normans came from Denmark. When he arrived in Moscow, Tehran was silent."
        assert _found(text, AnswerType.PLACE) == ["Denmark", "Moscow", "Tehran"]

    def test_persian_places(self):
        text = "شرکت فولاد در شرق شهر مبارکه قرار دارد و از خرم‌آباد به تهران رفت و در بیمارستان ماند."
        assert _found(text, AnswerType.PLACE) == ["شهر مبارکه", "خرم‌آباد", "تهران"]


def test_other_and_empty_text_have_no_candidates():
    assert find_candidates("Anything at all in 2001.", AnswerType.OTHER) == []
    assert find_candidates("", AnswerType.DATE) == []


def test_spans_index_the_text_as_given():
    text = "Zarif said the treaty will end next March."
    (span,) = find_candidates(text, AnswerType.DATE)
    assert text[span[0] : span[1]] == "next March"
