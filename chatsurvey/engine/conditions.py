"""Conditions in branches and `signpost_if`, compiled once and tested per turn.

Written in a flow as small mappings::

    {answer: age, between: [8, 11]}     # an earlier answer
    {age_band: 4-7}                     # who is answering: age_band, channel, locale, country
    {signpost: harm}                    # why the signpost flow was entered (harm, answer, asked)
    {param: council, is: set}           # a value passed in from the survey link
    {any: [...]}, {all: [...]}, {not: {...}}
    signpost_if: {lte: 4}               # on the question's own answer

A test on a missing or skipped answer is false (except `is:` tests), so a
young person who skips never triggers a branch meant for an answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

MISSING = object()

CONTEXT_SUBJECTS = ("age_band", "channel", "locale", "country", "signpost")
SUBJECTS = ("answer", "param", *CONTEXT_SUBJECTS)
OPERATORS = ("equals", "in", "not_in", "between", "lt", "lte", "gt", "gte", "contains", "is")
COMBINATORS = ("all", "any", "not")
ANSWER_STATES = ("answered", "skipped", "unanswered")
PARAM_STATES = ("set", "unset")


class ConditionError(ValueError):
    """A condition that cannot be understood; the message says why in plain words."""


def _number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _same(a: Any, b: Any) -> bool:
    if type(a) is str and type(b) is str:  # the usual case; str() would give them back as they are
        return a == b
    if _number(a) and _number(b):
        return a == b
    return str(a) == str(b)


def _is(arg: Any, value: Any) -> bool:
    if arg in ("answered", "set"):
        return value is not MISSING and value is not None
    if arg == "skipped":
        return value is None
    return value is MISSING if arg == "unanswered" else value is MISSING or value is None


_MATCHES: dict[str, Callable[[Any, Any], bool]] = {
    "equals": lambda arg, value: _same(value, arg),
    "in": lambda arg, value: any(_same(value, x) for x in arg),
    "not_in": lambda arg, value: not any(_same(value, x) for x in arg),
    "contains": lambda arg, value: isinstance(value, list) and any(
        _same(x, arg) for x in cast(list[Any], value)),
}
_COMPARES: dict[str, Callable[[Any, Any], bool]] = {
    "between": lambda arg, value: arg[0] <= value <= arg[1],
    "lt": lambda arg, value: value < arg,
    "lte": lambda arg, value: value <= arg,
    "gt": lambda arg, value: value > arg,
    "gte": lambda arg, value: value >= arg,
}


def _test_value(op: str, arg: Any, value: Any) -> bool:
    if op == "is":
        return _is(arg, value)
    if value is MISSING or value is None:
        return False
    if op in _MATCHES:
        return _MATCHES[op](arg, value)
    return _number(value) and _COMPARES[op](arg, value)


@dataclass(frozen=True, slots=True)
class Condition:
    """A compiled condition."""

    op: str
    arg: Any = None
    subject: str | None = None
    name: str | None = None
    parts: tuple[Condition, ...] = ()
    reads: frozenset[str] = frozenset()
    """Answer keys this condition reads (worked out once, when it is built)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "reads", frozenset(self.answer_keys()))

    def __call__(self, lookup: Callable[[str, str | None], Any]) -> bool:
        """Evaluate; ``lookup(subject, name)`` returns a value or MISSING."""
        if self.op == "all":
            return all(part(lookup) for part in self.parts)
        if self.op == "any":
            return any(part(lookup) for part in self.parts)
        if self.op == "not":
            return not self.parts[0](lookup)
        return _test_value(self.op, self.arg, lookup(self.subject or "own", self.name))

    def answer_keys(self) -> set[str]:
        """Answer keys this condition reads."""
        keys: set[str] = {self.name} if self.subject == "answer" and self.name else set()
        for part in self.parts:
            keys |= part.answer_keys()
        return keys


Spec = dict[str, Any]
"""A condition as the flow document writes it (checked by the schema first)."""


def _operator(spec: Spec, allowed: tuple[str, ...]) -> tuple[str, Any]:
    ops = [k for k in spec if k in allowed]
    if len(ops) != 1:
        if not ops:
            raise ConditionError("needs exactly one test, one of: " + ", ".join(allowed))
        raise ConditionError(
            "has more than one test (" + ", ".join(ops) + "); use all: [...] to combine")
    op = ops[0]
    arg: Any = spec[op]
    if op == "between" and arg[0] > arg[1]:
        raise ConditionError(f"between [{arg[0]}, {arg[1]}] is empty: put the smaller number first")
    return op, arg


def compile_condition(spec: Spec) -> Condition:
    """Compile a branch condition (schema-valid mapping) into a Condition."""
    combinators = [k for k in spec if k in COMBINATORS]
    if combinators:
        if len(spec) != 1:
            raise ConditionError(f"'{combinators[0]}' must stand alone in its condition")
        op = combinators[0]
        if op == "not":
            return Condition("not", parts=(compile_condition(spec["not"]),))
        return Condition(op, parts=tuple(compile_condition(s) for s in cast(list[Spec], spec[op])))
    subjects = [k for k in spec if k in SUBJECTS]
    if len(subjects) != 1:
        raise ConditionError(
            "needs one thing to test: " + ", ".join(SUBJECTS) if not subjects
            else "tests " + " and ".join(subjects) + " at once; use all: [...] to combine"
        )
    subject = subjects[0]
    if subject in CONTEXT_SUBJECTS:
        extra = [k for k in spec if k != subject]
        if extra:
            raise ConditionError(
                f"{subject} is tested by value, like {{{subject}: x}} or {{{subject}: [x, y]}};"
                f" remove {', '.join(extra)}"
            )
        value: Any = spec[subject]
        if isinstance(value, list):
            return Condition("in", tuple(cast(list[Any], value)), subject)
        return Condition("equals", value, subject)
    op, arg = _operator(spec, OPERATORS)
    if op == "is":
        allowed = ANSWER_STATES if subject == "answer" else PARAM_STATES
        if arg not in allowed:
            raise ConditionError(f"is: {arg} does not apply to {subject}; use one of "
                                 + ", ".join(allowed))
    arg = tuple(cast(list[Any], arg)) if isinstance(arg, list) else arg
    return Condition(op, arg, subject, spec[subject])


def compile_answer_test(spec: Spec) -> Condition:
    """Compile a `signpost_if` test on the question's own answer."""
    for combinator in ("any", "all"):
        if combinator in spec:
            if len(spec) != 1:
                raise ConditionError(f"'{combinator}' must stand alone in its condition")
            parts = tuple(compile_answer_test(s) for s in cast(list[Spec], spec[combinator]))
            return Condition(combinator, parts=parts)
    op, arg = _operator(spec, tuple(o for o in OPERATORS if o != "is"))
    return Condition(op, tuple(cast(list[Any], arg)) if isinstance(arg, list) else arg)
