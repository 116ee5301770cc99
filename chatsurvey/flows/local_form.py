"""The local questions' forms: add, change, move and delete a question without writing YAML.

Each change reads the council's block with ruamel.yaml's round-trip loader and
writes it back, so the comments and layout a person wrote stay where they were
and the YAML editor, the diff and `flows check` remain the truth. A form only
ever touches the council's own block (its ``local_`` states and messages): the
programme's questions are not in it, so there is nothing of theirs to change.
What the result may hold is still checked by chatsurvey/flows/lock.py before
anything is published.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString as Quoted

from chatsurvey.engine import FlowError, readability, sms
from chatsurvey.flows.local import read_block
from chatsurvey.flows.lock import LOCAL_PREFIX

ASKS = {"yesno": "Yes / No / Not sure", "choice": "Pick one answer",
        "multi": "Pick any answers", "text": "Their own words"}
NAME = re.compile(r"[a-z][a-z0-9_]{0,40}")


class FormError(ValueError):
    """A form that cannot be applied; ``problems`` by field, in words."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems


@dataclass
class QuestionForm:
    """One local question as the form shows it (and as it is posted back)."""

    name: str = ""
    slot: str = ""
    ask: str = "yesno"
    texts: dict[str, str] = field(default_factory=dict)
    """{locale: words}: English, and each translation."""
    options: list[str] = field(default_factory=list)
    """Choice answers, in English, one per line."""
    only_if: str = ""
    """Ask only if this earlier local question..."""
    only_if_answer: str = ""
    """...was answered this (its value, like yes)."""


def _yaml() -> YAML:
    yaml = YAML()  # round-trip: comments, order and quoting kept
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml


def load(source: str) -> CommentedMap:
    """The block, for editing; FormError if it is not YAML the block's own reader accepts
    (read first within its bounds: size, depth, no anchors)."""
    if source.strip():
        try:
            read_block(source)
        except FlowError as exc:
            raise FormError({"source": "; ".join(p.message for p in exc.problems[:2])}) from None
    data = _yaml().load(source) if source.strip() else None
    if not isinstance(data, CommentedMap):
        data = CommentedMap()
    for key in ("slots", "states", "messages"):
        if not isinstance(data.get(key), dict):
            data[key] = CommentedMap()
    return data


def dump(data: CommentedMap) -> str:
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def _text(value) -> str:
    return value if isinstance(value, str) else str((value or {}).get("text", ""))


def questions(source: str) -> list[QuestionForm]:
    """The block's questions in the order they are asked, slot by slot (none if unreadable)."""
    try:
        data = load(source)
    except FormError:
        return []
    found = []
    for slot, names in data["slots"].items():
        for name in names or []:
            spec = data["states"].get(name)
            if isinstance(spec, dict) and spec.get("type") == "question":
                found.append(_form_of(data, str(slot), str(name), spec))
    return found


def _form_of(data: CommentedMap, slot: str, name: str, spec: dict) -> QuestionForm:
    prompt = spec.get("prompt", name)
    texts = {"en": _text(data["messages"].get(prompt))}
    for locale, table in (data.get("translations") or {}).items():
        if isinstance(table, dict) and table.get(prompt):
            texts[str(locale)] = str(table[prompt])
    options = [_text(data["messages"].get(o if isinstance(o, str) else o.get("label",
                                                                          o.get("value"))))
               for o in spec.get("options") or []]
    when = spec.get("when") or {}
    return QuestionForm(name=name, slot=slot, ask=str(spec.get("ask", "")), texts=texts,
                        options=options, only_if=str(when.get("answer", "")),
                        only_if_answer=str(when.get("equals", "")))


def _full_name(name: str) -> str:
    name = name.strip().lower().replace(" ", "_").replace("-", "_")
    return name if name.startswith(LOCAL_PREFIX) else LOCAL_PREFIX + name


def _check(form: QuestionForm, data: CommentedMap, slots: dict[str, bool],
           adding: bool) -> dict[str, str]:
    problems = {}
    if not NAME.fullmatch(form.name.removeprefix(LOCAL_PREFIX) or "-"):
        problems["name"] = ("Give the question a short name in lower-case letters, digits and _,"
                            " like youth_club.")
    elif adding and form.name in data["states"]:
        problems["name"] = f"{form.name} is already one of your questions: choose another name."
    if not slots.get(form.slot):
        problems["slot"] = "Choose where it is asked."
    if form.ask not in ASKS:
        problems["ask"] = "Choose how young people answer."
    if not form.texts.get("en", "").strip():
        problems["text_en"] = "Write the question in English."
    if form.ask in ("choice", "multi") and len([o for o in form.options if o.strip()]) < 2:
        problems["options"] = "Write at least two answers, one on each line."
    if form.only_if and form.only_if not in data["states"]:
        problems["only_if"] = "Ask it only after one of your own earlier questions."
    return problems


def _options(form: QuestionForm, data: CommentedMap) -> CommentedSeq:
    values = CommentedSeq()
    for i, label in enumerate([o.strip() for o in form.options if o.strip()], start=1):
        key = f"{form.name}_{i}"
        data["messages"][key] = Quoted(label)
        values.append(key)
    return values


def _write(form: QuestionForm, data: CommentedMap) -> None:
    spec = data["states"].get(form.name)
    if not isinstance(spec, CommentedMap):
        spec = CommentedMap()
        data["states"][form.name] = spec
    old_options = [o for o in spec.get("options") or [] if isinstance(o, str)]
    for key in old_options:
        data["messages"].pop(key, None)
    spec["type"] = "question"
    spec["ask"] = form.ask
    spec["key"] = spec.get("key", form.name)
    spec["prompt"] = spec.get("prompt", form.name)
    if form.ask in ("choice", "multi"):
        spec["options"] = _options(form, data)
    else:
        spec.pop("options", None)
    if form.only_if:
        # quoted: the flows are read as YAML 1.1, where a bare yes is true, not "yes"
        spec["when"] = CommentedMap([("answer", form.only_if),
                                     ("equals", Quoted(form.only_if_answer))])
    else:
        spec.pop("when", None)
    data["messages"][spec["prompt"]] = Quoted(form.texts["en"].strip())
    for locale, words in form.texts.items():
        if locale == "en":
            continue
        table = data.setdefault("translations", CommentedMap()).setdefault(locale,
                                                                           CommentedMap())
        if words.strip():
            table[spec["prompt"]] = Quoted(words.strip())
        else:
            table.pop(spec["prompt"], None)


def _place(data: CommentedMap, name: str, slot: str) -> None:
    """``name`` in ``slot`` (at its end if it was not there), and in no other slot."""
    for other in list(data["slots"]):
        names = data["slots"][other]
        if other != slot:
            while name in names:
                names.remove(name)
            if not names:
                del data["slots"][other]
    names = data["slots"].setdefault(slot, CommentedSeq())
    if name not in names:
        names.append(name)


def save_question(source: str, form: QuestionForm, slots: dict[str, bool],
                  adding: bool) -> str:
    """The block with ``form`` added (or changed, if ``adding`` is false); FormError if not."""
    form.name = _full_name(form.name)
    data = load(source)
    if not adding and form.name not in data["states"]:
        raise FormError({"name": "That is not one of your local questions."})
    problems = _check(form, data, slots, adding)
    if problems:
        raise FormError(problems)
    _write(form, data)
    _place(data, form.name, form.slot)
    return dump(data)


def move_question(source: str, name: str, step: int) -> str:
    """The block with ``name`` one place earlier (step -1) or later (+1) in its slot."""
    data = load(source)
    for names in data["slots"].values():
        if name in names:
            i = names.index(name)
            j = min(max(i + step, 0), len(names) - 1)
            names.insert(j, names.pop(i))
            return dump(data)
    raise FormError({"name": "That is not one of your local questions."})


def delete_question(source: str, name: str) -> str:
    """The block without ``name``, its words, and any rule that asked it only after another."""
    data = load(source)
    spec = data["states"].get(name)
    if not isinstance(spec, dict) or not name.startswith(LOCAL_PREFIX):
        raise FormError({"name": "That is not one of your local questions."})
    for key in [spec.get("prompt"), *[o for o in spec.get("options") or []
                                      if isinstance(o, str)]]:
        data["messages"].pop(key, None)
        for table in (data.get("translations") or {}).values():
            table.pop(key, None)
    del data["states"][name]
    for slot in list(data["slots"]):
        names = data["slots"][slot]
        while name in names:
            names.remove(name)
        if not names:
            del data["slots"][slot]
    for other in data["states"].values():
        if isinstance(other, dict) and (other.get("when") or {}).get("answer") == name:
            other.pop("when")
    return dump(data)


def text_checks(text: str, target: int = 7) -> dict:
    """What the form shows beside a question's words: reading age and SMS length."""
    age = readability.reading_age(text) if text.strip() else None
    plain = sms.plain_punctuation(text)
    return {"reading_age": age, "target": target,
            "reads_ok": age is None or age <= target,
            "characters": len(plain), "segments": sms.segments(plain) if plain else 0,
            "encoding": sms.encoding(plain) if plain else "GSM-7"}
