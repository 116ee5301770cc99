"""Conversations as plain text, for the terminal and for golden-file tests."""

from __future__ import annotations

import json
from typing import Any

_INDENT = "     "


def _buttons(reply: dict) -> str:
    shown = []
    for option in reply.get("options", []):
        label = option["label"]
        if option.get("emoji"):
            label = f"{option['emoji']} {label}"
        shown.append(f"[{label}]")
    if reply.get("input") in ("scale", "number"):
        ends = []
        if reply.get("min_label"):
            ends.append(f"{reply['min']} = {reply['min_label']}")
        if reply.get("max_label"):
            ends.append(f"{reply['max']} = {reply['max_label']}")
        shown.append(f"[number {reply['min']}-{reply['max']}" +
                     (": " + ", ".join(ends) if ends else "") + "]")
    if reply.get("input") == "text":
        shown.append(f"[text, up to {reply['max_length']} letters]")
    if reply.get("skip"):
        shown.append(f"[{reply['skip_label']}]")
    return " ".join(shown)


def format_reply(reply: dict) -> str:
    """One reply as the young person would see it, with its cost on SMS."""
    lines = []
    if reply.get("progress"):
        lines.append(reply["progress"]["text"])
    if reply.get("intro"):
        lines.append(reply["intro"])
    lines.extend(reply["text"].split("\n"))
    if reply.get("ends"):
        lines.append(reply["ends"])
    if "segments" not in reply:
        buttons = _buttons(reply)
        if buttons:
            lines.append(buttons)
    else:
        lines.append(f"[{reply['segments']} segment{'s' if reply['segments'] != 1 else ''},"
                     f" {reply['encoding']}]")
    direction = " (rtl)" if reply.get("dir") == "rtl" else ""
    first, *rest = lines
    return "\n".join([f"bot{direction}: {first}", *(_INDENT + line for line in rest)])


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str | list) else str(value)


def format_event(event: dict) -> str:
    """One event as a short line."""
    details = " ".join(f"{k}={_value(v)}" for k, v in event.items() if k != "type")
    return f"{_INDENT}· {event['type']}" + (f" {details}" if details else "")
