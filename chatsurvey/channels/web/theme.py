"""A council's colours on the chat page, kept readable (WCAG 2.2 AA contrast)."""

from __future__ import annotations

import re
from typing import Any

from flask import (
    current_app,
)

PAGE_BG = "#f4f6f8"


def _hex(colour: Any) -> str | None:
    if isinstance(colour, str) and re.fullmatch(r"#[0-9a-fA-F]{6}", colour.strip()):
        return colour.strip().lower()
    if isinstance(colour, str) and re.fullmatch(r"#[0-9a-fA-F]{3}", colour.strip()):
        return "#" + "".join(c * 2 for c in colour.strip()[1:]).lower()
    return None


def luminance(colour: str) -> float:
    """WCAG relative luminance of a #rrggbb colour."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable_on(background: str, wanted: str | None = None) -> str:
    """The council's text colour if it can be read on ``background`` (AA), else black or white."""
    if wanted and contrast(background, wanted) >= 4.5:
        return wanted
    return max(("#ffffff", "#0b0c0c"), key=lambda c: contrast(background, c))


def ink(colour: str, background: str = PAGE_BG) -> str:
    """``colour``, darkened until it reads as text on the page background (AA)."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    for _ in range(40):
        shown = f"#{r:02x}{g:02x}{b:02x}"
        if contrast(shown, background) >= 4.5:
            return shown
        r, g, b = int(r * 0.9), int(g * 0.9), int(b * 0.9)
    return "#0b0c0c"


def theme_css(branding: dict) -> str:
    brand = _hex(branding.get("colour")) or current_app.config["WEB_DEFAULT_COLOUR"]
    on_brand = readable_on(brand, _hex(branding.get("text_colour")))
    return (f":root{{--brand:{brand};--on-brand:{on_brand};--brand-ink:{ink(brand)};"
            f"--page-bg:{PAGE_BG}}}\n")
