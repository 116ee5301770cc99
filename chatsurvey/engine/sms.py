"""How a text message is encoded and how many segments it costs.

An SMS is sent in GSM-7 (160 characters, 153 per part when split) unless any
character is outside that alphabet; then the whole message goes as UCS-2 (70
characters, 67 per part). One curly quote or emoji can triple the cost, so the
SMS renderer swaps typographic punctuation for plain ASCII. Letters are never
changed: Welsh ŵ and ŷ are not in GSM-7, and Welsh text must not be degraded.
"""

from __future__ import annotations

import math
import re

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Characters that take two septets (an escape plus the character).
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")
_EXTENDED = re.compile("[" + re.escape("".join(sorted(GSM7_EXTENDED))) + "]")

_PUNCTUATION = str.maketrans({
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'",
    "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"',
    "–": "-", "—": "-", "‒": "-", "―": "-", "−": "-", "‐": "-", "‑": "-",
    "…": "...", "•": "*", "·": "*",
    "\u00a0": " ", "\u2009": " ", "\u200a": " ", "\u202f": " ", "\u2007": " ",
    "\u200b": "", "\u200d": "", "\ufe0f": "",
})

GSM7 = "GSM-7"
UCS2 = "UCS-2"


def plain_punctuation(text: str) -> str:
    """Replace typographic punctuation with its GSM-7 equivalent."""
    return text if text.isascii() else text.translate(_PUNCTUATION)


def encoding(text: str) -> str:
    """GSM-7 if every character fits that alphabet, else UCS-2."""
    if text.isascii():
        # Every printable ASCII character is in GSM-7 except the backtick.
        return UCS2 if "`" in text or "\t" in text else GSM7
    for ch in text:
        if ch not in GSM7_BASIC and ch not in GSM7_EXTENDED:
            return UCS2
    return GSM7


def segments(text: str, known_encoding: str | None = None) -> int:
    """How many SMS segments ``text`` is sent as (``known_encoding``: its encoding, if known)."""
    if not text:
        return 0
    if (known_encoding or encoding(text)) == GSM7:
        units = len(text) + len(_EXTENDED.findall(text))
        return 1 if units <= 160 else math.ceil(units / 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)
