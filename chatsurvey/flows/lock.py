"""Who may change what: the programme's flows, and what a council's local questions may hold.

The flows (the four surveys, the entry flow, support, contacts, closing) are
the programme's, shared by every council: only programme analysts change them
(``may_change_flows``; the admin refuses every other role on every route that
writes a flow, drafts included). Their helpline numbers and support wording
are therefore never a council's to change.

A council's own questions are its **local questions**: a block the council owns
(LocalQuestions), played at the slots the programme's flows declare (a
``type: local`` state, such as ``before_open_questions`` before the open
questions, or ``local_contacts`` after the helplines), and only in the
council's own rounds, which pin the block's version. ``check_block`` says, in
words a council admin understands, what a block may not do:

* add anything but questions and messages (no branch, sub-flow or end; no
  ``next``: a slot plays its states in the order it lists them);
* use a name, key or message key that does not start with ``local_``, so its
  answers never mix with the programme's;
* ask a ``core`` question, ask for consent, or set the language or age band;
* put a question in a slot that takes messages only (the contacts);
* test the ``param``s of the link (the council's name among them) in a
  condition: a block reaches one council only, so there is nothing to decide
  about who is answering, and nothing to smuggle;
* translate a message without its ``{placeholders}`` or phone numbers.

A block is also compiled into every programme flow with a slot it fills
(``chatsurvey.flows.local``), which finds anything else (a missing message, a
bad condition) with the block's line numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator

from chatsurvey.accounts.models import User
from chatsurvey.engine.problems import ERROR, WARNING, Problem
from chatsurvey.engine.render import placeholders
from chatsurvey.engine.source import SourceDoc
from chatsurvey.flows.catalogues import DIGITS

LOCAL_PREFIX = "local_"
MAX_CHARS = 20_000
"""The longest block read: room for dozens of questions, and every check stays quick."""
MAX_STATES = 40
BLOCK_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["slots", "states", "messages"],
    "properties": {
        "slots": {"type": "object", "minProperties": 1,
                  "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        "states": {"type": "object", "minProperties": 1, "maxProperties": MAX_STATES,
                   "additionalProperties": {"type": "object"}},
        "messages": {"type": "object"},
        "translations": {"type": "object", "propertyNames": {"pattern": "^[a-z]{2,3}(_[A-Z]{2})?$"},
                         "additionalProperties": {
                             "type": "object", "additionalProperties": {"type": "string"}}},
    },
}
ALLOWED_TYPES = ("question", "message")
FORBIDDEN_FIELDS = {
    "next": "a slot plays its states in the order it lists them; remove 'next'",
    "core": "a local question cannot be core: the benchmark set is the programme's",
    "sets": "a local question cannot set the language or the age band",
    "declined": "consent is asked by the programme's flow, not by local questions",
}


def may_change_flows(user: User) -> bool:
    """Only programme analysts change the programme's flows."""
    return user.is_analyst


class _Check:
    """Collects the problems of one block, each at its line."""

    def __init__(self, doc: SourceDoc) -> None:
        self.doc = doc
        self.problems: list[Problem] = []

    def refuse(self, message: str, *path: Any, level: str = ERROR) -> None:
        state = str(path[1]) if len(path) > 1 and path[0] == "states" else None
        field = ".".join(str(p) for p in path[2:]) if state else ".".join(map(str, path))
        self.problems.append(Problem(level, "local", message, self.doc.source,
                                     self.doc.line_of(tuple(path)), state, field or None))


def check_block(doc: SourceDoc, slots: dict[str, bool]) -> list[Problem]:
    """Why a council may not publish this block of local questions (empty: it may).

    ``slots`` are the slots the programme's latest flows declare: {slot: takes questions}.
    """
    check = _Check(doc)
    envelope = sorted(Draft202012Validator(BLOCK_SCHEMA).iter_errors(doc.data),
                      key=lambda e: list(e.absolute_path))
    for error in envelope:
        check.refuse(_envelope_words(error), *error.absolute_path)
    if envelope:
        return check.problems
    _slots(check, doc.data, slots)
    for name, spec in doc.data["states"].items():
        _state(check, name, spec)
    for key in doc.data["messages"]:
        if not str(key).startswith(LOCAL_PREFIX):
            check.refuse(f"a local message's key must start with '{LOCAL_PREFIX}' (for example"
                         f" {LOCAL_PREFIX}{key})", "messages", key)
    _translations(check, doc.data)
    return check.problems


ENVELOPE_WORDS = {
    "required": "needs {missing}: a block has slots, states and messages",
    "additionalProperties": "a block has slots, states, messages and translations, nothing else",
    "maxProperties": f"a block has at most {MAX_STATES} states",
    "minProperties": "needs at least one entry",
    "type": "must be {wanted}",
    "pattern": "is not a language code like cy, gd or ar",
}


def _envelope_words(error: Any) -> str:
    """A schema error about the block's outline, in words (never the whole value back)."""
    where = ".".join(map(str, error.absolute_path)) or "the block"
    missing = ", ".join(f"'{name}'" for name in error.validator_value
                        if isinstance(error.instance, dict) and name not in error.instance) \
        if error.validator == "required" else ""
    wanted = {"object": "a set of fields", "array": "a list", "string": "text"}.get(
        str(error.validator_value), str(error.validator_value))
    words = ENVELOPE_WORDS.get(error.validator, "is not what a block holds here")
    return f"{where}: {words.format(missing=missing, wanted=wanted)}"


def _slots(check: _Check, data: dict, offered: dict[str, bool]) -> None:
    placed: dict[str, str] = {}
    for slot, names in data["slots"].items():
        if slot not in offered:
            known = ", ".join(sorted(offered)) or "none yet"
            check.refuse(f"the programme's flows have no slot '{slot}' (they have: {known})",
                         "slots", slot)
            continue
        for name in names:
            spec = data["states"].get(name)
            if spec is None:
                check.refuse(f"'{name}' is not one of your states", "slots", slot)
            elif name in placed:
                check.refuse(f"'{name}' is already played in '{placed[name]}'; play each"
                             " state once", "slots", slot)
            elif spec.get("type") == "question" and not offered[slot]:
                check.refuse(f"'{slot}' takes messages only (like your own contacts), so"
                             f" '{name}' cannot be a question there", "slots", slot)
            placed.setdefault(name, slot)
    for name in data["states"]:
        if name not in placed:
            check.refuse(f"'{name}' is not in any slot, so nobody will see it", "states", name,
                         level=WARNING)


def _state(check: _Check, name: str, spec: dict) -> None:
    if not str(name).startswith(LOCAL_PREFIX):
        check.refuse(f"a local state's name must start with '{LOCAL_PREFIX}' (for example"
                     f" {LOCAL_PREFIX}{name})", "states", name)
    kind = spec.get("type")
    if kind not in ALLOWED_TYPES:
        check.refuse(f"local questions may add questions and messages, not a {kind or 'state'}"
                     " without a type", "states", name, "type")
        return
    for field, why in FORBIDDEN_FIELDS.items():
        if field in spec:
            check.refuse(why, "states", name, field)
    if kind == "question":
        if spec.get("ask") == "consent":
            check.refuse("consent is asked by the programme's flow, not by local questions",
                         "states", name, "ask")
        key = spec.get("key")
        if not isinstance(key, str) or not key.startswith(LOCAL_PREFIX):
            check.refuse(f"a local question needs a key starting '{LOCAL_PREFIX}' (for example"
                         f" {LOCAL_PREFIX}{name.removeprefix(LOCAL_PREFIX)}), so its answers"
                         " never mix with the programme's", "states", name, "key")
    for field in ("when", "signpost_if"):
        if any(subject == "param" for subject in _subjects(spec.get(field))):
            check.refuse("a condition cannot test the link's params (such as the council's"
                         " name): your local questions only ever reach your own council's"
                         " young people", "states", name, field)


def _subjects(condition: Any) -> Iterator[str]:
    """Every key of every mapping in a condition, combinators included (a hostile one too)."""
    if isinstance(condition, dict):
        for key, value in condition.items():
            yield str(key)
            yield from _subjects(value)
    elif isinstance(condition, list):
        for item in condition:
            yield from _subjects(item)


def _translations(check: _Check, data: dict) -> None:
    messages = data["messages"]
    for locale, table in (data.get("translations") or {}).items():
        for key, text in table.items():
            message = messages.get(key)
            if message is None:
                check.refuse(f"'{key}' is not one of your messages", "translations", locale,
                             key)
                continue
            english = message if isinstance(message, str) else (message or {}).get("text", "")
            if sorted(placeholders(text)) != sorted(placeholders(str(english))):
                check.refuse("keep the same {placeholders} as the English: "
                             f"{', '.join(placeholders(str(english))) or 'none'}",
                             "translations", locale, key)
            kept = text.replace(" ", "")
            lost = [n for n in (d.replace(" ", "") for d in DIGITS.findall(str(english)))
                    if n not in kept]
            if lost:
                check.refuse(f"the number(s) {', '.join(lost)} are missing", "translations",
                             locale, key)
