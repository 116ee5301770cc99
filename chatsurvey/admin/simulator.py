"""The simulator beside the editor: chat with the draft by web, SMS or both side by side,
in any of its languages.

Programme analysts only, like the editor (council admins try their local
questions on their own page, admin/local.py).

Stateless: the browser posts the draft's YAML, the conversation state it was
given last time (or none, to start) and the message; the server compiles the
draft, calls the pure engine (start or advance) and returns the replies, the
events (answer recorded, signpost, finished ...) and the new state. Nothing is
stored, no Redis, no response: a simulated conversation leaves no trace.

The state goes to the browser in its one serialised form, with the draft's
layout digest: the form names states and answers by position, so after an
edit that moves them the conversation must start again (a wording change
keeps it going).
"""

from __future__ import annotations

import re
from typing import Any

from flask import jsonify, request

from chatsurvey.admin.blueprint import analyst_only, bp
from chatsurvey.conversations import engine_options
from chatsurvey.councils.models import COUNTRIES
from chatsurvey.engine import Event, Flow, FlowError, State, StateError, advance, resume_from, start
from chatsurvey.engine.pretty import format_event
from chatsurvey.engine.state import layout
from chatsurvey.flows import editing

AGE_BAND = re.compile(r"[0-9]{1,2}-[0-9]{1,2}")
SHOWN_EVENTS = {"answer": "Answer recorded", "skipped": "Skipped", "signpost": "Signpost: help"
                " offered", "finished": "Finished", "consent": "Consent", "flow_entered":
                "Entered flow", "context_set": "Set", "invalid": "Not understood",
                "withdrawn": "Withdrawn: answers deleted", "restarted": "Restarted",
                "help": "Help shown", "answer_undone": "Went back", "error": "Error",
                "started": "Started", "truncated": "Cut short"}


def _event(event: Event) -> dict:
    return {"type": event.type, "label": SHOWN_EVENTS.get(event.type, event.type),
            "text": format_event(event).strip().lstrip("· ")}


def _restore(flow: Flow, given: Any) -> State:
    """The state the browser sent back; StateError if the draft moved under it."""
    if not isinstance(given, dict) or given.get("layout") != layout(flow):
        raise StateError("the draft changed under this conversation")
    text = given.get("state")
    if not isinstance(text, str):
        raise StateError("the draft changed under this conversation")
    return State.load(flow, text)


def _problem(message: str, status: int = 400):
    return jsonify(error=message), status


@bp.post("/simulator")
@analyst_only
def simulate():
    data: dict[str, Any] = request.get_json(silent=True) or {}
    source, flow_id = data.get("source"), data.get("flow_id")
    if not isinstance(source, str) or not isinstance(flow_id, str):
        return _problem("send the flow's YAML as source and its flow_id")
    try:
        flow = editing.compile_draft(source, flow_id)
    except FlowError as exc:
        first = exc.problems[0]
        return _problem("The draft has errors, so it cannot be played yet: "
                        f"line {first.line or '?'}: {first.message}", 422)
    return play(flow, data, "Your council")


def play(flow: Flow, data: dict[str, Any], council: str):
    """Start or go on with a simulated conversation on ``flow`` (JSON in, JSON out).

    ``channel: both`` plays the web chat and SMS side by side: two conversations
    given the same messages, each answer shown as that channel renders it.
    """
    given = data.get("state")
    both = data.get("channel") == "both" if given is None else (
        isinstance(given, dict) and isinstance(given.get("sides"), dict))
    if not both:
        turn = _turn(flow, data, council)
        return jsonify(turn) if "error" not in turn else _problem(turn["error"], turn["code"])
    sides = {}
    for channel in ("web", "sms"):
        side_given = given["sides"].get(channel) if given else None
        turn = _turn(flow, {**data, "channel": channel, "state": side_given}, council)
        if "error" in turn:
            return _problem(turn["error"], turn["code"])
        sides[channel] = turn
    going = [t["status"] for t in sides.values()]
    return jsonify(sides=sides, state={"sides": {c: t["state"] for c, t in sides.items()}},
                   status="active" if "active" in going else going[0])


def _turn(flow: Flow, data: dict[str, Any], council: str) -> dict:
    """One conversation's next turn, as the simulator shows it (or an error and its code)."""
    options = engine_options()
    given = data.get("state")
    if given is None:
        channel = "sms" if data.get("channel") == "sms" else "web"
        locale = data.get("locale") if data.get("locale") in flow.locales else None
        country = data.get("country") if data.get("country") in COUNTRIES else "england"
        band = data.get("age_band") if isinstance(data.get("age_band"), str) and \
            AGE_BAND.fullmatch(data["age_band"]) else None
        state, replies, events = start(flow, channel=channel, locale=locale, country=country,
                                       age_band=band, params={"council": council},
                                       options=options)
    else:
        message = data.get("message")
        if isinstance(message, dict):
            message = {k: v for k, v in message.items() if k in ("value", "command", "text")}
        elif not isinstance(message, str):
            return {"error": "send a message: text, or {\"value\": ...}", "code": 400}
        try:
            state, replies, events = advance(flow, _restore(flow, given), resume_from(message),
                                             options)
        except StateError:
            return {"error": "The draft changed under this conversation. Press Restart.",
                    "code": 409}
    return {"state": {"state": state.dump(flow), "layout": layout(flow)},
            "status": state.status, "replies": [r.as_dict() for r in replies],
            "events": [_event(e) for e in events]}
