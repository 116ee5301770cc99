"""Reading age of English messages, from the Flesch-Kincaid grade (textstat).

UK reading age is taken as the US grade plus five. Very short texts (an
answer label, "Thanks!") have no meaningful score and are left out.
"""

from __future__ import annotations

import re

_PLACEHOLDER = re.compile(r"\{[^}]*\}")
MIN_WORDS = 3


def reading_age(text: str) -> float | None:
    """Estimated reading age in years, or None for texts too short to judge."""
    import textstat  # slow to import (it loads a pronouncing dictionary); only lint needs it

    cleaned = _PLACEHOLDER.sub("it", text).replace("\n", " ")
    if len(cleaned.split()) < MIN_WORDS:
        return None
    return round(max(5.0, textstat.textstat.flesch_kincaid_grade(cleaned) + 5), 1)
