"""How hard an English text is to read: a reading age for prose, hard words for labels.

Prose is graded with the Flesch-Kincaid grade (textstat); UK reading age is
taken as the US grade plus five. Very short texts ("Thanks!") have no
meaningful score and are left out.

Flesch-Kincaid counts syllables per word and words per sentence, so on an
answer label ("Family or friends"), which is a choice in a list and not a
sentence, it measures how many syllables a few words happen to have, not
how hard they are. Labels, and texts too short to grade, are checked word by
word instead: a hard word has three or more syllables and is not on the
Dale-Chall list of words familiar to young readers, nor an ending (-s, -es,
-ed, -ing, -ly) away from one ("completely" is "complete"): the "complex
word" of the Dale-Chall and Gunning fog measures.
"""

from __future__ import annotations

import re

_PLACEHOLDER = re.compile(r"\{[^}]*\}")
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_ENDING = re.compile(r"(?:'s|es|s|ed|ing|ly)$")
MIN_WORDS = 3
HARD_SYLLABLES = 3


def _cleaned(text: str) -> str:
    return _PLACEHOLDER.sub("it", text).replace("\n", " ")


def reading_age(text: str) -> float | None:
    """Estimated reading age in years, or None for texts too short to judge."""
    import textstat  # slow to import (it loads a pronouncing dictionary); only lint needs it

    cleaned = _cleaned(text)
    if len(cleaned.split()) < MIN_WORDS:
        return None
    return round(max(5.0, textstat.textstat.flesch_kincaid_grade(cleaned) + 5), 1)


def hard_words(text: str) -> list[str]:
    """The hard words of a text (see above), in order, each once."""
    import textstat

    found: dict[str, None] = {}
    for word in _WORD.findall(_cleaned(text)):
        stem = _ENDING.sub("", word.lower())
        if textstat.textstat.is_difficult_word(word.lower(), HARD_SYLLABLES) and (
                len(stem) < 3 or textstat.textstat.is_difficult_word(stem, HARD_SYLLABLES)):
            found[word] = None
    return list(found)
