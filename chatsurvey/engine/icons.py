"""The OpenMoji pictures: beside an option's words in the web chat, and in the young
people's summaries. One folder, one lookup.

The pictures are OpenMoji SVGs kept in chatsurvey/static/openmoji/ (see its README for
the licence), each named by its OpenMoji hexcode, as OpenMoji names it (``1F622.svg``).
A flow names a picture by a word a flow writer can read (``icon: face-crying``, in
NAMES); the summaries name theirs by hexcode (``icon: 1F600`` in
chatsurvey/reports/summary.yaml). `picture` finds the file for either. Reading files
keeps the engine free of the web framework: the chat page and the summaries serve and
draw the same files.
"""

from __future__ import annotations

import re
from pathlib import Path

ICON_DIR = Path(__file__).resolve().parents[1] / "static" / "openmoji"

NAMES: dict[str, str] = {
    "face-crying": "1F622",
    "face-frowning": "1F641",
    "face-neutral": "1F610",
    "face-smiling": "1F642",
    "face-grinning": "1F600",
    "thumbs-up": "1F44D",
    "thumbs-down": "1F44E",
    "a-bit": "1F90F",
    "alone": "1F9CD",
    "hug": "1FAC2",
    "friends": "1F9D1-200D-1F91D-200D-1F9D1",
    "worker": "1F9D1-200D-1F4BC",
    "someone": "1F464",
    "house": "1F3E0",
    "houses": "1F3D8",
    "family": "1F9D1-200D-1F9D1-200D-1F9D2",
    "parent-and-child": "1F9D1-200D-1F9D2",
    "key": "1F511",
    "question": "2753",
}
"""The pictures a flow may name (``icon:``), and the OpenMoji hexcode of each."""

HEXCODE = re.compile(r"[0-9A-F]{2,6}(?:-[0-9A-F]{2,6})*")


def known_icons() -> frozenset[str]:
    """Every picture name a flow may use."""
    return frozenset(NAMES)


def picture(key: str) -> Path | None:
    """The SVG file for a flow's picture name or an OpenMoji hexcode; None if it is not
    one of ours."""
    code = NAMES.get(key, key)
    if not HEXCODE.fullmatch(code):
        return None
    path = ICON_DIR / f"{code}.svg"
    return path if path.is_file() else None
