"""Message text by key, in any locale, through gettext catalogues.

Flows write their messages in a source language (English unless a flow says
otherwise) and refer to them by key. Translations live in standard gettext
catalogues, ``locales/<locale>/LC_MESSAGES/flows.po``, one entry per message
with ``msgctxt`` = ``<flow id>:<key>`` and ``msgid`` = the source text, so
translators see the English in their usual tools and a reworded English
message is never shown with its old translation.

A translation marked ``fuzzy`` by a translator ("needs review by a native
speaker") is used, because it is better than English for a Welsh or Gaelic
speaker; one marked fuzzy because the English changed (it carries a previous
msgid that differs from its msgid) is not. An entry whose previous msgid is
its msgid (the same English, moved to another message key) is used.
"""

from __future__ import annotations

import functools
import io
import itertools
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import IO, Any

from babel.messages.pofile import read_po, unescape

from .languages import text_direction as text_direction  # re-exported: renderers use it
from .model import Message
from .source import parse_yaml

SYSTEM = "system"
DOMAIN = "flows"

def context(owner: str, key: str, variant: str | None = None) -> str:
    """The gettext msgctxt of a message: ``flow-id:key`` or ``flow-id:key#sms``."""
    base = f"{owner}:{key}"
    return f"{base}#{variant}" if variant else base


def split_key(qualified: str) -> tuple[str, str]:
    """``"system:opt.yes"`` -> ``("system", "opt.yes")``."""
    owner, _, key = qualified.partition(":")
    return owner, key


def messages_from_data(data: dict[str, Any]) -> dict[str, Message]:
    """Build Message objects from the `messages` mapping of a flow document."""
    out: dict[str, Message] = {}
    for key, value in (data or {}).items():
        if isinstance(value, str):
            out[key] = Message(text=value)
        else:
            out[key] = Message(
                text=value["text"],
                sms=value.get("sms"),
                web=value.get("web"),
                note=value.get("note"),
                synonyms=tuple(str(s) for s in value.get("synonyms", ())),
                verbatim=value.get("verbatim"),
                bilingual=bool(value.get("bilingual")),
            )
    return out


@functools.cache
def system_messages() -> dict[str, Message]:
    """The messages chatsurvey itself says, in English."""
    text = resources.files("chatsurvey.engine").joinpath("system_messages.yaml").read_text("utf-8")
    return messages_from_data(parse_yaml(text, "system_messages.yaml").data["messages"])


def previous_msgids(text: str) -> dict[str, str]:
    """{context: previous msgid} of entries that carry one (``#| msgid``).

    msgmerge (and `make locales`) writes one when the English changed under a
    translation; Babel's reader does not keep it, so it is looked for here.
    """
    found: dict[str, str] = {}
    for block in text.split("\n\n"):
        lines = [line.strip() for line in block.splitlines()]
        previous = _joined(lines, "#| msgid ", "#| \"")
        context = _joined(lines, "msgctxt ", "\"")
        if previous is not None and context is not None:
            found[context] = previous
    return found


def _joined(lines: list[str], head: str, more: str) -> str | None:
    """A (possibly continued) quoted field of a .po entry, unescaped; None if absent."""
    for i, line in enumerate(lines):
        if line.startswith(head):
            rest = itertools.takewhile(lambda f: f.startswith(more), lines[i + 1:])
            parts = [line[len(head):], *(f[len(more) - 1:] for f in rest)]
            return "".join(unescape(p) for p in parts)
    return None


@dataclass(frozen=True, slots=True)
class Entry:
    """One translated message as read from a catalogue."""

    msgid: str
    msgstr: str
    fuzzy: bool
    outdated: bool

    def as_data(self) -> dict[str, str | bool]:
        """The entry as stored with a flow version (flags only when set)."""
        data: dict[str, str | bool] = {"id": self.msgid, "str": self.msgstr}
        if self.fuzzy:
            data["fuzzy"] = True
        if self.outdated:
            data["outdated"] = True
        return data


class Catalogue:
    """Translations by locale and message context."""

    def __init__(self, entries: dict[str, dict[str, Entry]] | None = None) -> None:
        self._entries = entries or {}

    @classmethod
    def from_directory(cls, path: str | Path, domain: str = DOMAIN) -> Catalogue:
        """Read every ``<locale>/LC_MESSAGES/<domain>.po`` under ``path``."""
        entries: dict[str, dict[str, Entry]] = {}
        root = Path(path)
        if root.is_dir():
            for po in sorted(root.glob(f"*/LC_MESSAGES/{domain}.po")):
                locale = po.parent.parent.name
                with po.open("rb") as fh:
                    entries[locale] = cls.read(fh)
        return cls(entries)

    @classmethod
    def from_data(cls, data: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> Catalogue:
        """A catalogue from the form a flow version stores (``as_data``)."""
        return cls({locale: {ctx: Entry(e["id"], e["str"], bool(e.get("fuzzy")),
                                        bool(e.get("outdated"))) for ctx, e in table.items()}
                    for locale, table in data.items()})

    def as_data(self, owners: Collection[str], locales: Iterable[str]
                ) -> dict[str, dict[str, dict[str, str | bool]]]:
        """The translated entries of these owners' messages in these locales, to store.

        A flow version keeps its own messages' entries and the engine's
        (owners ``{flow id, "system"}``), so it renders the same words in
        every process for as long as it is played.
        """
        out: dict[str, dict[str, dict[str, str | bool]]] = {}
        for locale in locales:
            kept = {ctx: entry.as_data() for ctx, entry in sorted(self._entries.get(locale,
                                                                                  {}).items())
                    if entry.msgstr and split_key(ctx)[0] in owners}
            if kept:
                out[locale] = kept
        return out

    def extended(self, data: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> Catalogue:
        """This catalogue with more entries (in ``as_data`` form); theirs win."""
        entries = {locale: dict(table) for locale, table in self._entries.items()}
        for locale, table in Catalogue.from_data(data)._entries.items():
            entries.setdefault(locale, {}).update(table)
        return Catalogue(entries)

    @staticmethod
    def read(fileobj: IO[bytes]) -> dict[str, Entry]:
        """Read one .po file into entries by context."""
        raw = fileobj.read()
        outdated = previous_msgids(raw.decode("utf-8", "replace"))
        table: dict[str, Entry] = {}
        for message in read_po(io.BytesIO(raw)):
            if not message.id or not message.context or not isinstance(message.id, str):
                continue
            table[message.context] = Entry(
                msgid=message.id,
                msgstr=message.string if isinstance(message.string, str) else "",
                fuzzy=message.fuzzy,
                # fuzzy because the English changed (not a translator's "please review")
                outdated=message.fuzzy and outdated.get(message.context, message.id)
                != message.id,
            )
        return table

    def locales(self) -> list[str]:
        """Locales that have a catalogue."""
        return sorted(self._entries)

    def status(self, locale: str, ctx: str, source: str) -> str:
        """One of "translated", "fuzzy" (awaiting review, used), "outdated" or "missing"."""
        entry = self._entries.get(locale, {}).get(ctx)
        if entry is None or not entry.msgstr:
            return "missing"
        if entry.msgid != source or entry.outdated:
            return "outdated"
        return "fuzzy" if entry.fuzzy else "translated"

    def translate(self, locale: str, ctx: str, source: str) -> str | None:
        """The translation to show, or None to fall back to the source text."""
        if self.status(locale, ctx, source) in ("translated", "fuzzy"):
            return self._entries[locale][ctx].msgstr
        return None


EMPTY = Catalogue()


class Texts:
    """Resolves qualified message keys for one flow, caching what it resolves."""

    def __init__(self, owner: str, messages: dict[str, Message], source_locale: str,
                 catalogue: Catalogue) -> None:
        self.owner = owner
        self.messages = messages
        self.source_locale = source_locale
        self.catalogue = catalogue
        self._cache: dict[tuple[str, str, str], tuple[str, str]] = {}
        self._words: dict[tuple[str, str], tuple[str, ...]] = {}

    def message(self, qualified: str) -> tuple[Message, str]:
        """The source message of a key and the language it is written in."""
        owner, key = split_key(qualified)
        if owner == SYSTEM:
            return system_messages()[key], "en"
        return self.messages[key], self.source_locale

    def text(self, qualified: str, locale: str, channel: str) -> str:
        """The words for ``qualified`` in ``locale`` on ``channel``."""
        return self.text_lang(qualified, locale, channel)[0]

    def text_lang(self, qualified: str, locale: str, channel: str) -> tuple[str, str]:
        """The words and the language they are really in (the source language if untranslated)."""
        cache_key = (qualified, locale, channel)
        found = self._cache.get(cache_key)
        if found is None:
            found = self._cache[cache_key] = self._resolve(qualified, locale, channel)
        return found

    def _resolve(self, qualified: str, locale: str, channel: str) -> tuple[str, str]:
        message, source_locale = self.message(qualified)
        source = message.variant(channel)
        if locale == source_locale:
            return source, locale
        owner, key = split_key(qualified)
        variant = message.variant_name(channel)
        if variant:
            found = self.catalogue.translate(locale, context(owner, key, variant), source)
            if found:
                return found, locale
        found = self.catalogue.translate(locale, context(owner, key), message.text)
        return (found, locale) if found else (source, source_locale)

    def words(self, qualified: str, locale: str) -> tuple[str, ...]:
        """Every word that may pick this message's option: label and synonyms, both languages."""
        cache_key = (qualified, locale)
        found = self._words.get(cache_key)
        if found is None:
            message, source_locale = self.message(qualified)
            words = [message.text, *message.synonyms]
            if locale != source_locale:
                owner, key = split_key(qualified)
                words.append(self.text(qualified, locale, "web"))
                joined = "|".join(message.synonyms)
                translated = joined and self.catalogue.translate(
                    locale, context(owner, key, "synonyms"), joined)
                if translated:
                    words.extend(w for w in translated.split("|") if w.strip())
            found = self._words[cache_key] = tuple(words)
        return found
