"""Reading what a young person typed: commands, option numbers, words, emoji.

Matching is forgiving on purpose — "Yeah!!", "y", "👍", "1", "Most" and
"alwyas" are all answers — but never guesses between two options: an
ambiguous word is treated as not understood, and the question is asked again.
Every table is built once per question and locale and cached on the flow.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any, TypeVar, cast

from rapidfuzz import fuzz, process

from .catalogue import Texts
from .model import Flow, QuestionNode

T = TypeVar("T")

COMMANDS = ("skip", "back", "help", "support", "stop", "restart")

_STRIP = " \t\r\n.,!?;:'\"()[]{}*_~`"
_MODIFIERS = re.compile("[\ufe0f\ufe0e\u200d\U0001f3fb-\U0001f3ff]")
# Arabic is typed with and without hamza, vowel marks and the tatweel stretch.
_ARABIC_MARKS = re.compile("[\u064b-\u0652\u0670\u0640]")
_ARABIC_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي",
                                 "ؤ": "و", "ئ": "ي"})
_INT = re.compile(r"^[+-]?\d{1,6}$")
_LEADING_INT = re.compile(r"^(\d{1,3})(?:\s*[.):]?\s+|\s*$)(.*)$")
_ANY_INT = re.compile(r"(?<![\d.])(\d{1,3})(?![\d.])")


class Invalid(ValueError):
    """The text is not an answer to this question; ``hint`` says which kind of nudge to give."""

    def __init__(self, hint: str) -> None:
        super().__init__(hint)
        self.hint = hint


def normalise(text: str) -> str:
    """Lower-case, NFKC, single spaces, no surrounding punctuation, no emoji modifiers."""
    if not text.isascii():
        text = _MODIFIERS.sub("", unicodedata.normalize("NFKC", text))
        text = _ARABIC_MARKS.sub("", text).translate(_ARABIC_LETTERS)
    text = " ".join(text.split()).casefold()
    stripped = text.strip(_STRIP)
    return stripped or text


def _cached(flow: Flow, key: tuple[Any, ...], build: Callable[..., T], *args: Any) -> T:
    """``build(*args)``, made once per flow and ``key``."""
    found = flow.cache.get(key)
    if found is None:
        found = flow.cache[key] = build(*args)
    return found


def _build_command_table(texts: Texts, locale: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for command in COMMANDS:
        for word in texts.words(f"system:cmd.{command}", locale):
            table.setdefault(normalise(word), command)
    return table


def command_table(flow: Flow, texts: Texts, locale: str) -> dict[str, str]:
    """Normalised command words of a locale -> command name."""
    return _cached(flow, ("commands", locale), _build_command_table, texts, locale)


def match_command(flow: Flow, texts: Texts, locale: str, text: str) -> str | None:
    """The global command the whole message asks for, if any."""
    return command_table(flow, texts, locale).get(normalise(text))


def _build_option_table(texts: Texts, node: QuestionNode, locale: str):
    table: dict[str, str | None] = {}
    for number, option in enumerate(node.options, start=1):
        words = [*texts.words(option.label, locale), option.value.replace("_", " ")]
        if option.emoji:
            words.append(option.emoji)
        if node.ask == "faces":
            words.append(option.value)
        else:
            words.append(str(number))
        for word in words:
            word = normalise(word)
            if not word:
                continue
            # A word that could mean two options means neither.
            if word in table and table[word] != option.value:
                table[word] = None
            else:
                table[word] = option.value
    labels = {normalise(w): v for w, v in table.items() if v is not None and not w.isdigit()}
    return table, labels


def _option_table(flow: Flow, texts: Texts, node: QuestionNode, locale: str):
    """(word -> value, labels in order) for a question's options in a locale."""
    return _cached(flow, ("options", node.flow_id, node.name, locale), _build_option_table,
                   texts, node, locale)


def _build_number_words(texts: Texts, locale: str) -> tuple[dict[str, int], list[str]]:
    table: dict[str, int] = {}
    for lang in dict.fromkeys((locale, "en")):
        words = texts.text("system:numbers", lang, "web").split("|")
        for value, word in enumerate(words):
            table.setdefault(normalise(word), value)
    return table, sorted(table, key=len, reverse=True)


def _number_words(flow: Flow, texts: Texts, locale: str) -> tuple[dict[str, int], list[str]]:
    """Number words -> value, and the words longest first."""
    return _cached(flow, ("numbers", locale), _build_number_words, texts, locale)


def _choose(flow: Flow, texts: Texts, node: QuestionNode, locale: str, text: str) -> str:
    table, labels = _option_table(flow, texts, node, locale)
    word = normalise(text)
    if word in table:
        found = table[word]
        if found is None:
            raise Invalid("choice")
        return found
    leading = _LEADING_INT.match(word)
    if leading and leading.group(2):
        # "3 sometimes" or "2. no": a number followed by that option's own words.
        number_value = table.get(leading.group(1))
        if number_value is not None and table.get(normalise(leading.group(2))) == number_value:
            return number_value
        raise Invalid("choice")  # a number and other words that do not agree
    if len(word) >= 3:
        starts = {v for w, v in labels.items() if w.startswith(word)}
        if len(starts) == 1:
            return starts.pop()
        # Typos ("alwyas"): the closest labels at 80% similar or more, if they agree.
        close = process.extract(word, labels.keys(), scorer=fuzz.ratio, score_cutoff=80,
                                limit=2)
        if close and len({labels[c[0]] for c in close}) == 1:
            return labels[close[0][0]]
    raise Invalid("choice")


def _integer(flow: Flow, texts: Texts, locale: str, text: str) -> int | None:
    word = normalise(text)
    if _INT.match(word):
        return int(word)
    words, longest_first = _number_words(flow, texts, locale)
    if word in words:
        return words[word]
    numbers = _ANY_INT.findall(word)
    if len(numbers) == 1:
        return int(numbers[0])
    # Number words inside a sentence ("I am fourteen", "tha mi ceithir deug"): the
    # longest phrase wins, so "ceithir deug" (14) is not read as "ceithir" (4).
    found: set[int] = set()
    remaining = f" {word} "
    for phrase in longest_first:
        if f" {phrase} " in remaining:
            found.add(words[phrase])
            remaining = remaining.replace(f" {phrase} ", " | ")
    return found.pop() if len(found) == 1 and not numbers else None


def _separator(flow: Flow, texts: Texts, locale: str) -> re.Pattern[str]:
    """Splits "1, 3 and 4": punctuation, or the word "and" in this language or English."""
    return _cached(flow, ("separator", locale), _build_separator, texts, locale)


def _build_separator(texts: Texts, locale: str) -> re.Pattern[str]:
    words = {normalise(texts.text("system:and", lang, "web")) for lang in (locale, "en")}
    joined = "|".join(re.escape(w) for w in sorted(words))
    return re.compile(r"\s*[,;/&+]\s*|\s+(?:" + joined + r")\s+")


def _multi(flow: Flow, texts: Texts, node: QuestionNode, locale: str, text: str) -> list[str]:
    parts = _separator(flow, texts, locale).split(normalise(text))
    picked: list[str] = []
    for part in (p for p in parts if p):
        try:
            picked.append(_choose(flow, texts, node, locale, part))
        except Invalid:
            # "1 3 5": numbers separated by spaces only.
            numbers = part.split(" ")
            if not all(n.isdigit() for n in numbers):
                raise
            picked.extend(_choose(flow, texts, node, locale, n) for n in numbers)
    return _check_multi(node, picked)


def _check_multi(node: QuestionNode, picked: list[str]) -> list[str]:
    order = [o.value for o in node.options]
    chosen = sorted(set(picked), key=order.index)
    if not chosen:
        raise Invalid("multi")
    if len(chosen) > 1 and node.exclusive & set(chosen):
        raise Invalid("exclusive")
    return chosen


def parse_answer(flow: Flow, texts: Texts, node: QuestionNode, locale: str, text: str,
                 max_chars: int) -> Any:
    """The answer value ``text`` gives to ``node``; raises Invalid if it is not one."""
    ask = node.ask
    if ask == "text":
        cleaned = text.strip()
        if not cleaned:
            raise Invalid("text")
        return cleaned[: min(node.max_length or max_chars, max_chars)]
    if ask == "multi":
        return _multi(flow, texts, node, locale, text)
    if ask in ("number", "scale"):
        value = _integer(flow, texts, locale, text)
        if value is None or not node.min <= value <= node.max:  # type: ignore[operator]
            raise Invalid(ask)
        return value
    try:
        value = _choose(flow, texts, node, locale, text)
    except Invalid:
        raise Invalid("consent" if ask == "consent" else "choice") from None
    return int(value) if ask == "faces" else value


def accept_value(node: QuestionNode, value: Any, max_chars: int) -> Any:
    """Check a structured answer (a tapped button on the web); raises Invalid."""
    ask = node.ask
    if ask == "text":
        if not isinstance(value, str) or not value.strip():
            raise Invalid("text")
        return value.strip()[: min(node.max_length or max_chars, max_chars)]
    if ask in ("number", "scale", "faces"):
        if isinstance(value, str) and _INT.match(value.strip()):
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(ask if ask != "faces" else "choice")
        low, high = (1, len(node.options)) if ask == "faces" else (node.min, node.max)
        if not low <= value <= high:  # type: ignore[operator]
            raise Invalid(ask if ask != "faces" else "choice")
        return value
    values = {o.value for o in node.options}
    if ask == "multi":
        picked = cast(list[Any], value) if isinstance(value, list) else None
        if picked is None or not all(isinstance(v, str) and v in values for v in picked):
            raise Invalid("multi")
        return _check_multi(node, picked)
    if not isinstance(value, str) or value not in values:
        raise Invalid("consent" if ask == "consent" else "choice")
    return value
