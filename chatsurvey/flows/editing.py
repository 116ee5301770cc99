"""What the flow pages do, without the pages: check a draft, publish, roll back, count running.

A draft is checked exactly as `flows check` would check it among the latest
published versions of every other flow (so a key asked differently elsewhere is
an error here too), plus the core lock for council admins.

Publishing pins the latest versions of the flows a flow enters (chatsurvey.flows.store), so a
new version of a survey flow would reach nobody until the entry flow is
published again: after publishing, every flow whose latest version enters the
changed one (directly or not) is published again with the same YAML, pinning the
new version. Conversations in progress and rounds already open keep the
versions they pinned; new rounds get the new ones.
"""

from __future__ import annotations

import difflib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from chatsurvey.accounts.models import User
from chatsurvey.conversations.keyspace import IDLE, record_key
from chatsurvey.engine import Flow, FlowError, compile_flow, link
from chatsurvey.engine.library import FlowLibrary
from chatsurvey.engine.lint import _comparable, check_flow  # _comparable: the cross-flow key check
from chatsurvey.engine.problems import ERROR, INFO, WARNING, Problem
from chatsurvey.extensions import db, redis_client
from chatsurvey.flows.lock import check_lock
from chatsurvey.flows.models import FlowVersion
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


def latest_versions() -> dict[str, FlowVersion]:
    """The latest published version of every flow, by flow id."""
    newest = select(FlowVersion.flow_id, func.max(FlowVersion.version).label("v")).group_by(
        FlowVersion.flow_id).subquery()
    rows = db.session.scalars(select(FlowVersion).join(
        newest, (FlowVersion.flow_id == newest.c.flow_id)
        & (FlowVersion.version == newest.c.v)).order_by(FlowVersion.flow_id))
    return {row.flow_id: row for row in rows}


def compile_draft(source: str, flow_id: str) -> Flow:
    """Compile and link a draft among the published flows; raises FlowError."""
    store = flow_store()
    latest = latest_versions()
    flow = compile_flow(source, store.catalogue, f"{flow_id}.yaml")
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


def check_draft(source: str, flow_id: str, user: User) -> CheckOutcome:
    """Everything `flows check` says about the draft, and the core lock for council admins."""
    try:
        flow = compile_draft(source, flow_id)
    except FlowError as exc:
        return CheckOutcome(None, sorted(exc.problems, key=_order))
    store = flow_store()
    report = check_flow(flow, store.catalogue, f"{flow_id}.yaml")
    latest = latest_versions()
    library = FlowLibrary(catalogue=store.catalogue)
    for other_id, row in latest.items():
        library.flows[other_id] = store.get(row.flow_id, row.version)
        library.files[other_id] = Path(f"{other_id}.yaml")
    library.flows[flow.id] = flow
    library.files[flow.id] = Path(f"{flow.id}.yaml")
    cross = [p for p in _comparable(library) if p.source == f"{flow.id}.yaml"]
    problems = list(report.problems) + cross
    if not user.is_analyst and flow_id in latest:
        published = store.get(flow_id, latest[flow_id].version)
        problems += check_lock(published, flow, council_name(user))
    elif not user.is_analyst:
        problems.append(Problem(ERROR, "core-lock", "only programme analysts can add a new flow",
                                f"{flow_id}.yaml", 1))
    summary = {"questions": report.questions, "minutes": report.minutes,
               "sms_one_segment": report.sms.get("one_segment_share"),
               "translations": {loc: t["complete"] for loc, t in report.translations.items()}}
    return CheckOutcome(flow, sorted(problems, key=_order), summary)


def _order(problem: Problem) -> tuple:
    return (LEVEL_ORDER.get(problem.level, 3), problem.line or 0)


def council_name(user: User) -> str:
    """The name young people of the user's council see (the flows' ``param.council``)."""
    return user.tenant.display_name if user.tenant else ""


def publish(source: str, flow_id: str) -> list[FlowVersion]:
    """Publish a checked draft, then re-pin the flows that enter it; returns the new versions."""
    store = flow_store()
    before = latest_versions()
    row = store.publish(source, f"{flow_id}.yaml")
    published = [row] if before.get(flow_id) is not row else []
    changed = {flow_id} if published else set()
    while changed:
        newly: set[str] = set()
        for parent_id, parent in latest_versions().items():
            if parent_id in changed or not set(parent.bundle) & changed:
                continue
            again = store.publish(parent.source, f"{parent_id}.yaml")
            if again.id != parent.id:
                published.append(again)
                newly.add(parent_id)
        changed = newly
    return published


def running_counts() -> Counter:
    """Conversations in progress per (flow id, version), sub-flows counted through pins."""
    redis = redis_client()
    ids = [c.decode() for c in redis.zrange(IDLE, 0, -1)]
    roots: Counter = Counter()
    for start in range(0, len(ids), 500):
        pipe = redis.pipeline(transaction=False)
        for cid in ids[start:start + 500]:
            pipe.getrange(record_key(cid), 0, 511)
        for raw in pipe.execute():
            if not raw:
                continue
            line = raw.decode("utf-8", "replace").partition("\n")[0]
            try:
                meta = json.loads(line)
                roots[(meta["flow_id"], int(meta["flow_version"]))] += 1
            except (ValueError, KeyError, TypeError):
                continue
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
