"""The programme's translations, as the latest flow versions hold them: status, .po, checks.

Translators work on ordinary gettext catalogues (Poedit, Weblate). A download
is made from the latest published versions: every message of every flow that
offers the language, and the engine's own, each with its translation where the
version has one, and the notes translators need. An upload is checked here
(every ``{placeholder}`` kept, no phone number lost) and published by
chatsurvey/flows/publish.py as new versions of the flows it changes; nothing
is written to files.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from importlib import resources

from babel import UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, read_po, write_po

from chatsurvey.engine import Flow
from chatsurvey.engine.catalogue import SYSTEM
from chatsurvey.engine.extract import extract_messages
from chatsurvey.engine.lint import translation_status
from chatsurvey.engine.render import placeholders
from chatsurvey.engine.source import parse_yaml
from chatsurvey.flows.models import latest_versions
from chatsurvey.flows.store import flow_store

DIGITS = re.compile(r"\d[\d ]{2,}\d")


@dataclass(frozen=True)
class FlowStatus:
    """How much of one flow's latest version is translated, per language it offers."""

    flow_id: str
    version: int
    by_locale: dict


def latest_flows() -> list[Flow]:
    """The compiled latest version of every flow."""
    store = flow_store()
    return [store.get(row.flow_id, row.version) for row in latest_versions().values()]


def offered(flow: Flow) -> list[str]:
    """The languages a flow is translated into (all it declares but its source language)."""
    return [loc for loc in flow.locales if loc != flow.source_locale]


def status() -> list[FlowStatus]:
    """Translation status of the latest version of every flow."""
    return [FlowStatus(flow.id, flow.version, translation_status(
        flow.id, flow.messages, offered(flow), flow.texts.catalogue)) for flow in latest_flows()]


def catalogue_po(locale: str) -> bytes | None:
    """A .po of every message in ``locale`` as the latest versions say it (None: not offered)."""
    flows = [flow for flow in latest_flows() if locale in offered(flow)]
    if not flows:
        return None
    try:
        catalog = Catalog(locale=locale, project="chatsurvey", charset="utf-8")
    except (ValueError, UnknownLocaleError):  # a language Babel does not know: no plural rules
        catalog = Catalog(project="chatsurvey", charset="utf-8")
    system = resources.files("chatsurvey.engine").joinpath("system_messages.yaml")
    documents = [(SYSTEM, parse_yaml(system.read_text("utf-8"), "system_messages.yaml"),
                  flows[-1].texts.catalogue)]
    documents += [(flow.id, flow.doc, flow.texts.catalogue) for flow in flows if flow.doc]
    for owner, doc, words in documents:
        for line, _, (ctx, msgid), comments in extract_messages(owner, doc):
            if (msgid, ctx) in catalog:
                continue
            translated = words.translate(locale, ctx, msgid) or ""
            catalog.add(msgid, translated, locations=[(f"{owner}.yaml", line)],
                        auto_comments=comments, context=ctx,
                        flags=("fuzzy",) if translated and words.status(
                            locale, ctx, msgid) == "fuzzy" else ())
    out = io.BytesIO()
    write_po(out, catalog, width=0, omit_header=False)
    return out.getvalue()


@dataclass(frozen=True)
class UploadCheck:
    """What an uploaded catalogue holds, and why it cannot be published (if it cannot)."""

    problems: list[str]
    entries: int
    translated: int


def check_upload(raw: bytes) -> UploadCheck:
    """Read an uploaded .po and check it as `flows check` checks translations."""
    try:
        catalogue = read_po(io.BytesIO(raw), abort_invalid=True)
    except (PoFileError, ValueError, UnicodeDecodeError) as exc:
        return UploadCheck([f"This is not a gettext .po file Babel can read: {str(exc)[:200]}"],
                           0, 0)
    problems, entries, translated = [], 0, 0
    for message in catalogue:
        if not message.id or isinstance(message.id, tuple):
            continue
        entries += 1
        string = message.string if isinstance(message.string, str) else ""
        if not string:
            continue
        translated += 1
        if (message.context or "").endswith("#synonyms"):
            continue
        english = message.id if isinstance(message.id, str) else message.id[0]  # plural: one
        problems += _lost(english, string, f"line {message.lineno}" + (
            f" ({message.context})" if message.context else ""))
    if entries == 0:
        problems.append("The file has no messages.")
    return UploadCheck(problems, entries, translated)


def _lost(english: str, translation: str, where: str) -> list[str]:
    """What a translation dropped that it must keep: placeholders and phone numbers."""
    problems = []
    if sorted(placeholders(translation)) != sorted(placeholders(english)):
        problems.append(f"{where}: keep the same {{placeholders}} as the English: "
                        f"{', '.join(placeholders(english)) or 'none'}")
    kept = translation.replace(" ", "")
    lost = [n for n in (d.replace(" ", "") for d in DIGITS.findall(english)) if n not in kept]
    if lost:
        problems.append(f"{where}: the number(s) {', '.join(lost)} are missing")
    return problems
