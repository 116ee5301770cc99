"""What the engine says: one frozen ``Reply`` per message, and its one JSON form.

A reply is a message, a notice (sorry, a hint) or a question. By SMS it is
plain text with the cost of sending it (``encoding``, ``segments``); on the
web a question also carries a ``Widget``: how to draw its answers. A widget
is the same in every conversation at that question, so it is made once per
language and kept with the compiled flow.

``as_dict()`` is the form the web chat API and stored outcomes carry (see
the OpenAPI document): one flat object per reply, without empty fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Button:
    """One answer to pick: the value sent back (``Tap``), and what it says."""

    value: str
    label: str
    emoji: str | None = None
    lang: str | None = None
    """Set when the label is in another language than the question (not yet translated)."""
    icon: str | None = None
    """A picture to show beside the label (web only): a name in ``icons.known_icons()``."""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value, "label": self.label}
        if self.emoji:
            out["emoji"] = self.emoji
        if self.icon:
            out["icon"] = self.icon
        if self.lang:
            out["lang"] = self.lang
        return out


@dataclass(frozen=True, slots=True)
class Progress:
    """"Question n of total", as numbers and in words."""

    n: int
    total: int
    text: str


@dataclass(frozen=True, slots=True)
class Widget:
    """How the web widget draws a question's answers (fields as in the API's reply)."""

    ask: str
    input: str
    """The kind of input: choice, faces, multi, scale, number or text."""
    options: tuple[Button, ...]
    skip: bool
    skip_label: str
    sensitive: bool
    intro: str | None = None
    """Said before a sensitive question: it may be skipped."""
    ends: str | None = None
    """What the ends of a scale mean."""
    min_label: str | None = None
    max_label: str | None = None
    send_label: str | None = None
    """The button that sends a multiple choice."""
    min: int | None = None
    max: int | None = None
    max_length: int | None = None

    def fields(self) -> dict[str, Any]:
        """The widget's part of a reply's JSON form."""
        out: dict[str, Any] = {
            "ask": self.ask, "input": self.input,
            "options": [b.as_dict() for b in self.options], "skip": self.skip,
            "skip_label": self.skip_label, "sensitive": self.sensitive}
        for name in ("intro", "ends", "min_label", "max_label", "send_label"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.ask in ("number", "scale"):
            out["min"], out["max"] = self.min, self.max
        if self.max_length is not None:
            out["max_length"] = self.max_length
        return out


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to send."""

    type: str
    """"message", "notice" (a nudge: not understood, cut short ...) or "question"."""
    text: str
    lang: str
    """The language ``text`` is in (a fallback may differ from the conversation's)."""
    dir: str
    """"ltr" or "rtl"."""
    key: str | None = None
    """A question's key."""
    progress: Progress | None = None
    """A counted web question's place; by SMS it is part of ``text``."""
    widget: Widget | None = None
    """A web question's answers."""
    encoding: str | None = None
    """SMS only: "GSM-7" or "UCS-2"."""
    segments: int | None = None
    """SMS only: the parts the text is sent in (each one is paid for)."""

    def as_dict(self) -> dict[str, Any]:
        """The reply's JSON form (see the module docstring)."""
        out: dict[str, Any] = {"type": self.type, "text": self.text}
        if self.type == "question":
            out["key"] = self.key
        if self.widget is not None:
            out.update(self.widget.fields())
        out["lang"], out["dir"] = self.lang, self.dir
        if self.progress is not None:
            out["progress"] = {"n": self.progress.n, "total": self.progress.total,
                               "text": self.progress.text}
        if self.segments is not None:
            out["encoding"], out["segments"] = self.encoding, self.segments
        return out
