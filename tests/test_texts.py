"""What chatsurvey itself texts comes from gettext catalogues (domain "sms"), in every language.

The webhook's keyword replies and the invitations are looked up in
chatsurvey/locales/<locale>/LC_MESSAGES/sms.po: change the catalogue and the text
changes; the template matches the code (`make locales`); Welsh and Gaelic have
every sentence, marked as awaiting a native speaker's review.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from chatsurvey import texts
from chatsurvey.councils.models import Tenant

LOCALES = Path(texts.__file__).parent / "locales"


def _read(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


@pytest.fixture
def catalogues(tmp_path, monkeypatch):
    """A copy of the catalogues to change, used in place of the real ones."""
    copy = tmp_path / "locales"
    shutil.copytree(LOCALES, copy)
    monkeypatch.setattr(texts, "CATALOGUES", copy)
    yield copy
    texts.catalogue.cache_clear()


def _rewrite(catalogues: Path, locale: str, text: texts.Text, **changes) -> None:
    path = catalogues / locale / "LC_MESSAGES" / "sms.po"
    catalogue = _read(path)
    entry = catalogue.get(text.english, context=text.context)
    for name, value in changes.items():
        setattr(entry, name, value)
    with path.open("wb") as handle:
        write_po(handle, catalogue, width=0, include_previous=True)
    texts.catalogue.cache_clear()


def test_the_template_holds_every_sentence_the_code_sends():
    template = {(m.context, m.id) for m in _read(LOCALES / "sms.pot") if m.id}
    assert template == {(t.context, t.english) for t in texts.MESSAGES}


@pytest.mark.parametrize("locale", ["cy", "gd"])
def test_welsh_and_gaelic_have_every_sentence_awaiting_review(locale):
    catalogue = _read(LOCALES / locale / "LC_MESSAGES" / "sms.po")
    for text in texts.MESSAGES:
        entry = catalogue.get(text.english, context=text.context)
        assert entry is not None and entry.string, (locale, text)
        assert entry.fuzzy, "marked for a native speaker's review"
        assert texts.catalogue(LOCALES).status(locale, text.context, text.english) == "fuzzy"
        for placeholder in ("%(council)s", "%(keywords)s"):
            assert (placeholder in text.english) == (placeholder in entry.string), entry.string


def test_a_council_gets_its_first_language_we_have_words_in():
    welsh = Tenant(name="Cyngor Powys", country="wales", locales=["cy", "en"], branding={})
    assert texts.sms_text(welsh, texts.HELP).startswith("Cyngor Powys sy'n rhedeg")
    assert texts.sms_text(welsh, texts.HELP, "en").startswith("This number is run by Cyngor")
    arabic = Tenant(name="Testshire", country="england", locales=["ar", "en"], branding={})
    assert texts.sms_text(arabic, texts.HELP).startswith("هذا الرقم يديره Testshire")
    unknown = Tenant(name="Testshire", country="england", locales=["zz", "en"], branding={})
    assert texts.sms_text(unknown, texts.HELP).startswith("This number is run by Testshire")


def test_the_sms_channel_s_words_come_from_the_catalogue(client, survey, catalogues):
    from tests.test_sms_channel import text
    from tests.test_sms_channel import texts as replies

    _rewrite(catalogues, "cy", texts.STOPPED, string="Iawn: dim negeseuon eto. Tecstia START.")
    assert replies(text(client, "Stopio")) == ["Iawn: dim negeseuon eto. Tecstia START."]
    _rewrite(catalogues, "cy", texts.STOPPED, previous_id=("OK, no more texts.",))
    [english] = replies(text(client, "Stopio"))  # stale after a change to the English: unused
    assert english == texts.STOPPED.english


def test_invitations_come_from_the_catalogue(catalogues):
    from chatsurvey.invitations.schedule import wording

    council = Tenant(name="Cyngor Gwynedd", country="wales", locales=["cy"], branding={})
    _rewrite(catalogues, "cy", texts.INVITE, string="Helo gan %(council)s! Ateba IE.")
    assert wording(council, texts.INVITE) == "Helo gan Cyngor Gwynedd! Ateba IE."
