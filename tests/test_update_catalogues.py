"""`make locales` merges new English into the catalogues without guessing from unrelated text,
and only into the languages each flow declares."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from chatsurvey.engine.catalogue import Catalogue

PROJECT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("update_catalogues",
                                               PROJECT / "scripts/update_catalogues.py")
assert _spec and _spec.loader
update_catalogues = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(update_catalogues)

FLOW = """spec_version: "1.0"
id: {id}
title: T
survey: demo
locales: {locales}
start: q
states:
  q: {{type: question, ask: text, key: q, prompt: q}}
  end: {{type: end}}
messages:
  q: "Q"
"""


def po(locale: str, entries: list[tuple[str, str, str, bool]]) -> bytes:
    catalog = Catalog(locale=locale, domain="flows")
    for context, english, words, fuzzy in entries:
        catalog.add(english, words, context=context, flags=["fuzzy"] if fuzzy else [])
    out = io.BytesIO()
    write_po(out, catalog, width=None)
    return out.getvalue()


def test_new_english_gets_no_guess_and_changed_english_keeps_its_old_words_for_review(
        tmp_path):
    flows, locales = tmp_path / "flows", tmp_path / "locales"
    flows.mkdir()
    (flows / "a.yaml").write_text(FLOW.format(id="a", locales="[en, cy]"))
    (flows / "b.yaml").write_text(FLOW.format(id="b", locales="[en]"))
    for locale in ("cy", "fr"):
        (locales / locale / "LC_MESSAGES").mkdir(parents=True)
    (locales / "cy/LC_MESSAGES/flows.po").write_bytes(po("cy", [
        ("a:support", "Support", "Cefnogaeth", False),
        ("a:happy", "Are you happy?", "Wyt ti'n hapus?", False),
        ("b:old", "An old one", "Hen un", False)]))
    untouched = po("fr", [("a:support", "Support", "", False)])
    (locales / "fr/LC_MESSAGES/flows.po").write_bytes(untouched)
    (tmp_path / "flows.pot").write_bytes(po(None, [  # type: ignore[arg-type]
        ("a:support", "Support", "", False),
        ("a:sport", "Sport", "", False),  # new: close to "support", but unrelated
        ("a:happy", "Are you happy today?", "", False),  # the English changed
        ("b:only_english", "Only in English", "", False),
        ("system:skip", "Skip", "", False)]))

    written = update_catalogues.update(tmp_path / "flows.pot", locales, "flows", flows)
    assert written == [locales / "cy/LC_MESSAGES/flows.po"]
    assert (locales / "fr/LC_MESSAGES/flows.po").read_bytes() == untouched
    raw = (locales / "cy/LC_MESSAGES/flows.po").read_bytes()
    merged = {m.context: m for m in read_po(io.BytesIO(raw)) if m.context}
    assert merged["a:sport"].string == "" and not merged["a:sport"].fuzzy
    assert merged["a:happy"].string == "Wyt ti'n hapus?" and merged["a:happy"].fuzzy
    assert '#| msgid "Are you happy?"' in raw.decode()
    assert "b:only_english" not in merged  # b does not declare Welsh
    assert merged["b:old"].string == "Hen un"  # a translation already written is kept
    assert "system:skip" in merged
    catalogue = Catalogue({"cy": Catalogue.read(io.BytesIO(raw))})
    assert catalogue.translate("cy", "a:happy", "Are you happy today?") is None  # not shown
    assert catalogue.translate("cy", "a:support", "Support") == "Cefnogaeth"

    assert update_catalogues.update(tmp_path / "flows.pot", locales, "flows", flows) == []
    assert update_catalogues.main([str(tmp_path / "flows.pot"), str(locales), "flows"]) == 0


def test_a_language_babel_does_not_know_is_merged_too(tmp_path):
    """Dari (prs) has no Babel locale data: its catalogue must still follow the English."""
    flows, locales = tmp_path / "flows", tmp_path / "locales"
    flows.mkdir()
    (flows / "a.yaml").write_text(FLOW.format(id="a", locales="[en, prs]"))
    (locales / "prs/LC_MESSAGES").mkdir(parents=True)
    raw = po("fa", [("a:happy", "Are you happy?", "آیا خوش هستی؟", False)])
    (locales / "prs/LC_MESSAGES/flows.po").write_bytes(raw.replace(b"Language: fa", b"Language: prs"))
    (tmp_path / "flows.pot").write_bytes(po(None, [  # type: ignore[arg-type]
        ("a:happy", "Are you happy today?", "", False),
        ("a:new", "A new question", "", False)]))

    written = update_catalogues.update(tmp_path / "flows.pot", locales, "flows", flows)
    assert written == [locales / "prs/LC_MESSAGES/flows.po"]
    merged = {m.context: m for m in read_po(io.BytesIO(written[0].read_bytes())) if m.context}
    assert merged["a:happy"].id == "Are you happy today?" and merged["a:happy"].fuzzy
    assert merged["a:happy"].string == "آیا خوش هستی؟"
    assert "a:new" in merged
