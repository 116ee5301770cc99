"""The chat page's own words (buttons, headings): ``chatsurvey/locales/<lang>/LC_MESSAGES/web.po``.

What the survey says comes from the flow catalogues (`chatsurvey.engine.catalogue`);
these are the few words around it: "Quick exit", "Read aloud", "Send". English is
the source language, so a missing catalogue or an untranslated entry shows the
English rather than a blank button. As for the flows' words (`chatsurvey.engine.catalogue`),
an entry a translator marked ``fuzzy`` (awaiting a native speaker's review) is shown, and
one ``msgmerge`` marked fuzzy because the English changed under it (it carries a
``#| msgid``) is not. The page marks its own words with the
language of the catalogue used (`PageText.lang`: English when there is none), so a
screen reader does not read English words with a Welsh voice.

Strings are marked in templates as ``{{ _("Quick exit") }}`` for `pybabel extract`
(babel.cfg's jinja2 line); placeholders use ``%(name)s``.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from babel.messages.pofile import denormalize, read_po

DOMAIN = "web"
SOURCE_LOCALE = "en"


@functools.lru_cache(maxsize=64)
def _catalogue(locales_dir: str, locale: str) -> dict[str, str] | None:
    """Translations by English text; None when there is no catalogue for ``locale``.

    Cached for the life of the process: catalogues change only with a deploy.
    """
    path = Path(locales_dir) / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return None
    raw = path.read_bytes()
    outdated = _with_previous_msgid(raw.decode("utf-8", "replace"))
    return {m.id: m.string for m in read_po(io.BytesIO(raw))
            if isinstance(m.id, str) and m.id and isinstance(m.string, str) and m.string
            and not (m.fuzzy and m.id in outdated)}


def _with_previous_msgid(text: str) -> set[str]:
    """Msgids of entries whose English changed since they were translated (``#| msgid``)."""
    found = set()
    for block in text.split("\n\n"):
        lines = [line.strip() for line in block.splitlines()]
        if not any(line.startswith("#| msgid") for line in lines):
            continue
        start = next((i for i, line in enumerate(lines) if line.startswith("msgid ")), None)
        if start is None:
            continue
        quoted = [lines[start][len("msgid "):]]
        for line in lines[start + 1:]:
            if not line.startswith('"'):
                break
            quoted.append(line)
        found.add(denormalize("\n".join(quoted)))
    return found


class PageText:
    """``_`` for one page: translates into ``locale``, falling back to English."""

    def __init__(self, locales_dir: str, locale: str) -> None:
        found = _catalogue(locales_dir, locale) if locale != SOURCE_LOCALE else None
        self.lang = locale if found is not None else SOURCE_LOCALE
        self._found = found or {}

    def __call__(self, text: str, **values: object) -> str:
        shown = self._found.get(text, text)
        return shown % values if values else shown


def page_text(locale: str) -> PageText:
    """The page words for ``locale`` in the current app (its TEXTS_DIR)."""
    from flask import current_app

    return PageText(current_app.config["TEXTS_DIR"], locale)
