"""A flow as a map: every state a node, every transition an edge labelled with its condition.

``flow_map`` turns a compiled flow (and every flow it enters) into plain data
the admin's map page lays out in the browser (chatsurvey/static/admin/flowmap.js,
with the vendored dagre layout library): one graph per flow, so the entry flow
with its four surveys (about 150 questions) stays readable; core questions
(locked for comparability), sensitive ones and a council's local questions are
marked; and for each age band, the states a young person of that band can pass
through. A condition is decided for a band only where it tests nothing but the
age band; anything else (an answer, the channel, the country) may go either way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from chatsurvey.engine.model import (
    BranchNode,
    EndNode,
    Flow,
    MessageNode,
    Node,
    QuestionNode,
    SubflowNode,
)

EXCERPT = 44
"""Characters of a question's words shown on its node."""

Href = Callable[[Flow, Node], str | None]


def _states(flow: Flow) -> dict[str, Any]:
    data = flow.doc.data if flow.doc and isinstance(flow.doc.data, dict) else {}
    return data.get("states") or {}


def _excerpt(flow: Flow, key: str | None) -> str:
    if not key:
        return ""
    try:
        text = flow.texts.message(key)[0].text
    except KeyError:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[:EXCERPT - 1].rstrip() + "…"


def condition_text(when: Any) -> str:
    """A condition as the flow writes it, on one short line: {age_band: 4-7}."""
    text = yaml.safe_dump(when, default_flow_style=True, allow_unicode=True, width=1000).strip()
    return text if len(text) <= 48 else text[:47] + "…"


def _node(flow: Flow, node: Node, spec: dict, href: Href, local: set[str]) -> dict:
    out: dict[str, Any] = {"id": node.name, "kind": node.kind, "href": href(flow, node),
                           "local": node.name in local}
    if isinstance(node, QuestionNode):
        out.update(text=_excerpt(flow, node.prompt), key=node.key, ask=node.ask,
                   core=node.core, sensitive=node.sensitive)
    elif isinstance(node, MessageNode):
        if spec.get("type") == "local":
            out.update(kind="slot", text=f"slot {spec.get('slot')}: councils' own questions")
        else:
            out["text"] = _excerpt(flow, node.say[0] if node.say else None)
    elif isinstance(node, SubflowNode):
        out.update(text=f"enters {node.flow}", enters=node.flow)
    elif isinstance(node, EndNode):
        out["text"] = "ends the conversation" if node.status else "end of this flow"
    return out


def _edges(node: Node, spec: dict) -> list[dict]:
    if isinstance(node, BranchNode):
        cases = spec.get("cases") or []
        edges = [{"from": node.name, "to": target,
                  "label": condition_text(cases[i].get("when")) if i < len(cases) else ""}
                 for i, (_test, target) in enumerate(node.cases)]
        return [*edges, {"from": node.name, "to": node.otherwise, "label": "otherwise"}]
    edges = [{"from": node.name, "to": node.next, "label": ""}] if node.next else []
    if isinstance(node, QuestionNode) and node.declined:
        edges.append({"from": node.name, "to": node.declined, "label": "no (declined)"})
    return edges


def band_decides(when: Any, band: str) -> bool | None:
    """True or False if ``when`` holds for a young person of ``band`` whatever else is so;
    None when it depends on something else (an answer, the channel, the country)."""
    if not isinstance(when, dict):
        return None
    if set(when) == {"age_band"}:
        bands = when["age_band"]
        return band in (bands if isinstance(bands, list) else [bands])
    if set(when) == {"not"}:
        inner = band_decides(when["not"], band)
        return None if inner is None else not inner
    if set(when) & {"all", "any"} and len(when) == 1:
        found = [band_decides(c, band) for c in next(iter(when.values())) or []]
        if "all" in when:
            return False if False in found else (True if all(found) else None)
        return True if True in found else (False if all(f is False for f in found) else None)
    return None


def band_path(root: Flow, band: str) -> dict[str, list[str]]:
    """{flow id: states} a young person of ``band`` can pass through, from ``root``'s start."""
    seen: dict[str, dict[str, None]] = {}
    pending = [(root.id, root.start)]
    while pending:
        flow_id, name = pending.pop()
        flow = root.flow(flow_id) if root.bundle else root
        node = flow.nodes.get(name)
        if node is None or name in seen.setdefault(flow_id, {}):
            continue
        seen[flow_id][name] = None
        if isinstance(node, BranchNode):
            pending.extend((flow_id, t) for t in _band_targets(node, _states(flow), band))
            continue
        if isinstance(node, SubflowNode) and node.flow in root.bundle:
            pending.append((node.flow, root.flow(node.flow).start))
        pending.extend((flow_id, t) for t in (node.next, getattr(node, "declined", None)) if t)
    return {flow_id: list(names) for flow_id, names in seen.items()}


def _band_targets(node: BranchNode, states: dict, band: str) -> list[str]:
    cases = (states.get(node.name) or {}).get("cases") or []
    targets = []
    for i, (_test, target) in enumerate(node.cases):
        decided = band_decides(cases[i].get("when") if i < len(cases) else None, band)
        if decided is not False:
            targets.append(target)
        if decided is True:
            return targets
    return [*targets, node.otherwise]


def _order(root: Flow) -> list[Flow]:
    """The root first, then the flows it enters (or offers help with) as first met."""
    order, pending = [root.id], [root]
    while pending:
        flow = pending.pop(0)
        entered = [n.flow for n in flow.nodes.values() if isinstance(n, SubflowNode)]
        for flow_id in [*entered, flow.signpost]:  # the signpost flow: entered to offer help
            if flow_id in root.bundle and flow_id not in order:
                order.append(flow_id)
                pending.append(root.flow(flow_id))
    return [root.flow(f) if root.bundle else root for f in order]


def flow_map(root: Flow, href: Href, local: set[str] | frozenset[str] = frozenset()) -> dict:
    """The map of ``root`` and the flows it enters: graphs, age bands and their paths."""
    flows = _order(root)
    graphs = []
    for flow in flows:
        states = _states(flow)
        nodes = [_node(flow, n, states.get(n.name) or {}, href, set(local))
                 for n in flow.nodes.values()]
        edges = [e for n in flow.nodes.values() for e in _edges(n, states.get(n.name) or {})
                 if e["to"] in flow.nodes]
        graphs.append({"id": flow.id, "title": flow.title, "version": flow.version,
                       "start": flow.start, "nodes": nodes, "edges": edges,
                       "questions": len(flow.questions())})
    bands = sorted({f.age_band for f in flows if f.age_band},
                   key=lambda b: tuple(int(x) for x in b.split("-")))
    return {"flows": graphs, "bands": bands,
            "paths": {band: band_path(root, band) for band in bands}}
