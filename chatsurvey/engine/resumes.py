"""What wakes a waiting conversation: a message, a tap, a command, or its end.

``advance(flow, state, resume)`` takes one of these. A young person's
message is ``Text`` (typed, by SMS or in the widget; a command word like
"stop" is read from it), ``Tap`` (an answer button in the widget) or
``Command`` (a command button). ``Expire`` (the conversation was left idle
too long) and ``QuickExit`` (the widget's quick-exit button) end it with
no message, keeping what can be kept: every change of status goes through
the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from .inputs import COMMANDS


@dataclass(frozen=True, slots=True)
class Text:
    """Words the young person typed (cut to ``Options.max_inbound_chars`` when read)."""

    text: str


@dataclass(frozen=True, slots=True)
class Tap:
    """An answer picked in the web widget: an option's value, a number, or a list of values."""

    value: Any


@dataclass(frozen=True, slots=True)
class Command:
    """A command button in the web widget: one of ``inputs.COMMANDS``."""

    name: str

    def __post_init__(self) -> None:
        if self.name not in COMMANDS:
            raise ValueError(f"command must be one of {', '.join(COMMANDS)}, not {self.name!r}")


@dataclass(frozen=True, slots=True)
class Expire:
    """The conversation was abandoned: it ends as "partial" (kept if worth keeping)."""


@dataclass(frozen=True, slots=True)
class QuickExit:
    """The young person left with the quick-exit button: it ends as "partial", like Expire."""


Resume = Text | Tap | Command | Expire | QuickExit
"""Anything ``advance`` takes."""


def resume_from(message: Any) -> Resume:
    """The resume for a message as the channels receive it.

    Text (``str``), or from the web widget ``{"value": ...}`` for a tapped
    answer, ``{"command": ...}`` for a command button, or ``{"text": ...}``.
    Anything else is read as text; a command the engine does not know is an
    empty message (not an answer, so the question is asked again).
    """
    if isinstance(message, Mapping):
        message = cast(Mapping[str, Any], message)
        command = message.get("command")
        if isinstance(command, str):
            return Command(command) if command in COMMANDS else Text("")
        if "value" in message:
            return Tap(message["value"])
        message = message.get("text")
    return Text("" if message is None else str(message))
