"""The core lock: what a council admin may change in a shared flow, explained when refused.

Flows are shared by every council, and core questions are the benchmark set
(flows/README.md, "What `core` means"). A programme analyst may change
anything (`flows check` still has to pass). A council admin's draft is compared
with the latest published version and may only:

* **reword**: change any message's text, sms, web, note or synonyms, and point
  a state's ``say``, ``prompt``, ``help``, ``min_label``, ``max_label`` or an
  option's label at another message;
* **add local questions where the flow allows them**: new ``question`` and
  ``message`` states, reached only through a new branch that checks the
  council (``when: {param: council, equals: <the council's name as young people
  see it>}``), whose ``otherwise`` goes on to where the flow went before, and
  which lead back to that same state. So another council's young people never
  see them. Their keys start ``local_``, they are never ``core``, never
  consent, and never set the language or age band.

Everything else about an existing state (its type, key, ``ask``, scale,
answers, limits, conditions, routing) and every top-level field but
``version`` stays as published. Published for all councils: wording changes
reach every council's *new* rounds (running rounds and conversations stay on
the version they pinned).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chatsurvey.engine.lint import edges
from chatsurvey.engine.model import (
    BranchNode,
    EndNode,
    Flow,
    MessageNode,
    QuestionNode,
    SubflowNode,
)
from chatsurvey.engine.problems import ERROR, Problem

WORDING_FIELDS = ("say", "prompt", "help", "min_label", "max_label")
TOP_LEVEL_FREE = ("version", "states", "messages")
LOCAL_PREFIX = "local_"


@dataclass
class Lock:
    """The checker for one draft against its published version, for one council."""

    old: Flow
    new: Flow
    council: str
    """The council's name as young people see it (the flow's ``param.council``)."""

    def __post_init__(self) -> None:
        self.problems: list[Problem] = []

    def refuse(self, message: str, state: str | None = None, field: str | None = None) -> None:
        doc = self.new.doc
        path: tuple = ("states", state, *(field.split(".") if field else ())) if state else (
            (field,) if field else ())
        line = doc.line_of(path) if doc and path else None
        self.problems.append(Problem(ERROR, "core-lock", message, doc.source if doc else "",
                                     line, state, field))

    # -- the checks --

    def check(self) -> list[Problem]:
        old_data: dict = self.old.doc.data if self.old.doc else {}
        new_data: dict = self.new.doc.data if self.new.doc else {}
        for key in sorted(set(old_data) | set(new_data)):
            if key in TOP_LEVEL_FREE:
                continue
            if old_data.get(key) != new_data.get(key):
                self.refuse(f"'{key}' is set by the programme and cannot be changed by a council"
                            f" (it was {_show(old_data.get(key))})", field=key)
        for name, old_node in self.old.nodes.items():
            new_node = self.new.nodes.get(name)
            if new_node is None:
                what = "core question" if _is_core(old_node) else "state"
                self.refuse(f"the {what} '{name}' was removed or renamed; councils cannot remove"
                            " states of a shared flow. Put it back as it was", field="states")
                continue
            self._same_state(name, old_data["states"][name], new_data["states"][name],
                             old_node, new_node)
        for name, node in self.new.nodes.items():
            if name not in self.old.nodes:
                self._new_state(name, node)
        unique: dict[tuple, Problem] = {}
        for problem in self.problems:
            unique.setdefault((problem.message, problem.state, problem.field), problem)
        return list(unique.values())

    def _same_state(self, name: str, old_spec: dict, new_spec: dict, old_node, new_node) -> None:
        label = f"core question '{name}'" if _is_core(old_node) else f"state '{name}'"
        if old_spec.get("type") != new_spec.get("type"):
            self.refuse(f"the {label} must stay a {old_spec.get('type')}", name, "type")
            return
        for field in sorted(set(old_spec) | set(new_spec)):
            if field in WORDING_FIELDS or field in ("next", "otherwise", "declined"):
                continue
            before, after = old_spec.get(field), new_spec.get(field)
            if field == "options":
                before, after = _option_values(before), _option_values(after)
            elif field == "cases":
                before = [c.get("when") for c in before or ()]
                after = [c.get("when") for c in after or ()]
            if before != after:
                self.refuse(f"the {label}: '{field}' cannot be changed by a council (it was "
                            f"{_show(before)}, now {_show(after)}). Councils may reword it in"
                            " messages, not change what it asks or how it is answered",
                            name, field)
        for position, (old_target, new_target) in enumerate(zip(edges(old_node),
                                                                edges(new_node), strict=False)):
            if old_target is None and new_target is None:
                continue
            reached = self._default_path(new_target, name)
            if reached is not None and reached != old_target:
                self.refuse(f"the {label} now goes on to '{reached}' instead of '{old_target}'."
                            " Councils cannot change the order of a shared flow; add local"
                            " questions behind a council check instead", name,
                            _edge_field(new_node, position))

    def _default_path(self, target: str | None, origin: str) -> str | None:
        """Where ``target`` leads for every other council: through council checks only."""
        seen = set()
        while target is not None and target not in self.old.nodes and target not in seen:
            seen.add(target)
            node = self.new.nodes.get(target)
            if node is None:
                return None  # compile already reported it
            if self._is_council_check(node):
                target = node.otherwise
                continue
            self.refuse(f"'{target}' is new and would be said or asked to every council's young"
                        " people. Put it behind a council check: a branch with when: {param:"
                        f" council, equals: \"{self.council}\"}}", target)
            return None
        return target

    def _is_council_check(self, node) -> bool:
        wanted = {"param": "council", "equals": self.council}
        spec = (self.new.doc.data["states"].get(node.name) if self.new.doc else None) or {}
        return isinstance(node, BranchNode) and bool(spec.get("cases")) and all(
            case.get("when") == wanted for case in spec["cases"])

    def _new_state(self, name: str, node) -> None:
        spec = (self.new.doc.data["states"].get(name) if self.new.doc else None) or {}
        if isinstance(node, BranchNode):
            if not self._is_council_check(node):
                self.refuse("a council may add a branch only to check the council: every case"
                            f" must be when: {{param: council, equals: \"{self.council}\"}}",
                            name, "cases")
                return
            for _, target in node.cases:
                self._local_path(target, name, node.otherwise)
            return
        if isinstance(node, SubflowNode | EndNode):
            self.refuse(f"a council may add questions and messages, not a {node.kind} state",
                        name, "type")
            return
        if isinstance(node, QuestionNode):
            if spec.get("core"):
                self.refuse("a local question cannot be core: the benchmark set is the "
                            "programme's", name, "core")
            if node.ask == "consent":
                self.refuse("consent is asked by the programme's flow; a local question cannot"
                            " ask it", name, "ask")
            if node.sets:
                self.refuse("a local question cannot set the language or the age band", name,
                            "sets")
            if node.record and not (node.key or "").startswith(LOCAL_PREFIX):
                self.refuse(f"a local question's key must start with '{LOCAL_PREFIX}' (for"
                            f" example {LOCAL_PREFIX}{name}), so it never mixes with the"
                            " programme's questions", name, "key")

    def _local_path(self, target: str, origin: str, rejoin: str | None) -> None:
        """A council's own states must be new questions and messages leading back to ``rejoin``."""
        seen = set()
        while target not in self.old.nodes:
            if target in seen:
                return
            seen.add(target)
            node = self.new.nodes.get(target)
            if node is None or not isinstance(node, QuestionNode | MessageNode):
                return  # reported as a state of its own
            target = node.next
            if target is None:
                self.refuse(f"the council's questions after '{origin}' must lead back into the"
                            " flow", node.name, "next")
                return
        if target != _resolve_old(self, rejoin):
            self.refuse(f"the council's questions after '{origin}' must come back to"
                        f" '{_resolve_old(self, rejoin)}', where the flow goes on for everyone"
                        f" else (they lead to '{target}')", origin, "cases")


def _resolve_old(lock: Lock, target: str | None) -> str | None:
    seen = set()
    while target is not None and target not in lock.old.nodes and target not in seen:
        seen.add(target)
        node = lock.new.nodes.get(target)
        if not isinstance(node, BranchNode):
            return target
        target = node.otherwise
    return target


def _edge_field(node, position: int) -> str:
    if isinstance(node, BranchNode):
        return f"cases.{position}.next" if position < len(node.cases) else "otherwise"
    return "declined" if position == 1 else "next"


def _is_core(node) -> bool:
    return isinstance(node, QuestionNode) and node.core


def _option_values(options: Any) -> Any:
    if not isinstance(options, list):
        return options
    return [o if isinstance(o, str) else (o or {}).get("value") for o in options]


def _show(value: Any) -> str:
    if value is None:
        return "not set"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_lock(old: Flow, new: Flow, council: str) -> list[Problem]:
    """Why a council admin may not publish ``new`` over ``old`` (empty: they may)."""
    return Lock(old, new, council).check()
