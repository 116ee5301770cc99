"""The simulator beside the editor: chat with the draft, by SMS or web, in any of its languages.

Stateless: the browser posts the draft's YAML, the conversation state it was
given last time (or none, to start) and the message; the server compiles the
draft, calls the pure engine (start or advance) and returns the replies, the
events (answer recorded, signpost, finished ...) and the new state. Nothing is
stored, no Redis, no response: a simulated conversation leaves no trace.
"""

from __future__ import annotations

import re
from typing import Any

from flask import jsonify, request

from chatsurvey.admin.blueprint import bp, current_user, editors
from chatsurvey.conversations import engine_options
from chatsurvey.councils.models import COUNTRIES
from chatsurvey.engine import FlowError, StateError, advance, start
from chatsurvey.engine.pretty import format_event
from chatsurvey.flows import editing

AGE_BAND = re.compile(r"[0-9]{1,2}-[0-9]{1,2}")
SHOWN_EVENTS = {"answer": "Answer recorded", "skipped": "Skipped", "signpost": "Signpost: help"
                " offered", "finished": "Finished", "consent": "Consent", "flow_entered":
                "Entered flow", "context_set": "Set", "invalid": "Not understood",
                "withdrawn": "Withdrawn: answers deleted", "restarted": "Restarted",
                "help": "Help shown", "answer_undone": "Went back", "error": "Error",
                "started": "Started", "truncated": "Cut short"}


def _event(event: dict) -> dict:
    return {"type": event["type"], "label": SHOWN_EVENTS.get(event["type"], event["type"]),
            "text": format_event(event).strip().lstrip("· ")}


def _problem(message: str, status: int = 400):
    return jsonify(error=message), status


@bp.post("/simulator")
@editors
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
    options = engine_options()
    state = data.get("state")
    if state is None:
        channel = "sms" if data.get("channel") == "sms" else "web"
        locale = data.get("locale") if data.get("locale") in flow.locales else None
        country = data.get("country") if data.get("country") in COUNTRIES else "england"
        band = data.get("age_band") if isinstance(data.get("age_band"), str) and \
            AGE_BAND.fullmatch(data["age_band"]) else None
        council = editing.council_name(current_user()) or "Your council"
        state, replies, events = start(flow, channel=channel, locale=locale, country=country,
                                       age_band=band, params={"council": council},
                                       options=options)
    else:
        message = data.get("message")
        if isinstance(message, dict):
            message = {k: v for k, v in message.items() if k in ("value", "command", "text")}
        elif not isinstance(message, str):
            return _problem("send a message: text, or {\"value\": ...}")
        try:
            state, replies, events = advance(flow, state, message, options)
        except (StateError, KeyError, TypeError, ValueError, IndexError, AttributeError):
            return _problem("The draft changed under this conversation. Press Restart.", 409)
    return jsonify(state=state, status=state["status"], replies=replies,
                   events=[_event(e) for e in events])
