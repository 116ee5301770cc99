"""The conversation state: one frozen value, and its one serialised form.

``State`` is what ``start`` returns and ``advance`` takes and returns; the
host keeps it between messages as ``state.dump(flow)`` and reads it back
with ``State.load(flow, text)``. Nothing else about it is stored or sent.

The serialised form is compact JSON, because thousands of conversations
wait in memory between messages. A conversation is pinned to one flow
version, so names can be replaced by positions in that version: a state by
its index in the flow bundle, an answer by its question's index, a chosen
option by its index. An in-progress conversation of a 45-question survey
fits in well under a kilobyte. The form carries its format number (``"F"``):
a form this code does not know is refused with a StateError that says so,
never guessed at.

``State.load(flow, state.dump(flow)) == state`` for every state of that flow.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, cast

import orjson

from .model import Flow, QuestionNode

FORMAT = 1
"""The serialised form's format number; a change to its layout gets a new one."""

ACTIVE = "active"
STATUSES = (ACTIVE, "complete", "partial", "withdrawn", "declined", "failed")
_BY_OPTIONS = ("choice", "yesno", "consent", "frequency")
_EMPTY: Mapping[str, Any] = MappingProxyType({})

Place = tuple[str, str | None]
"""(flow id, state name) in the bundle; a name of None is the end of that flow."""

Step = tuple[str, str, tuple[Place, ...]]
"""An answered question (flow id, state name) and the sub-flow stack it was asked in."""


class StateError(ValueError):
    """The state does not belong to this flow version, or is damaged."""


def frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """A read-only view of ``mapping`` (which the caller must not keep changing)."""
    return MappingProxyType(mapping) if mapping else _EMPTY


def thawed(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """A changeable copy of ``mapping``: a dict's or a read-only view's own ``copy()``
    (``dict(view)`` is over ten times slower: it reads the view key by key)."""
    return mapping.copy()  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Context:
    """Who is answering, and how: what conditions test and replies are rendered for."""

    channel: str
    """"sms", "whatsapp", "web" or "paper" (WhatsApp is worded and numbered as SMS is)."""
    locale: str
    country: str | None = None
    age_band: str | None = None
    """The band of the survey being answered, e.g. "11-17"."""
    survey: str | None = None
    """The survey being answered (a bundle's sub-flow for an age band has its own)."""
    params: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    """Values passed in from the survey link, e.g. the council's name."""


@dataclass(frozen=True, slots=True)
class State:
    """Where one conversation stands between two messages. Never changed: ``advance``
    returns a new one."""

    flow: str
    version: int
    status: str
    """One of STATUSES; only "active" waits for a message."""
    at: Place | None
    """The question it waits at; None once it has ended."""
    stack: tuple[Place, ...]
    """Where each sub-flow being played returns to, innermost last."""
    answers: Mapping[str, Any]
    """Recorded answers by question key; None for a skipped question."""
    vars: Mapping[str, Any]
    """Answers to control questions (not recorded), kept for branching and piping."""
    history: tuple[Step, ...]
    """Recorded questions in the order answered, for "back"."""
    n: int
    """Counted questions answered or skipped so far ("question n of total")."""
    consent: bool | None
    retries: int
    """Answers in a row the waiting question did not understand."""
    signposted: bool
    """Whether the full offer of help was made already."""
    turns: int
    """Messages taken so far."""
    ctx: Context

    def dump(self, flow: Flow) -> str:
        """The serialised form, for ``flow`` (the version this conversation is pinned to)."""
        return dump(flow, self)

    @classmethod
    def load(cls, flow: Flow, text: str | bytes) -> State:
        """A state from its serialised form; StateError if it is not this flow version's."""
        return load(flow, text)


def new_state(flow: Flow, ctx: Context) -> State:
    """The state a conversation on ``flow`` begins in, before anything is said."""
    return State(flow=flow.id, version=flow.version, status=ACTIVE, at=(flow.id, flow.start),
                 stack=(), answers=_EMPTY, vars=_EMPTY, history=(), n=0, consent=None,
                 retries=0, signposted=False, turns=0, ctx=ctx)


class _Index:
    """Positions of every state of a bundle, and option positions of every question."""

    def __init__(self, root: Flow) -> None:
        flows = [root] + [root.bundle[i] for i in sorted(root.bundle) if i != root.id]
        self.flow_ids = [f.id for f in flows]
        self.positions: dict[Place, int] = {}
        self.places: list[Place] = []
        self.questions: dict[str, QuestionNode] = {}
        for flow in flows:
            for name, node in flow.nodes.items():
                self.positions[(flow.id, name)] = len(self.places)
                self.places.append((flow.id, name))
                if isinstance(node, QuestionNode) and node.key and node.record:
                    self.questions.setdefault(node.key, node)
        self.key_of = {str(self.positions[(n.flow_id, n.name)]): k
                       for k, n in self.questions.items()}
        self.ord_of = {k: o for o, k in self.key_of.items()}

    def pos(self, at: Place | None) -> int | None:
        if at is None:
            return None
        flow_id, name = at
        if name is None:
            return -1 - self.flow_ids.index(flow_id)
        return self.positions[at]

    def at(self, pos: int | None) -> Place | None:
        if pos is None:
            return None
        if pos < 0:
            return self.flow_ids[-1 - pos], None
        return self.places[pos]

    def layout(self) -> str:
        """What the positions refer to, as a short digest."""
        shape = [self.places, [(k, [o.value for o in q.options])
                               for k, q in self.questions.items()]]
        return hashlib.blake2b(orjson.dumps(shape), digest_size=6).hexdigest()


def _index(flow: Flow) -> _Index:
    found = flow.cache.get("state-index")
    if found is None:
        found = flow.cache["state-index"] = _Index(flow)
    return found


def layout(flow: Flow) -> str:
    """A digest of what serialised states of ``flow`` refer to by position.

    Two flows with the same layout read each other's serialised states the
    same way; a flow being edited (the simulator's draft) compares it to know
    whether a state from before the edit still means what it meant.
    """
    return _index(flow).layout()


def _encode(node: QuestionNode, value: Any) -> Any:
    if value is None:
        return None
    if node.ask in _BY_OPTIONS:
        return [o.value for o in node.options].index(value)
    if node.ask == "multi":
        values = [o.value for o in node.options]
        return [values.index(v) for v in value]
    return value


def _decode(node: QuestionNode, value: Any) -> Any:
    if value is None:
        return None
    if node.ask in _BY_OPTIONS:
        return node.options[cast(int, value)].value
    if node.ask == "multi":
        return [node.options[i].value for i in cast(list[int], value)]
    return value


def dump(flow: Flow, state: State) -> str:
    """The state as compact JSON (see the module docstring)."""
    index = _index(flow)
    ctx = state.ctx
    history: list[Any] = []
    for flow_id, name, stack in state.history:
        pos = index.pos((flow_id, name))
        history.append([pos, [index.pos(f) for f in stack]] if stack else pos)
    answers = {index.ord_of[key]: _encode(index.questions[key], value)
               for key, value in state.answers.items()}
    data = {
        "F": FORMAT, "f": state.flow, "v": state.version,
        "s": STATUSES.index(state.status), "a": index.pos(state.at),
        "k": [index.pos(f) for f in state.stack], "A": answers,
        "h": history, "c": state.consent, "r": state.retries,
        "g": int(state.signposted), "t": state.turns, "n": state.n,
        "x": [ctx.channel, ctx.locale, ctx.country, ctx.age_band, ctx.survey],
    }
    if state.vars:
        data["V"] = thawed(state.vars)
    if ctx.params:
        data["p"] = thawed(ctx.params)
    return orjson.dumps(data).decode("utf-8")


def load(flow: Flow, text: str | bytes) -> State:
    """The state from its compact JSON; StateError if it is not this flow version's."""
    try:
        data = orjson.loads(text)
        if data["F"] != FORMAT:
            raise StateError(f"the conversation state is in format {data['F']!r}; this version "
                             f"of chatsurvey reads format {FORMAT} only")
        if data["f"] != flow.id or data["v"] != flow.version:
            raise StateError(f"this conversation is on flow {data['f']} version {data['v']},"
                             f" not {flow.id} version {flow.version}")
        return _read(_index(flow), data)
    except StateError:
        raise
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise StateError(f"damaged conversation state ({type(exc).__name__})") from None


def _read(index: _Index, data: dict[str, Any]) -> State:
    counts, consent = (data["n"], data["r"], data["t"]), data["c"]
    if not all(type(c) is int for c in counts) or not (consent is None or type(consent) is bool):
        raise TypeError("counts")
    channel, locale, country, age_band, survey = data["x"]
    history: list[Any] = []
    for item in cast(list[int | list[Any]], data["h"]):  # a place, or [place, stack]
        pos, stack = (item[0], item[1]) if isinstance(item, list) else (item, ())
        flow_id, name = index.at(pos)  # type: ignore[misc]
        history.append((flow_id, name, tuple(index.at(f) for f in stack)))
    answers: dict[str, Any] = {}
    for ordinal, value in data["A"].items():
        key = index.key_of[ordinal]
        answers[key] = _decode(index.questions[key], value)
    return State(
        flow=data["f"], version=data["v"], status=STATUSES[cast(int, data["s"])],
        at=index.at(data["a"]), stack=tuple(cast(Place, index.at(f)) for f in data["k"]),
        answers=frozen(answers), vars=frozen(data.get("V")), history=tuple(history),
        n=data["n"], consent=data["c"], retries=data["r"], signposted=bool(data["g"]),
        turns=data["t"],
        ctx=Context(channel, locale, country, age_band, survey, frozen(data.get("p"))))
