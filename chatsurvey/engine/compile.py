"""Turn a flow document into a runnable Flow, or explain why it cannot run.

Validation happens in two layers: the published JSON Schema (shape and
spelling of every field) and the checks below that need the whole document
(every `next` names a state, every message key exists, options fit the
question type). Everything else a careful analyst wants to hear about
(unreachable states, loops, translations, SMS cost, reading age) is in lint.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Callable, Iterable
from importlib import resources
from typing import Any, cast, overload

from jsonschema import Draft202012Validator

# The stub gives best_match no return type (it returns one of the errors).
from jsonschema.exceptions import ValidationError, best_match  # pyright: ignore[reportUnknownVariableType]

from . import scales
from .catalogue import EMPTY, Catalogue, Texts, messages_from_data
from .conditions import Condition, ConditionError, compile_answer_test, compile_condition
from .icons import known_icons
from .model import (
    BranchNode,
    EndNode,
    Flow,
    MessageNode,
    Node,
    Option,
    QuestionNode,
    SubflowNode,
)
from .problems import ERROR, FlowError, Problem
from .source import FlowSyntaxError, Path, SourceDoc, is_mapping, parse_yaml

SPEC_VERSION = "1.0"
CHOICE_TYPES = ("choice", "multi")
BUILT_IN_OPTIONS = ("yesno", "faces", "frequency", "consent")
_AGE_BAND = re.compile(r"^\d{1,2}-\d{1,2}$")

_PATTERN_WORDS = {
    "^1\\.[0-9]+$": 'a flow language version in quotes, like "1.0"',
    "^[a-z0-9][a-z0-9-]{0,62}$": "lower-case letters, digits and dashes, like ylyc-8-11",
    "^[a-z][a-z0-9_]{0,62}$": "lower-case letters, digits and _, starting with a letter,"
                               " like safe_home",
    "^[a-z][a-z0-9_.]{0,126}$": "lower-case letters, digits, _ and dots, like safe_home.prompt",
    "^[a-z]{2,3}(_[A-Z]{2})?$": "a language code like en, cy, gd or ar",
    "^[0-9]{1,2}-[0-9]{1,2}$": "two ages joined by a dash, like 8-11",
    "^[a-z0-9][a-z0-9_-]{0,62}$": "lower-case letters, digits, _ and -, like most_of_the_time",
}
_TYPE_WORDS = {
    "string": "text", "integer": "a whole number", "boolean": "true or false",
    "array": "a list", "object": "a set of fields", "number": "a number", "null": "empty",
}


@functools.cache
def schema() -> dict[str, Any]:
    """The published JSON Schema of the flow language."""
    return json.loads(resources.files("chatsurvey.engine").joinpath("flow.schema.json")
                      .read_text("utf-8"))


@functools.cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


def _locate(path: Iterable[Any]) -> tuple[str | None, str | None]:
    """Split a document path into (state, field) for messages."""
    path = list(path)
    if len(path) >= 2 and path[0] == "states":
        rest = ".".join(str(p) for p in path[2:])
        return str(path[1]), rest or None
    if len(path) >= 2 and path[0] == "messages":
        rest = ".".join(str(p) for p in path[2:])
        return None, f"messages.{path[1]}" + (f".{rest}" if rest else "")
    return None, ".".join(str(p) for p in path) or None


def _missing(error: ValidationError) -> str:
    instance, required = error.instance, cast(list[str], error.validator_value)
    missing = [r for r in required if isinstance(instance, dict) and r not in instance]
    return "is missing " + ", ".join(f"'{m}'" for m in missing)


def _unknown(error: ValidationError) -> str:
    allowed = sorted(cast(dict[str, Any], error.schema).get("properties", {}))
    extra = sorted(set(error.instance) - set(allowed)) if is_mapping(error.instance) else []
    words: list[str] = []
    for name in extra:
        close = difflib.get_close_matches(str(name), allowed, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        words.append(f"'{name}'{hint}")
    return ("has " + ", ".join(words) + ", which the flow language does not know here;"
            " allowed: " + ", ".join(allowed))


def _one_of(error: ValidationError) -> str:
    # Ignore the alternatives whose very type is wrong: the analyst wrote the
    # other kind, and wants to hear what is wrong with that.
    relevant = [e for e in error.context if not (e.validator == "type" and not e.relative_path)]
    return _schema_message(cast(ValidationError, best_match(relevant or error.context)))


def _bound(v: str, value: Any) -> str | None:  # value: whatever the schema holds
    """Words for the schema's size and range limits."""
    if v in ("minItems", "maxItems"):
        return f"needs {'at least' if v == 'minItems' else 'at most'} {value} items"
    if v in ("minProperties", "maxProperties"):
        word = "at least" if v == "minProperties" else "at most"
        return f"needs {word} {value} {'entry' if value == 1 else 'entries'}"
    if v in ("minimum", "maximum"):
        return f"must be {'at least' if v == 'minimum' else 'at most'} {value}"
    if v == "maxLength":
        return f"must be at most {value} characters"
    return "must not be empty" if v == "minLength" else None


def _rule(error: ValidationError) -> Any:
    """The schema's value for the rule a value broke (the validator sets it on every error)."""
    return error.validator_value


_WORDS: dict[str, Callable[[ValidationError], str]] = {
    "required": _missing,
    "additionalProperties": _unknown,
    "enum": lambda e: (f"is {json.dumps(e.instance, ensure_ascii=False)}; it must be one of: "
                       + ", ".join(str(x) for x in _rule(e))),
    "type": lambda e: "must be " + " or ".join(
        str(_TYPE_WORDS.get(w, w)) for w in (
            _rule(e) if isinstance(_rule(e), list) else [_rule(e)])),
    "pattern": lambda e: (f"{json.dumps(e.instance, ensure_ascii=False)} is not allowed here; use "
                          + _PATTERN_WORDS.get(_rule(e),
                                               f"text matching {_rule(e)}")),
    "uniqueItems": lambda e: "lists the same item twice",
}


def _schema_message(error: ValidationError) -> str:
    """Say what is wrong with a value in words an analyst understands."""
    v = str(error.validator)
    if v in _WORDS:
        return _WORDS[v](error)
    if v in ("oneOf", "anyOf") and error.context:
        return _one_of(error)
    return _bound(v, error.validator_value) or error.message


def _schema_problems(doc: SourceDoc) -> list[Problem]:
    problems: list[Problem] = []
    # The stub leaves one overload of iter_errors untyped.
    errors: Iterable[ValidationError] = _validator().iter_errors(  # pyright: ignore[reportUnknownMemberType]
        doc.data)
    for error in sorted(errors, key=lambda e: list(e.absolute_path)):
        path = tuple(error.absolute_path)
        if "propertyNames" in error.schema_path and isinstance(error.instance, str):
            path = path + (error.instance,)  # point at the badly named entry itself
        state, field = _locate(path)
        problem = Problem(ERROR, "schema", _schema_message(error), doc.source,
                          doc.line_of(path), state, field)
        if problem not in problems:  # `required` reports once per missing field
            problems.append(problem)
    return problems


class _Builder:
    """Builds nodes from a schema-valid document, collecting problems as it goes."""

    def __init__(self, doc: SourceDoc) -> None:
        self.doc = doc
        self.data: dict[str, Any] = doc.data
        self.flow_id: str = self.data["id"]
        self.messages = messages_from_data(self.data.get("messages", {}))
        self.problems: list[Problem] = []

    def problem(self, message: str, state: str | None, field: str,
                code: str = "invalid") -> None:
        path = ("states", state or "", *field.split("."))
        self.problems.append(Problem(ERROR, code, message, self.doc.source,
                                     self.doc.line_of(path), state, field))

    @overload
    def message_key(self, key: str, state: str | None, field: str) -> str: ...

    @overload
    def message_key(self, key: str | None, state: str | None, field: str) -> str | None: ...

    def message_key(self, key: str | None, state: str | None, field: str) -> str | None:
        if key is None:
            return None
        if key not in self.messages:
            close = difflib.get_close_matches(key, list(self.messages), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            self.problem(f"uses message '{key}', which is not in messages{hint}", state, field,
                         "missing-message")
        return f"{self.flow_id}:{key}"

    def target(self, name: str, state: str, field: str) -> str:
        if name not in self.data["states"]:
            close = difflib.get_close_matches(name, list(self.data["states"]), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            self.problem(f"goes to '{name}', which is not a state{hint}", state, field,
                         "missing-state")
        return name

    def options(self, name: str, spec: dict[str, Any]) -> tuple[Option, ...]:
        ask = spec["ask"]
        given = spec.get("options")
        if ask in BUILT_IN_OPTIONS:
            if given:
                self.problem(f"{ask} questions have their answers built in; remove 'options'",
                             name, "options")
            if ask == "yesno":
                return scales.YESNO
            if ask == "consent":
                return scales.CONSENT
            if ask == "faces":
                return scales.FACES
            return self.named_scale(name, spec["scale"])
        if "scale" in spec and ask in CHOICE_TYPES:
            if given:
                self.problem("give either options or a scale, not both", name, "scale")
            return self.named_scale(name, spec["scale"])
        if not given:
            return ()
        if ask not in CHOICE_TYPES:
            self.problem(f"{ask} questions do not have options; remove 'options'", name,
                         "options")
            return ()
        return self.option_list(given, name, "options")

    def named_scale(self, name: str, scale: str) -> tuple[Option, ...]:
        """A built-in answer scale, or one of the flow's own ``scales:``."""
        own: dict[str, Any] = self.data.get("scales") or {}
        if scale in own:
            if scale in scales.FREQUENCY:
                self.problem(f"the flow's own scale '{scale}' has the name of a built-in "
                             "scale; give it another name", name, "scale")
            return self.option_list(own[scale], name, "scale")
        if scale in scales.FREQUENCY:
            return scales.FREQUENCY[scale]
        known = ", ".join([*scales.FREQUENCY, *own])
        self.problem(f"uses the scale '{scale}', which is neither built in nor under scales:"
                     f" ({known})", name, "scale")
        return ()

    def option_list(self, given: list[Any], name: str, field: str) -> tuple[Option, ...]:
        out = [self.option(item if is_mapping(item) else {"value": item}, name,
                           f"{field}.{i}") for i, item in enumerate(given)]
        values = [o.value for o in out]
        for value in sorted({v for v in values if values.count(v) > 1}):
            self.problem(f"lists the answer '{value}' more than once", name, field)
        return tuple(out)

    def option(self, item: dict[str, Any], name: str, where: str) -> Option:
        key: str = item.get("label", item["value"])
        label = self.message_key(key, name, where)
        icon = item.get("icon")
        if icon is not None and icon not in known_icons():
            self.problem(f"there is no picture called '{icon}' (the names are in "
                         "chatsurvey/static/openmoji/README.md)", name, f"{where}.icon",
                         "unknown_icon")
            icon = None
        return Option(item["value"], label, item.get("emoji"), icon)

    def question(self, name: str, spec: dict[str, Any], nxt: str | None,
                 line: int | None) -> QuestionNode:
        ask = spec["ask"]
        options = self.options(name, spec)
        if ask == "scale":
            low, high = spec.get("min", scales.SCALE_MIN), spec.get("max", scales.SCALE_MAX)
        else:
            low, high = spec.get("min"), spec.get("max")
        if low is not None and high is not None and low > high:
            self.problem(f"min ({low}) is bigger than max ({high})", name, "min")
        exclusive = frozenset(spec.get("exclusive", ()))
        unknown = exclusive - {o.value for o in options}
        if unknown:
            self.problem("exclusive names answers that are not options: " +
                         ", ".join(sorted(unknown)), name, "exclusive")
        sets = spec.get("sets")
        if sets == "locale":
            bad = [o.value for o in options if o.value not in self.data["locales"]]
            if ask != "choice" or bad:
                self.problem("a question that sets the locale must be a choice whose answers"
                             " are the flow's locales", name, "sets")
        if sets == "age_band":
            bad = [o.value for o in options if not _AGE_BAND.match(o.value)]
            if ask != "choice" or bad:
                self.problem("a question that sets the age band must be a choice whose answers"
                             " are age bands like 8-11", name, "sets")
        signpost_if = None
        if "signpost_if" in spec:
            try:
                signpost_if = compile_answer_test(spec["signpost_if"])
            except ConditionError as exc:
                self.problem(f"signpost_if {exc}", name, "signpost_if", "condition")
        if ask == "consent":
            declined = self.target(spec["declined"], name, "declined")
        else:
            declined = None
            if "declined" in spec:
                self.problem("only consent questions have 'declined'", name, "declined")
        return QuestionNode(
            name=name, flow_id=self.flow_id, next=nxt, line=line, ask=ask,
            prompt=self.message_key(cast(str, spec["prompt"]), name, "prompt"),
            key=spec.get("key"),
            help=self.message_key(spec.get("help"), name, "help"),
            options=options, scale=spec.get("scale"), min=low, max=high,
            min_label=self.message_key(spec.get("min_label"), name, "min_label"),
            max_label=self.message_key(spec.get("max_label"), name, "max_label"),
            max_length=spec.get("max_length"), exclusive=exclusive,
            ends=spec.get("ends", True),
            core=spec.get("core", False), sensitive=spec.get("sensitive", False),
            personal=spec.get("personal", False),
            record=spec.get("record", True) and ask != "consent",
            count=spec.get("count", True), sets=sets, signpost_if=signpost_if,
            declined=declined,
        )

    def say(self, value: str | list[str] | None, name: str) -> tuple[str, ...]:
        if value is None:
            return ()
        keys = [value] if isinstance(value, str) else value
        return tuple(self.message_key(k, name, "say") for k in keys)  # type: ignore[misc]

    def node(self, name: str, spec: dict[str, Any], following: str | None) -> Node:
        line = self.doc.line_of(("states", name))
        kind = spec["type"]
        nxt = self.target(spec["next"], name, "next") if "next" in spec else following
        if kind == "message":
            return MessageNode(name=name, flow_id=self.flow_id, next=nxt, line=line,
                               say=self.say(spec["say"], name))
        if kind == "question":
            return self.question(name, spec, nxt, line)
        if kind == "branch":
            cases: list[tuple[Condition, str]] = []
            for i, case in enumerate(spec["cases"]):
                target = self.target(case["next"], name, f"cases.{i}.next")
                try:
                    cases.append((compile_condition(case["when"]), target))
                except ConditionError as exc:
                    self.problem(f"this condition {exc}", name, f"cases.{i}.when", "condition")
            return BranchNode(name=name, flow_id=self.flow_id, line=line, cases=tuple(cases),
                              otherwise=self.target(spec["otherwise"], name, "otherwise"))
        if kind == "subflow":
            return SubflowNode(name=name, flow_id=self.flow_id, next=nxt, line=line,
                               flow=spec["flow"])
        if kind == "local":
            # Says nothing; splice() puts a council's own states after it.
            if nxt is None:
                self.problem("a slot for local questions must have a state after it", name,
                             "slot")
            return MessageNode(name=name, flow_id=self.flow_id, next=nxt, line=line, say=())
        return EndNode(name=name, flow_id=self.flow_id, line=line,
                       say=self.say(spec.get("say"), name), status=spec.get("status"))

    def build(self) -> dict[str, Node]:
        names = list(self.data["states"])
        nodes: dict[str, Node] = {}
        for i, name in enumerate(names):
            following = names[i + 1] if i + 1 < len(names) else None
            nodes[name] = self.node(name, self.data["states"][name], following)
        if self.data["start"] not in nodes:
            self.problems.append(Problem(
                ERROR, "missing-state", f"start names '{self.data['start']}', which is not a state",
                self.doc.source, self.doc.line_of(("start",)), None, "start"))
        slots = [spec["slot"] for spec in self.data["states"].values() if spec["type"] == "local"]
        for slot in sorted({s for s in slots if slots.count(s) > 1}):
            self.problems.append(Problem(
                ERROR, "invalid", f"the slot '{slot}' is declared more than once",
                self.doc.source, self.doc.line_of(("states",)), None, "states"))
        source_locale = self.data.get("source_locale", "en")
        if source_locale not in self.data["locales"]:
            self.problems.append(Problem(
                ERROR, "invalid", f"the source language {source_locale} must be one of the locales",
                self.doc.source, self.doc.line_of(("locales",)), None, "locales"))
        return nodes


def load_document(text: str, source: str = "") -> SourceDoc:
    """Parse flow YAML; raises FlowError with a line number if it cannot be read."""
    try:
        return parse_yaml(text, source)
    except FlowSyntaxError as exc:
        raise FlowError([Problem(ERROR, "syntax", exc.message, source, exc.line)]) from None


def compile_document(doc: SourceDoc, catalogue: Catalogue = EMPTY) -> Flow:
    """Validate and compile a parsed document; raises FlowError listing every error."""
    if not is_mapping(doc.data):
        raise FlowError([Problem(ERROR, "schema", "a flow must be a set of fields (id, title,"
                                 " states ...), not a single value", doc.source, 1)])
    spec = doc.data.get("spec_version")
    if isinstance(spec, str) and not spec.startswith("1."):
        raise FlowError([Problem(
            ERROR, "spec-version",
            f"this flow is written in flow language {spec}; this chatsurvey reads 1.x",
            doc.source, doc.line_of(("spec_version",)), None, "spec_version")])
    problems = _schema_problems(doc)
    if problems:
        raise FlowError(problems)
    builder = _Builder(doc)
    nodes = builder.build()
    if builder.problems:
        raise FlowError(builder.problems)
    data = doc.data
    source_locale = data.get("source_locale", "en")
    return Flow(
        id=data["id"], version=data.get("version", 1), title=data["title"],
        survey=data["survey"], locales=tuple(data["locales"]), source_locale=source_locale,
        start=data["start"], nodes=nodes, messages=builder.messages,
        texts=Texts(data["id"], builder.messages, source_locale, catalogue),
        age_band=data.get("age_band"), reading_age=data.get("reading_age"),
        requires_consent=data.get("requires_consent", False), signpost=data.get("signpost"),
        description=data.get("description", ""), doc=doc,
    )


def compile_flow(text: str, catalogue: Catalogue = EMPTY, source: str = "") -> Flow:
    """Parse, validate and compile flow YAML text."""
    return compile_document(load_document(text, source), catalogue)


def declared_slots(data: Any) -> dict[str, bool]:
    """The slots for local questions a flow document declares: {slot: takes questions}."""
    states: dict[str, Any] = (data.get("states") if is_mapping(data) else None) or {}
    return {spec["slot"]: spec.get("questions", True) for spec in states.values()
            if is_mapping(spec) and spec.get("type") == "local" and "slot" in spec}


def splice(doc: SourceDoc, local: SourceDoc) -> SourceDoc:
    """``doc`` with a council's local states played at the slots it declares.

    ``local.data`` is a council's local block: ``slots`` (slot name -> state names,
    in the order they are played), ``states`` and ``messages``. A state may carry
    ``when`` (a condition): it is then put behind a branch named ``when_<state>``.
    Each slot's states are written right after the slot, each leading to the next
    and the last to where the slot led, so the flow goes on as it did. A slot the
    block does not fill says nothing. The result still has to be compiled (which
    checks every state and message); a name written twice is refused here.
    """
    data: dict[str, Any] = doc.data
    slots: dict[str, Any] = local.data.get("slots") or {}
    own: dict[str, Any] = local.data.get("states") or {}
    names = list(data["states"])
    states: dict[str, Any] = {}
    lines = dict(doc.lines)
    for i, name in enumerate(names):
        spec = data["states"][name]
        items = slots.get(spec.get("slot")) if spec.get("type") == "local" else None
        if not items:
            states[name] = spec
            continue
        after = spec.get("next") or (names[i + 1] if i + 1 < len(names) else None)
        if after is None:
            raise FlowError([Problem(ERROR, "local", f"the slot '{name}' has no state after"
                                     " it", doc.source, doc.line_of(("states", name)))])
        chain = _chain(items, own, after, spec.get("questions", True), local)
        states[name] = {**{k: v for k, v in spec.items() if k != "next"}, "next": chain[0][0]}
        for added, added_spec, origin in chain:
            _refuse_twice(added, states, data["states"], local, ("states", origin))
            states[added] = added_spec
            where = ("states", origin, "when") if added != origin else ("states", origin)
            to = ("states", added, "cases", 0, "when") if added != origin else ("states", added)
            lines.update(_moved(local.lines, where, to))
            if added != origin:
                lines[("states", added)] = local.line_of(where) or 1
    messages: dict[str, Any] = dict(data.get("messages") or {})
    added_messages: dict[str, Any] = local.data.get("messages") or {}
    for key, message in added_messages.items():
        _refuse_twice(key, messages, {}, local, ("messages", key))
        messages[key] = message
        lines.update(_moved(local.lines, ("messages", key), ("messages", key)))
    return SourceDoc({**data, "states": states, "messages": messages}, lines, doc.source)


def _chain(items: list[Any], own: dict[str, Any], after: str, questions: bool,
           local: SourceDoc) -> list[tuple[str, dict[str, Any], str]]:
    """(state name, spec, name in the block) for a slot's states, guards included."""
    chain: list[tuple[str, dict[str, Any], str]] = []
    for position, item in enumerate(items):
        spec = dict(own.get(item) or {})
        if spec.get("type") == "question" and not questions:
            raise FlowError([Problem(ERROR, "local", f"'{item}' is a question, and this slot"
                                     " takes messages only", local.source,
                                     local.line_of(("states", item)), item, "type")])
        when = spec.pop("when", None)
        following = _entry(items[position + 1], own) if position + 1 < len(items) else after
        spec["next"] = following
        if when is not None:
            chain.append((f"when_{item}", {"type": "branch", "cases": [
                {"when": when, "next": item}], "otherwise": following}, item))
        chain.append((item, spec, item))
    return chain


def _entry(item: str, own: dict[str, Any]) -> str:
    """The first state of a block state: its guard if it has a condition."""
    return f"when_{item}" if "when" in (own.get(item) or {}) else item


def _refuse_twice(name: str, added: dict[str, Any], core: dict[str, Any], local: SourceDoc,
                  path: Path) -> None:
    if name in added or name in core:
        raise FlowError([Problem(ERROR, "local", f"'{name}' is already used by the flow;"
                                 " give it another name", local.source, local.line_of(path))])


def _moved(lines: dict[Path, int], old: Path, new: Path) -> dict[Path, int]:
    """The lines under path ``old`` of the block, as paths under ``new``."""
    return {new + path[len(old):]: line for path, line in lines.items()
            if path[:len(old)] == old}


def referenced_flows(flow: Flow) -> list[tuple[str, Node | None]]:
    """Flow ids this flow may enter, with the node that enters each (None for `signpost`)."""
    refs: list[tuple[str, Node | None]] = [
        (n.flow, n) for n in flow.nodes.values() if isinstance(n, SubflowNode)]
    if flow.signpost:
        refs.append((flow.signpost, None))
    return refs


def link(root: Flow, resolve: Callable[[str], Flow | None]) -> Flow:
    """Give ``root`` its bundle: every flow it can reach, resolved once and pinned."""
    problems: list[Problem] = []
    bundle: dict[str, Flow] = {root.id: root}
    pending = [root]
    while pending:
        flow = pending.pop()
        for flow_id, node in referenced_flows(flow):
            if flow_id in bundle:
                continue
            found = resolve(flow_id)
            if found is None:
                state, field = (node.name, "flow") if node else (None, "signpost")
                doc = flow.doc
                line = node.line if node else (doc.line_of(("signpost",)) if doc else None)
                problems.append(Problem(
                    ERROR, "missing-flow", f"enters flow '{flow_id}', which is missing or has"
                    " errors", doc.source if doc else "", line, state, field))
                continue
            bundle[flow_id] = found
            pending.append(found)
    if problems:
        raise FlowError(problems)
    root.bundle = bundle
    root.cache.clear()
    return root
