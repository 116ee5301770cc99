"""Every catalogue complete and every entry awaiting review, in the languages drafted so.

Tigrinya, Kurdish Sorani, Vietnamese and Albanian: flows, chat page and SMS words.
Welsh and Gaelic: the chat page and SMS words (their flows are partly reviewed).

A translator's first draft is marked ``fuzzy`` (awaiting a native speaker's
review): it is shown to young people meanwhile, in the flows, on the chat page
and by SMS alike, and the admin's translation page counts it as still to check.
Only a native speaker takes the mark off.
"""

from __future__ import annotations

import io
import re

import pytest
from babel.messages.pofile import read_po

from chatsurvey.engine import FlowLibrary
from chatsurvey.engine.catalogue import Catalogue
from chatsurvey.engine.inputs import command_table, normalise
from chatsurvey.engine.model import QuestionNode
from chatsurvey.engine.render import placeholders
from chatsurvey.i18n import PageText
from chatsurvey.texts import CATALOGUES
from tests.helpers import PROJECT

DRAFTED = ["ti", "ckb", "vi", "sq"]
# Whose chat page and SMS words are all a first draft (their flows may be further on).
PAGE_DRAFTED = ["cy", "gd", *DRAFTED]
FLOWS = PROJECT / "locales"
PERCENT = re.compile(r"%\(\w+\)s")
# Words texted to Twilio or to a helpline: they work only as they are.
KEPT = ("STOP", "START", "SHOUT", "Childline", "0800 1111")


def _read(path):
    with path.open("rb") as handle:
        return [m for m in read_po(handle) if m.id]


@pytest.mark.parametrize("code", DRAFTED)
def test_every_flow_message_is_translated_and_awaiting_review(code):
    template = _read(FLOWS / "flows.pot")
    entries = {(m.context, m.id): m for m in _read(FLOWS / code / "LC_MESSAGES" / "flows.po")}
    assert set(entries) == {(m.context, m.id) for m in template}
    words = Catalogue.from_directory(FLOWS)
    for (ctx, msgid), entry in entries.items():
        assert entry.string and entry.fuzzy, (code, ctx)
        assert words.status(code, ctx, msgid) == "fuzzy", (code, ctx)
        if not ctx.endswith("#synonyms"):
            assert sorted(placeholders(entry.string)) == sorted(placeholders(msgid)), ctx
        for kept in ("SHOUT", *re.findall(r"\d[\d ]*\d|\d", msgid)):
            if kept in msgid and not ctx.endswith("#synonyms"):
                assert kept in entry.string, (code, ctx, kept)


@pytest.mark.parametrize("code", DRAFTED)
def test_a_language_s_own_name_is_never_translated(code):
    """``lang_cy`` is "Cymraeg" in every catalogue: a name to find, not a word to translate."""
    entries = {m.context: m for m in _read(FLOWS / code / "LC_MESSAGES" / "flows.po")}
    names = {ctx: m for ctx, m in entries.items()
             if ctx.split(":", 1)[1].startswith("lang_") and "#" not in ctx}
    assert names, "the entry flow offers languages by name"
    for ctx, entry in names.items():
        assert entry.string == entry.id, (code, ctx)


@pytest.mark.parametrize("code", PAGE_DRAFTED)
@pytest.mark.parametrize("domain", ["web", "sms"])
def test_the_chat_page_and_sms_words_are_complete_and_awaiting_review(code, domain):
    template = {(m.context, m.id) for m in _read(CATALOGUES / f"{domain}.pot")}
    entries = _read(CATALOGUES / code / "LC_MESSAGES" / f"{domain}.po")
    assert {(m.context, m.id) for m in entries} == template
    for entry in entries:
        assert entry.string and entry.fuzzy, (code, domain, entry.id)
        assert sorted(PERCENT.findall(entry.string)) == sorted(PERCENT.findall(entry.id)), \
            entry.string
        for kept in KEPT:
            assert (kept in entry.id) <= (kept in entry.string), (code, entry.id, kept)


@pytest.mark.parametrize("code", PAGE_DRAFTED)
def test_the_chat_page_shows_the_draft_words(code):
    page = PageText(str(CATALOGUES), code)
    assert page.lang == code
    assert page("Quick exit") != "Quick exit"
    assert "0800 1111" in page("If you want to talk to someone now, you can call Childline"
                               " for free on 0800 1111.")


def test_the_catalogues_say_they_await_review():
    for code in PAGE_DRAFTED:
        drafted = ["flows.po"] if code in DRAFTED else []
        for path in (*(FLOWS / code / "LC_MESSAGES" / name for name in drafted),
                     CATALOGUES / code / "LC_MESSAGES" / "web.po",
                     CATALOGUES / code / "LC_MESSAGES" / "sms.po"):
            head = path.read_text("utf-8").split("msgid", 1)[0]
            assert "review" in head and "native speaker" in head, path
            assert f'"Language: {code}\\n"' in path.read_text("utf-8"), path
            read_po(io.BytesIO(path.read_bytes()), abort_invalid=True)


@pytest.fixture(scope="module")
def product():
    return FlowLibrary.load([PROJECT / "flows"], FLOWS)


@pytest.mark.parametrize("code", ["en", "cy", "gd", *DRAFTED])
def test_no_word_picks_two_answers_or_is_taken_for_a_command(product, code):
    """A word two options share picks neither ("Sorry, I did not get that"), and a command
    word wins over an answer: a translated label or synonym must be one option's alone."""
    clashes = []
    for flow in product.flows.values():
        commands = command_table(flow, flow.texts, code)
        for node in flow.nodes.values():
            if not isinstance(node, QuestionNode):
                continue
            owners: dict[str, set[str]] = {}
            for option in node.options:
                for word in flow.texts.words(option.label, code):
                    if normalise(word):
                        owners.setdefault(normalise(word), set()).add(option.value)
            clashes += [(flow.id, node.name, word, sorted(values))
                        for word, values in owners.items() if len(values) > 1]
            clashes += [(flow.id, node.name, word, commands[word])
                        for word in owners if word in commands]
    assert not clashes, clashes
