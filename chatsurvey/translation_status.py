"""How much of each language is translated, per catalogue, and how much still awaits review.

Three catalogues hold the words a young person reads: the flows' (part of each
published flow version), the chat page's (``web.po``) and chatsurvey's own texts
(``sms.po``), both shipped with the code. A translator's first draft is marked
``fuzzy``: it is shown to young people meanwhile (better than English for a
speaker of the language), and it counts here as *awaiting review* until a native
speaker takes the mark off. A translation whose English changed since it was made
is *outdated*: it is not shown, and counts as not translated.

Every language of the registry (`chatsurvey.engine.languages`) but the source
language is listed, whether or not a catalogue exists for it yet, so the page
shows what is missing as plainly as what is done.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from babel.messages.pofile import read_po

from chatsurvey import texts
from chatsurvey.engine import Flow
from chatsurvey.engine.catalogue import SYSTEM, system_messages
from chatsurvey.engine.languages import LANGUAGES, Language
from chatsurvey.engine.lint import translation_status
from chatsurvey.flows.catalogues import offered

SOURCE = "en"


@dataclass(frozen=True)
class Share:
    """One catalogue in one language: how many entries, and in which state."""

    total: int
    translated: int
    """Shown to young people: reviewed, or a draft awaiting review."""
    awaiting_review: int
    """Of the translated ones, still marked fuzzy for a native speaker's review."""
    outdated: int = 0

    @property
    def complete(self) -> float:
        """The share of entries translated (reviewed or not)."""
        return self.translated / self.total if self.total else 1.0

    @property
    def to_review(self) -> float:
        """The share of entries still needing a native speaker's review."""
        return self.awaiting_review / self.total if self.total else 0.0

    @property
    def reviewed(self) -> int:
        return self.translated - self.awaiting_review

    def __add__(self, other: Share) -> Share:
        return Share(self.total + other.total, self.translated + other.translated,
                     self.awaiting_review + other.awaiting_review,
                     self.outdated + other.outdated)


@dataclass(frozen=True)
class LanguageStatus:
    """One language: its three catalogues (None: no catalogue, or no flow offers it)."""

    language: Language
    flows: Share | None
    page: Share | None
    sms: Share | None


def _share(counts: dict) -> Share:
    return Share(counts["total"], counts["translated"] + counts["fuzzy"], counts["fuzzy"],
                 counts["outdated"])


def flows_share(flows: Iterable[Flow], locale: str) -> Share | None:
    """Every message of the flows that offer ``locale``, and the engine's own once."""
    offering = [flow for flow in flows if locale in offered(flow)]
    if not offering:
        return None
    total = _share(translation_status(SYSTEM, system_messages(), [locale],
                                      offering[-1].texts.catalogue)[locale])
    for flow in offering:
        total += _share(translation_status(flow.id, flow.messages, [locale],
                                           flow.texts.catalogue)[locale])
    return total


def _outdated_ids(raw: bytes) -> set[str]:
    """Msgids whose English changed under their translation (msgmerge left a ``#| msgid``).

    Babel's reader drops the previous msgid, so the blocks that carry one are read again.
    """
    blocks = [block for block in raw.decode("utf-8", "replace").split("\n\n")
              if "#| msgid" in block]
    if not blocks:
        return set()
    return {m.id for m in read_po(io.StringIO("\n\n".join(blocks)))
            if isinstance(m.id, str) and m.id}


def page_share(locales_dir: str | Path, locale: str) -> Share | None:
    """The chat page's words (``web.po``) against its template (``web.pot``)."""
    root = Path(locales_dir)
    path = root / locale / "LC_MESSAGES" / "web.po"
    if not path.is_file():
        return None
    with (root / "web.pot").open("rb") as handle:
        template = {m.id for m in read_po(handle) if isinstance(m.id, str) and m.id}
    raw = path.read_bytes()
    outdated = _outdated_ids(raw)
    translated = review = stale = 0
    for message in read_po(io.BytesIO(raw)):
        if message.id not in template or not message.string:
            continue
        if message.fuzzy and message.id in outdated:
            stale += 1
            continue
        translated += 1
        review += message.fuzzy
    return Share(len(template), translated, review, stale)


def sms_share(directory: Path, locale: str) -> Share | None:
    """What chatsurvey itself texts (``sms.po``), as the SMS channel reads it."""
    words = texts.catalogue(directory)
    if locale not in words.locales():
        return None
    states = [words.status(locale, text.context, text.english) for text in texts.MESSAGES]
    return Share(len(states), sum(s in ("translated", "fuzzy") for s in states),
                 states.count("fuzzy"), states.count("outdated"))


def languages(flows: list[Flow], page_dir: str | Path,
              sms_dir: Path = texts.CATALOGUES) -> list[LanguageStatus]:
    """Every language chatsurvey can offer (but the source), with its three catalogues."""
    return [LanguageStatus(lang, flows_share(flows, lang.code), page_share(page_dir, lang.code),
                           sms_share(sms_dir, lang.code))
            for lang in LANGUAGES if lang.code != SOURCE]
