"""The compiled form of a flow: what the runtime walks.

A flow document (YAML) is validated and compiled once into these objects;
they are treated as immutable afterwards, so a compiled flow can be shared by
every conversation on that version and can cache what it renders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .catalogue import Texts
    from .conditions import Condition
    from .source import SourceDoc

Lookup = Callable[[str, str | None], Any]
"""Finds an answer or a fact about who is answering: (subject, name) -> value or MISSING."""


@dataclass(frozen=True, slots=True)
class Option:
    """One answer a young person can pick; `label` is a qualified message key."""

    value: str
    label: str
    emoji: str | None = None
    icon: str | None = None
    """A picture shown beside the words on the web (a name in ``icons.known_icons()``)."""


@dataclass(frozen=True, slots=True)
class Message:
    """One text in the source language, with optional per-channel wording."""

    text: str
    sms: str | None = None
    web: str | None = None
    note: str | None = None
    synonyms: tuple[str, ...] = ()
    verbatim: str | None = None
    """The national survey this wording is kept word for word for (not simplified)."""
    bilingual: bool = False
    """Written in two languages at once (asked before the language is known)."""

    def variant_name(self, channel: str) -> str | None:
        """"sms" or "web" if this message has its own wording for the channel."""
        if channel == "sms" and self.sms:
            return "sms"
        if channel == "web" and self.web:
            return "web"
        return None

    def variant(self, channel: str) -> str:
        """The wording for a channel, falling back to the general text."""
        name = self.variant_name(channel)
        return getattr(self, name) if name else self.text


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    """A named state of a flow."""

    name: str
    flow_id: str
    next: str | None = None
    line: int | None = None

    kind = "node"


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageNode(Node):
    """Says something and moves on without waiting."""

    say: tuple[str, ...]
    kind = "message"


@dataclass(frozen=True, slots=True, kw_only=True)
class QuestionNode(Node):
    """Asks something and waits for the answer."""

    ask: str
    prompt: str
    key: str | None = None
    help: str | None = None
    options: tuple[Option, ...] = ()
    scale: str | None = None
    min: int | None = None
    max: int | None = None
    min_label: str | None = None
    max_label: str | None = None
    ends: bool = True
    """A 0-10 question adds "0 is ... 10 is ..." (false: its wording says it already)."""
    max_length: int | None = None
    exclusive: frozenset[str] = frozenset()
    core: bool = False
    sensitive: bool = False
    personal: bool = False
    record: bool = True
    count: bool = True
    sets: str | None = None
    signpost_if: Condition | None = None
    declined: str | None = None
    kind = "question"

    @property
    def counted(self) -> bool:
        """Whether the question shows in "question n of total"."""
        return self.record and self.count and self.ask != "consent"


@dataclass(frozen=True, slots=True, kw_only=True)
class BranchNode(Node):
    """Chooses the next state from earlier answers or who is answering."""

    cases: tuple[tuple[Condition, str], ...]
    otherwise: str
    kind = "branch"

    def pick(self, lookup: Lookup) -> str:
        """The next state, from the answers given so far (a missing one tests false)."""
        for test, target in self.cases:
            if test(lookup):
                return target
        return self.otherwise

    def decide(self, lookup: Lookup, unanswered: Callable[[str], bool]) -> str | None:
        """The next state, or None if it depends on an answer not given yet."""
        for test, target in self.cases:
            if test.reads and any(unanswered(key) for key in test.reads):
                return None
            if test(lookup):
                return target
        return self.otherwise

    def targets(self) -> list[str]:
        """Every state this branch can lead to, each once."""
        return list(dict.fromkeys([t for _, t in self.cases] + [self.otherwise]))


@dataclass(frozen=True, slots=True, kw_only=True)
class SubflowNode(Node):
    """Plays another flow, then comes back to `next`."""

    flow: str
    kind = "subflow"


@dataclass(frozen=True, slots=True, kw_only=True)
class EndNode(Node):
    """Ends this flow (or, with a status, the whole conversation)."""

    say: tuple[str, ...] = ()
    status: str | None = None
    kind = "end"


@dataclass(eq=False)
class Flow:
    """A compiled flow. `bundle` maps every flow id it may enter to its compiled flow."""

    id: str
    version: int
    title: str
    survey: str
    locales: tuple[str, ...]
    source_locale: str
    start: str
    nodes: dict[str, Node]
    messages: dict[str, Message]
    texts: Texts
    age_band: str | None = None
    reading_age: int | None = None
    requires_consent: bool = False
    signpost: str | None = None
    description: str = ""
    doc: SourceDoc | None = None
    bundle: dict[str, Flow] = field(default_factory=dict[str, "Flow"])
    cache: dict[Any, Any] = field(default_factory=dict[Any, Any], repr=False)

    def questions(self) -> list[QuestionNode]:
        """This flow's questions, in the order they are written."""
        return [n for n in self.nodes.values() if isinstance(n, QuestionNode)]

    def flow(self, flow_id: str) -> Flow:
        """A flow of this bundle by id (this flow itself included)."""
        return self.bundle[flow_id] if self.bundle else self

    def segment(self, name: str | None) -> tuple[int, str | None]:
        """From state ``name`` on, the counted questions met before the next decision point.

        A decision point is a branch, sub-flow or end (or the end of the flow,
        None). Progress counting jumps from one to the next instead of walking
        every state on every turn.
        """
        key = ("segment", name)
        found = self.cache.get(key)
        if found is None:
            count, current = 0, name
            for _ in range(len(self.nodes) + 1):
                node = self.nodes.get(current) if current else None
                if node is None or not isinstance(node, QuestionNode | MessageNode):
                    break
                if isinstance(node, QuestionNode):
                    count += node.counted
                current = node.next
            else:
                current = None  # a loop of messages and questions: lint reports it
            found = self.cache[key] = (count, current)
        return found
