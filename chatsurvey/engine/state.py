"""A compact form of the conversation state, for keeping thousands in memory.

The state ``advance`` works on is readable JSON: states by name, answers by
key, option values as words. Because a conversation is pinned to one flow
version, all of that can be replaced by positions in that version: a state
becomes its index in the flow bundle, an answer is keyed by its question's
index, and a chosen option by its index. An in-progress conversation of a
45-question survey then fits in well under a kilobyte.

``unpack(flow, pack(flow, state)) == state`` for every state of that flow.
"""

from __future__ import annotations

from typing import Any

import orjson

from .model import Flow, QuestionNode
from .runtime import STATE_FORMAT, StateError

FORMAT = 1
_STATUSES = ("active", "complete", "partial", "withdrawn", "declined", "failed")
_BY_OPTIONS = ("choice", "yesno", "consent", "frequency")


class _Index:
    """Positions of every state of a bundle, and option positions of every question."""

    def __init__(self, root: Flow) -> None:
        flows = [root] + [root.bundle[i] for i in sorted(root.bundle) if i != root.id]
        self.flow_ids = [f.id for f in flows]
        self.positions: dict[tuple[str, str], int] = {}
        self.places: list[tuple[str, str]] = []
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

    def pos(self, at: list | None) -> int | None:
        if at is None:
            return None
        flow_id, name = at
        if name is None:
            return -1 - self.flow_ids.index(flow_id)
        return self.positions[(flow_id, name)]

    def at(self, pos: int | None) -> list | None:
        if pos is None:
            return None
        if pos < 0:
            return [self.flow_ids[-1 - pos], None]
        return list(self.places[pos])


def _index(flow: Flow) -> _Index:
    found = flow.cache.get("state-index")
    if found is None:
        found = flow.cache["state-index"] = _Index(flow)
    return found


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
        return node.options[value].value
    if node.ask == "multi":
        return [node.options[i].value for i in value]
    return value


def pack(flow: Flow, state: dict) -> str:
    """The state as compact JSON."""
    index = _index(flow)
    ctx = state["ctx"]
    history = []
    for flow_id, name, stack in state["history"]:
        pos = index.pos([flow_id, name])
        history.append([pos, [index.pos(f) for f in stack]] if stack else pos)
    answers = {}
    for key, value in state["answers"].items():
        node = index.questions[key]
        answers[index.ord_of[key]] = _encode(node, value)
    data = {
        "F": FORMAT, "f": state["flow"], "v": state["version"],
        "s": _STATUSES.index(state["status"]), "a": index.pos(state["at"]),
        "k": [index.pos(f) for f in state["stack"]], "A": answers,
        "h": history, "c": state["consent"], "r": state["retries"],
        "g": int(state["signposted"]), "t": state["turns"], "n": state["n"],
        "x": [ctx["channel"], ctx["locale"], ctx.get("country"), ctx.get("age_band"),
              ctx.get("survey")],
    }
    if state.get("vars"):
        data["V"] = state["vars"]
    if ctx.get("params"):
        data["p"] = ctx["params"]
    return orjson.dumps(data).decode("utf-8")


def unpack(flow: Flow, text: str) -> dict:
    """The readable state from its compact JSON; StateError if it is not this flow's."""
    try:
        data = orjson.loads(text)
        if data["F"] != FORMAT or data["f"] != flow.id or data["v"] != flow.version:
            raise StateError(f"this conversation is on flow {data['f']} version {data['v']},"
                             f" not {flow.id} version {flow.version}")
        index = _index(flow)
        channel, locale, country, age_band, survey = data["x"]
        history = []
        for item in data["h"]:
            pos, stack = (item[0], item[1]) if isinstance(item, list) else (item, [])
            history.append([*index.at(pos), [index.at(f) for f in stack]])
        answers = {}
        for ordinal, value in data["A"].items():
            key = index.key_of[ordinal]
            answers[key] = _decode(index.questions[key], value)
        return {
            "v": STATE_FORMAT, "flow": data["f"], "version": data["v"],
            "status": _STATUSES[data["s"]],
            "at": index.at(data["a"]), "stack": [index.at(f) for f in data["k"]],
            "answers": answers, "vars": data.get("V", {}), "history": history,
            "n": data["n"], "consent": data["c"], "retries": data["r"],
            "signposted": bool(data["g"]), "turns": data["t"],
            "ctx": {"channel": channel, "locale": locale, "country": country,
                    "age_band": age_band, "survey": survey, "params": data.get("p", {})},
        }
    except StateError:
        raise
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise StateError(f"damaged conversation state ({type(exc).__name__})") from None
