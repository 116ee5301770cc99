"""The language registry: one place for every language's code, names, direction and keywords."""

from __future__ import annotations

import pytest
from babel import Locale

from chatsurvey.engine.languages import (
    BY_CODE,
    CODES,
    LANGUAGES,
    babel_locale,
    by_keyword,
    fold,
    text_direction,
)

RTL = {"ar", "fa", "ps", "prs", "ckb"}


def test_the_registry_has_the_languages_of_young_people_in_care():
    assert CODES == ("en", "cy", "gd", "ar", "fa", "ps", "prs", "ti", "ckb", "vi", "sq")


@pytest.mark.parametrize("language", LANGUAGES, ids=CODES)
def test_each_language_has_its_own_name_direction_and_a_babel_locale(language):
    assert language.native and language.english and language.keyword.isupper()
    assert language.direction == ("rtl" if language.code in RTL else "ltr")
    assert text_direction(language.code) == language.direction
    locale = Locale.parse(language.babel)  # raises if Babel does not know it
    assert locale.text_direction == language.direction
    if language.code not in ("en", "vi", "sq", "cy", "gd"):  # Latin script: the name is ASCII-ish
        assert not language.native.isascii(), "its own name is in its own script"


def test_dari_uses_the_persian_of_afghanistan_where_babel_has_no_dari():
    assert babel_locale("prs") == "fa_AF"
    assert Locale.parse("fa_AF").territory == "AF"
    assert babel_locale("ar") == "ar" and babel_locale("xx") == "xx"


def test_a_region_or_an_unknown_language_still_gets_a_direction():
    assert text_direction("fa_IR") == "rtl" and text_direction("he") == "rtl"
    assert text_direction("fr") == "ltr"


@pytest.mark.parametrize(("typed", "code"), [
    ("AR", "ar"), ("ar", "ar"), (" Ar. ".strip(" ."), "ar"), ("عربي", "ar"), ("العربية", "ar"),
    ("FA", "fa"), ("فارسی", "fa"), ("فارسي", "fa"),  # Arabic yeh typed for Persian ye
    ("DARI", "prs"), ("دری", "prs"), ("PS", "ps"), ("پښتو", "ps"), ("KU", "ckb"),
    ("kurdi", "ckb"), ("TI", "ti"), ("ትግርኛ", "ti"), ("VI", "vi"), ("tiếng việt", "vi"),
    ("TIENG  VIET", "vi"), ("shqip", "sq"), ("CY", "cy"), ("GAIDHLIG", "gd"), ("en", "en"),
])
def test_a_language_is_chosen_by_its_keyword_however_it_is_typed(typed, code):
    found = by_keyword(typed)
    assert found is not None and found.code == code


def test_a_keyword_chooses_only_a_language_the_council_offers():
    assert by_keyword("AR", ["en", "cy"]) is None
    assert by_keyword("AR", ["en", "ar"]) is BY_CODE["ar"]
    assert by_keyword("yes") is None and by_keyword("") is None and by_keyword("ARA") is None


def test_fold_drops_case_accents_and_letter_variants():
    assert fold("DỪNG") == fold("dừng") == "dung"
    assert fold("Đi") == "di"
    assert fold("كردي") == fold("کردی")


def test_page_words_awaiting_review_are_shown_and_outdated_ones_are_not(tmp_path):
    from chatsurvey.i18n import PageText

    folder = tmp_path / "fa" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "web.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#, fuzzy\nmsgid "Send"\nmsgstr "فرستادن"\n\n'
        '#, fuzzy\n#| msgid "Leave"\nmsgid "Quick exit"\nmsgstr "برو"\n\n'
        'msgid "Start"\nmsgstr "شروع"\n', "utf-8")
    text = PageText(str(tmp_path), "fa")
    assert text("Send") == "فرستادن"  # a translator's draft, awaiting a native speaker's review
    assert text("Start") == "شروع"
    assert text("Quick exit") == "Quick exit"  # its English changed since: not shown


@pytest.mark.parametrize("code", ["ar", "fa", "ps", "prs", "cy", "gd"])
def test_the_chat_page_and_sms_words_are_complete_and_awaiting_review(code):
    import io

    from babel.messages.pofile import read_po

    from chatsurvey.texts import CATALOGUES

    def read(path):
        return [m for m in read_po(io.BytesIO(path.read_bytes())) if m.id]

    for domain in ("web", "sms"):
        template = {m.id for m in read(CATALOGUES / f"{domain}.pot")}
        entries = read(CATALOGUES / code / "LC_MESSAGES" / f"{domain}.po")
        assert {m.id for m in entries} == template
        assert all(m.string and m.fuzzy for m in entries), f"{code} {domain}: not all done"


def test_a_word_typed_with_accents_must_be_that_word():
    from chatsurvey.engine.languages import WordTable

    table = WordTable({"dừng": "stop", "đúng": "right"})
    assert table.get("DỪNG") == "stop" and table.get("dung") == "stop"  # no accents: any
    assert table.get("đúng") == "right" and table.get("dùng") is None  # accents: exact
    assert table.get("تَوَقَّف") is None and WordTable([("توقف", "stop")]).get("تَوَقَّف") == "stop"
    both = WordTable([("بس", "fa"), ("بس", "ps"), ("بس", "fa")])
    assert both.all("بس") == ["fa", "ps"] and both.all("نه") == []
