"""Translations through gettext catalogues: what is shown, and what falls back."""

import io

import pytest

from chatsurvey.engine.catalogue import (
    EMPTY,
    Catalogue,
    Entry,
    Texts,
    context,
    messages_from_data,
    split_key,
    system_messages,
    text_direction,
)
from chatsurvey.engine.model import Message
from tests.helpers import FIXTURE_FLOWS

PO = b'''
msgid ""
msgstr ""
"Language: cy\\n"

msgctxt "f:hello"
msgid "Hello"
msgstr "Helo"

#, fuzzy
msgctxt "f:review"
msgid "Needs review"
msgstr "Angen adolygu"

#, fuzzy
#| msgid "Old English"
msgctxt "f:changed"
msgid "New English"
msgstr "Hen Gymraeg"

#, fuzzy
#| msgctxt "f:old_key"
#| msgid "The same "
#| "English"
msgctxt "f:moved"
msgid "The same English"
msgstr "Yr un Saesneg"

msgctxt "f:stale"
msgid "Different source"
msgstr "Rhywbeth"

msgctxt "f:empty"
msgid "Empty"
msgstr ""

msgid "no context"
msgstr "dim cyd-destun"

msgctxt "f:plural"
msgid "one"
msgid_plural "many"
msgstr[0] "un"
msgstr[1] "llawer"
'''


@pytest.fixture
def catalogue():
    return Catalogue({"cy": Catalogue.read(io.BytesIO(PO))})


def test_status_and_translation(catalogue):
    assert catalogue.status("cy", "f:hello", "Hello") == "translated"
    assert catalogue.translate("cy", "f:hello", "Hello") == "Helo"
    # Marked fuzzy by a translator (awaiting native review): shown.
    assert catalogue.status("cy", "f:review", "Needs review") == "fuzzy"
    assert catalogue.translate("cy", "f:review", "Needs review") == "Angen adolygu"
    # Marked fuzzy by msgmerge because the English changed: not shown.
    assert catalogue.status("cy", "f:changed", "New English") == "outdated"
    assert catalogue.translate("cy", "f:changed", "New English") is None
    # The same English under a new key (its previous msgid is its msgid): shown, for review.
    assert catalogue.status("cy", "f:moved", "The same English") == "fuzzy"
    assert catalogue.translate("cy", "f:moved", "The same English") == "Yr un Saesneg"
    # The English in the flow moved on since the catalogue was made.
    assert catalogue.status("cy", "f:stale", "Something new") == "outdated"
    assert catalogue.status("cy", "f:empty", "Empty") == "missing"
    assert catalogue.status("cy", "f:nothing", "x") == "missing"
    assert catalogue.status("gd", "f:hello", "Hello") == "missing"
    assert catalogue.locales() == ["cy"]


def test_entries_without_context_or_plurals_are_ignored(catalogue):
    table = Catalogue.read(io.BytesIO(PO))
    assert "f:plural" not in table
    assert all(isinstance(e, Entry) for e in table.values())


def test_a_flow_version_keeps_its_own_translated_entries_as_data(catalogue):
    """What a flow version stores: its owners' translated entries in its locales, flags kept."""
    both = Catalogue({"cy": {**Catalogue.read(io.BytesIO(PO)),
                             "system:ended": Entry("Bye", "Hwyl", False, False),
                             "other:hello": Entry("Hello", "Helo arall", False, False)},
                      "gd": {"f:hello": Entry("Hello", "Halò", False, False)}})
    data = both.as_data({"f", "system"}, ["cy", "ar"])
    assert list(data) == ["cy"]
    assert data["cy"] == {
        "f:changed": {"id": "New English", "str": "Hen Gymraeg", "fuzzy": True, "outdated": True},
        "f:hello": {"id": "Hello", "str": "Helo"},
        "f:moved": {"id": "The same English", "str": "Yr un Saesneg", "fuzzy": True},
        "f:review": {"id": "Needs review", "str": "Angen adolygu", "fuzzy": True},
        "f:stale": {"id": "Different source", "str": "Rhywbeth"},
        "system:ended": {"id": "Bye", "str": "Hwyl"}}
    again = Catalogue.from_data(data)
    for ctx, source in (("f:hello", "Hello"), ("f:review", "Needs review"),
                        ("f:changed", "New English"), ("system:ended", "Bye")):
        assert again.status("cy", ctx, source) == both.status("cy", ctx, source)
        assert again.translate("cy", ctx, source) == both.translate("cy", ctx, source)
    assert again.translate("cy", "other:hello", "Hello") is None
    more = again.extended({"cy": {"f:hello": {"id": "Hello", "str": "Shwmae"}},
                           "gd": {"f:new": {"id": "New", "str": "Ùr"}}})
    assert more.translate("cy", "f:hello", "Hello") == "Shwmae"
    assert more.translate("cy", "f:review", "Needs review") == "Angen adolygu"
    assert more.translate("gd", "f:new", "New") == "Ùr"
    assert again.translate("cy", "f:hello", "Hello") == "Helo"  # the original is unchanged


def test_from_directory_reads_each_locale():
    catalogue = Catalogue.from_directory(FIXTURE_FLOWS / "locales")
    assert catalogue.locales() == ["ar", "cy"]
    assert Catalogue.from_directory(FIXTURE_FLOWS / "nowhere").locales() == []


def test_keys_and_contexts():
    assert context("pets", "dog") == "pets:dog"
    assert context("pets", "dog", "sms") == "pets:dog#sms"
    assert split_key("system:opt.yes") == ("system", "opt.yes")
    assert text_direction("ar") == "rtl" and text_direction("cy") == "ltr"
    assert text_direction("fa_IR") == "rtl"


def test_messages_from_data():
    messages = messages_from_data({"a": "A", "b": {"text": "B", "sms": "b", "synonyms": [1, "x"]}})
    assert messages["a"] == Message("A")
    assert messages["b"].synonyms == ("1", "x") and messages["b"].variant("sms") == "b"
    assert messages["b"].variant("web") == "B" and messages["b"].variant_name("web") is None
    assert messages_from_data(None) == {}


def test_system_messages_cover_every_built_in_label():
    keys = system_messages()
    for key in ("progress", "invalid", "help", "cmd.skip", "cmd.stop", "opt.yes", "face.5",
                "opt.often_always", "numbers", "and", "skip"):
        assert key in keys


def test_texts_fall_back_per_channel_and_language():
    catalogue = Catalogue({"cy": {
        "f:a": Entry("Long A", "A hir", False, False),
        "f:b#sms": Entry("short b", "b byr", False, False),
        "f:c": Entry("C", "C cy", False, False),
    }})
    texts = Texts("f", messages_from_data({
        "a": {"text": "Long A", "sms": "short a"},
        "b": {"text": "Long B", "sms": "short b"},
        "c": {"text": "C", "web": "C web"},
    }), "en", catalogue)
    # No Welsh for the SMS wording: the Welsh long text beats English.
    assert texts.text_lang("f:a", "cy", "sms") == ("A hir", "cy")
    assert texts.text_lang("f:b", "cy", "sms") == ("b byr", "cy")
    assert texts.text_lang("f:b", "cy", "web") == ("Long B", "en")
    assert texts.text_lang("f:c", "cy", "web") == ("C cy", "cy")
    assert texts.text("f:a", "en", "sms") == "short a"
    assert texts.text("system:opt.yes", "cy", "web") == "Yes"
    # Cached: the same object comes back.
    assert texts.text("f:a", "cy", "sms") is texts.text("f:a", "cy", "sms")


def test_words_include_both_languages_and_translated_synonyms():
    catalogue = Catalogue({"cy": {
        "f:dog": Entry("Dog", "Ci", False, False),
        "f:dog#synonyms": Entry("doggy|puppy", "cwn| |ci bach", False, False),
    }})
    texts = Texts("f", messages_from_data({"dog": {"text": "Dog", "synonyms": ["doggy", "puppy"]},
                                           "cat": "Cat"}), "en", catalogue)
    assert texts.words("f:dog", "cy") == ("Dog", "doggy", "puppy", "Ci", "cwn", "ci bach")
    assert texts.words("f:dog", "en") == ("Dog", "doggy", "puppy")
    assert texts.words("f:cat", "cy") == ("Cat", "Cat")
    assert texts.words("f:dog", "cy") is texts.words("f:dog", "cy")
    assert EMPTY.locales() == []
