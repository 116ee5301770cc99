"""What the flow editor does, without the pages: check a draft, compare, count running.

A draft is checked exactly as `flows check` would check it among the latest
published versions of every other flow (so a key asked differently elsewhere is
an error here too), with the translations of the flow's latest version.
Only programme analysts edit flows (chatsurvey/flows/lock.py); publishing is in
chatsurvey/flows/publish.py.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from chatsurvey.conversations.keyspace import sessions
from chatsurvey.engine import Catalogue, Flow, FlowError, compile_flow, link
from chatsurvey.engine.library import FlowLibrary
from chatsurvey.engine.lint import _comparable, check_flow  # _comparable: the cross-flow key check
from chatsurvey.engine.problems import ERROR, INFO, WARNING, Problem
from chatsurvey.extensions import db
from chatsurvey.flows.models import FlowVersion, latest_versions
from chatsurvey.flows.store import flow_store

LEVEL_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}


@dataclass
class CheckOutcome:
    """Problems and figures for the editor's panel."""

    flow: Flow | None
    problems: list[Problem] = field(default_factory=list)
    summary: dict = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == ERROR]

    def as_json(self) -> dict:
        return {"ok": not self.errors, "errors": len(self.errors),
                "warnings": sum(1 for p in self.problems if p.level == WARNING),
                "problems": [{"level": p.level, "code": p.code, "message": p.message,
                              "line": p.line, "where": p.where()} for p in self.problems],
                "summary": self.summary}


def _catalogue_of(flow_id: str) -> Catalogue:
    """The translations of the flow's latest version (none for a new flow)."""
    latest = FlowVersion.latest(flow_id)
    return Catalogue.from_data(latest.translations or {}) if latest else Catalogue()


def compile_draft(source: str, flow_id: str) -> Flow:
    """Compile and link a draft among the published flows; raises FlowError."""
    store = flow_store()
    latest = latest_versions()
    flow = compile_flow(source, _catalogue_of(flow_id), f"{flow_id}.yaml")
    if flow.id != flow_id:
        raise FlowError([Problem(ERROR, "flow-id", f"the id must stay '{flow_id}' (a new id is a"
                                 " new flow)", f"{flow_id}.yaml",
                                 flow.doc.line_of(("id",)) if flow.doc else None, None, "id")])

    def resolve(wanted: str) -> Flow | None:
        if wanted == flow.id:
            return flow
        row = latest.get(wanted)
        return store.get(row.flow_id, row.version) if row else None

    return link(flow, resolve)


def check_draft(source: str, flow_id: str) -> CheckOutcome:
    """Everything `flows check` says about the draft, among the latest published flows."""
    try:
        flow = compile_draft(source, flow_id)
    except FlowError as exc:
        return CheckOutcome(None, sorted(exc.problems, key=_order))
    store = flow_store()
    report = check_flow(flow, flow.texts.catalogue, f"{flow_id}.yaml")
    library = FlowLibrary()
    for other_id, row in latest_versions().items():
        library.flows[other_id] = store.get(row.flow_id, row.version)
        library.files[other_id] = Path(f"{other_id}.yaml")
    library.flows[flow.id] = flow
    library.files[flow.id] = Path(f"{flow.id}.yaml")
    cross = [p for p in _comparable(library) if p.source == f"{flow.id}.yaml"]
    summary = {"questions": report.questions, "minutes": report.minutes,
               "sms_one_segment": report.sms.get("one_segment_share"),
               "translations": {loc: t["complete"] for loc, t in report.translations.items()}}
    return CheckOutcome(flow, sorted(list(report.problems) + cross, key=_order), summary)


def _order(problem: Problem) -> tuple:
    return (LEVEL_ORDER.get(problem.level, 3), problem.line or 0)


def running_counts() -> Counter:
    """Conversations in progress per (flow id, version), sub-flows counted through pins."""
    roots: Counter = Counter(
        (c.flow_id, int(c.flow_version)) for c in sessions().running())
    counts = Counter(roots)
    if roots:
        rows = db.session.scalars(select(FlowVersion).where(
            FlowVersion.flow_id.in_({f for f, _ in roots})))
        for row in rows:
            running = roots.get((row.flow_id, row.version), 0)
            if running:
                for sub_id, sub_version in row.bundle.items():
                    counts[(sub_id, sub_version)] += running
    return counts


def diff_lines(old: str, new: str, old_name: str, new_name: str) -> list[tuple[str, str]]:
    """A unified diff as (kind, line): kind is add, del, hunk, head or same."""
    out = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), old_name, new_name,
                                     lineterm="", n=3):
        if line.startswith(("+++", "---")):
            kind = "head"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "same"
        out.append((kind, line))
    return out


NEW_FLOW = """spec_version: "1.0"
id: {flow_id}
title: A new flow
survey: {flow_id}
locales: [en]
reading_age: 7
start: hello

states:
  hello:
    type: message
    say: hello
  done:
    type: end
    say: thanks

messages:
  hello: "Hello!"
  thanks: "Thank you!"
"""
