"""The pictures an option may show beside its words on the web (``icon:`` in a flow).

They are OpenMoji SVGs kept in chatsurvey/static/openmoji/ (see its README for the
licence); a name is a file's name without ``.svg``. Reading a folder listing keeps the
engine free of the web framework: the chat page serves the same files.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

ICON_DIR = Path(__file__).resolve().parents[1] / "static" / "openmoji"


@cache
def known_icons() -> frozenset[str]:
    """Every picture name a flow may use."""
    return frozenset(path.stem for path in ICON_DIR.glob("*.svg"))
