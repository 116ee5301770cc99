"""Conversations as plain text, for the terminal and for golden-file tests."""

from __future__ import annotations

import json
from typing import Any

from .events import Event
from .replies import Reply, Widget

_INDENT = "     "


def _buttons(widget: Widget) -> str:
    shown: list[str] = []
    for option in widget.options:
        label = option.label
        if option.emoji:
            label = f"{option.emoji} {label}"
        shown.append(f"[{label}]")
    if widget.input in ("scale", "number"):
        ends: list[str] = []
        if widget.min_label:
            ends.append(f"{widget.min} = {widget.min_label}")
        if widget.max_label:
            ends.append(f"{widget.max} = {widget.max_label}")
        shown.append(f"[number {widget.min}-{widget.max}" +
                     (": " + ", ".join(ends) if ends else "") + "]")
    if widget.input == "text":
        shown.append(f"[text, up to {widget.max_length} letters]")
    if widget.skip:
        shown.append(f"[{widget.skip_label}]")
    return " ".join(shown)


def format_reply(reply: Reply) -> str:
    """One reply as the young person would see it, with its cost on SMS."""
    lines: list[str] = []
    widget = reply.widget
    if reply.progress:
        lines.append(reply.progress.text)
    if widget and widget.intro:
        lines.append(widget.intro)
    lines.extend(reply.text.split("\n"))
    if widget and widget.ends:
        lines.append(widget.ends)
    if reply.segments is not None:
        lines.append(f"[{reply.segments} segment{'s' if reply.segments != 1 else ''},"
                     f" {reply.encoding}]")
    elif widget:
        buttons = _buttons(widget)
        if buttons:
            lines.append(buttons)
    direction = " (rtl)" if reply.dir == "rtl" else ""
    first, *rest = lines
    return "\n".join([f"bot{direction}: {first}", *(_INDENT + line for line in rest)])


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str | list) else str(value)


def format_event(event: Event) -> str:
    """One event as a short line."""
    fields = event.as_dict()
    details = " ".join(f"{k}={_value(v)}" for k, v in fields.items() if k != "type")
    return f"{_INDENT}· {event.type}" + (f" {details}" if details else "")
