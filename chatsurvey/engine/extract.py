"""Babel extractors, so ``pybabel extract`` finds every message in flows.

Registered as the ``chatsurvey_flow`` and ``chatsurvey_system`` extraction
methods (see babel.cfg). Each message becomes one catalogue entry with
``msgctxt`` = ``<flow id>:<key>`` and the source text as ``msgid``; per-channel
wording and answer synonyms get their own entries (``#sms``, ``#web``,
``#synonyms``) with a note telling the translator what they are for.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any, cast

from .catalogue import SYSTEM, context
from .source import SourceDoc, is_mapping, parse_yaml

Extracted = tuple[int, str, tuple[str, str], list[str]]

_VARIANT_NOTES = {
    "sms": "Wording for text messages: keep it short (one SMS is 160 plain characters,"
           " or 70 with any accented letter or emoji).",
    "web": "Wording for the web chat only.",
    "synonyms": "Other words a young person may type for this answer, separated by |."
                " Add your own; they do not need to match the English ones.",
}


def _usage(data: dict[str, Any]) -> dict[str, list[str]]:
    """message key -> the states that use it, for translators' context."""
    used: dict[str, list[str]] = {}

    def note(key: Any, where: str) -> None:
        if isinstance(key, str):
            used.setdefault(key, []).append(where)

    states: dict[str, Any] = data.get("states") or {}
    for name, state in states.items():
        if not is_mapping(state):
            continue
        for field in ("prompt", "help", "min_label", "max_label"):
            note(state.get(field), f"{name}.{field}")
        say = state.get("say")
        for key in [say] if isinstance(say, str) else cast(list[Any], say or []):
            note(key, f"{name}.say")
        options: list[Any] = state.get("options") or []
        for option in options:
            if isinstance(option, str):
                note(option, f"{name}.options")
            elif is_mapping(option):
                note(option.get("label", option.get("value")), f"{name}.options")
    return used


def extract_messages(owner: str, doc: SourceDoc) -> Iterator[Extracted]:
    """Catalogue entries for the `messages` of a parsed document."""
    data = doc.data if is_mapping(doc.data) else {}
    usage = _usage(data)
    messages: dict[str, Any] = data.get("messages") or {}
    for key, value in messages.items():
        line = doc.line_of(("messages", key)) or 0
        spec: dict[str, Any] = {"text": value} if isinstance(value, str) else dict(value or {})
        if not isinstance(spec.get("text"), str):
            continue
        comments: list[str] = []
        if spec.get("note"):
            comments.append(str(spec["note"]))
        if spec.get("verbatim"):
            comments.append(f"Kept word for word for comparison with {spec['verbatim']}: use"
                            " its official translation where there is one.")
        if usage.get(key):
            comments.append("Used in: " + ", ".join(usage[key]))
        yield line, "pgettext", (context(owner, key), spec["text"]), comments
        for variant in ("sms", "web"):
            if isinstance(spec.get(variant), str):
                yield (line, "pgettext", (context(owner, key, variant), spec[variant]),
                       [*comments, _VARIANT_NOTES[variant]])
        synonyms = [str(s) for s in cast(list[Any], spec.get("synonyms") or [])]
        if synonyms:
            yield (line, "pgettext", (context(owner, key, "synonyms"), "|".join(synonyms)),
                   [*comments, _VARIANT_NOTES["synonyms"]])


def extract_flow(fileobj: IO[bytes], keywords: object, comment_tags: object,
                 options: object) -> Iterator[Extracted]:
    """Babel extraction method for flow YAML files."""
    doc = parse_yaml(fileobj.read().decode("utf-8"), getattr(fileobj, "name", ""))
    if is_mapping(doc.data) and isinstance(doc.data.get("id"), str):
        yield from extract_messages(doc.data["id"], doc)


def extract_system_messages(fileobj: IO[bytes], keywords: object, comment_tags: object,
                            options: object) -> Iterator[Extracted]:
    """Babel extraction method for the engine's own messages."""
    doc = parse_yaml(fileobj.read().decode("utf-8"), getattr(fileobj, "name", ""))
    yield from extract_messages(SYSTEM, doc)
