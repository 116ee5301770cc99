"""Published flow versions, and their compiled form, cached for the life of the process.

A version never changes once published, so its compiled flow can be cached
forever; a conversation on version 3 keeps playing version 3 while version 4
is published. Publishing a flow pins the versions of the flows it enters
(``bundle``), so a conversation's sub-flows never change under it either.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from threading import Lock

from flask import Flask, current_app
from sqlalchemy import select

from chatsurvey.engine import Catalogue, Flow, FlowError, FlowLibrary, compile_flow, link
from chatsurvey.engine.compile import referenced_flows
from chatsurvey.engine.problems import ERROR, Problem
from chatsurvey.extensions import db
from chatsurvey.flows.models import FlowVersion

EXTENSION = "chatsurvey.flows"


class FlowStore:
    """Loads and compiles published flow versions; thread-safe LRU of compiled bundles."""

    def __init__(self, catalogue: Catalogue, size: int = 64) -> None:
        self.catalogue = catalogue
        self._compiled: OrderedDict[tuple[str, int], Flow] = OrderedDict()
        self._size = size
        self._lock = Lock()

    def get(self, flow_id: str, version: int) -> Flow:
        """The compiled, linked flow of a published version (KeyError if there is none)."""
        key = (flow_id, version)
        with self._lock:
            found = self._compiled.get(key)
            if found is not None:
                self._compiled.move_to_end(key)
                return found
        row = db.session.scalars(select(FlowVersion).where(
            FlowVersion.flow_id == flow_id, FlowVersion.version == version)).first()
        if row is None:
            raise KeyError(f"flow {flow_id} version {version} is not published")
        flow = self._compile(row)
        with self._lock:
            self._compiled[key] = flow
            while len(self._compiled) > self._size:
                self._compiled.popitem(last=False)
        return flow

    def warm(self) -> int:
        """Compile the flows of every open round now, so no young person waits for it."""
        from chatsurvey.columns import utcnow
        from chatsurvey.rounds.models import SurveyRound

        now = utcnow()
        rows = db.session.execute(
            select(FlowVersion.flow_id, FlowVersion.version).join(SurveyRound)
            .where(SurveyRound.opens_at <= now, SurveyRound.closes_at > now).distinct()).all()
        for flow_id, version in rows:
            self.get(flow_id, version)
        return len(rows)

    def _compile(self, row: FlowVersion) -> Flow:
        root = self._compile_one(row)
        pinned = {}
        for sub_id, sub_version in row.bundle.items():
            sub_row = db.session.scalars(select(FlowVersion).where(
                FlowVersion.flow_id == sub_id, FlowVersion.version == sub_version)).one()
            pinned[sub_id] = self._compile_one(sub_row)
        return link(root, pinned.get)

    def _compile_one(self, row: FlowVersion) -> Flow:
        flow = compile_flow(row.source, self.catalogue, f"{row.flow_id} v{row.version}")
        flow.version = row.version
        return flow

    def publish(self, source: str, name: str = "") -> FlowVersion:
        """Publish a flow's YAML as a new version, unless it is unchanged.

        The flows it enters must already be published; their latest versions
        are pinned. Raises FlowError if the flow or its links are broken.
        """
        flow = compile_flow(source, self.catalogue, name)
        bundle = self._bundle(flow)
        latest = FlowVersion.latest(flow.id)
        if latest is not None and latest.source == source and latest.bundle == bundle:
            return latest
        row = FlowVersion(flow_id=flow.id, version=(latest.version + 1) if latest else 1,
                          title=flow.title, survey=flow.survey, source=source, bundle=bundle)
        db.session.add(row)
        db.session.flush()
        return row

    def _bundle(self, flow: Flow) -> dict[str, int]:
        """{flow id: latest published version} for every flow ``flow`` can enter."""
        bundle: dict[str, int] = {}
        pending = [flow]
        while pending:
            current = pending.pop()
            for sub_id, _node in referenced_flows(current):
                if sub_id in bundle or sub_id == flow.id:
                    continue
                latest = FlowVersion.latest(sub_id)
                if latest is None:
                    raise FlowError([Problem(
                        ERROR, "missing-flow", f"enters flow '{sub_id}', which is not published"
                        " yet; publish it first", flow.doc.source if flow.doc else "")])
                bundle[sub_id] = latest.version
                pending.append(self._compile_one(latest))
        return bundle

    def publish_directory(self, path: str | Path) -> list[FlowVersion]:
        """Publish every flow in a directory, entered flows first; unchanged ones are skipped."""
        library = FlowLibrary.load([path])
        if library.problems:
            raise FlowError(library.problems)
        order: list[str] = []

        def visit(flow_id: str) -> None:
            if flow_id in order:
                return
            for sub_id, _node in referenced_flows(library.flows[flow_id]):
                if sub_id != flow_id:
                    visit(sub_id)
            order.append(flow_id)

        for flow_id in sorted(library.flows):
            visit(flow_id)
        return [self.publish(library.files[f].read_text("utf-8"), str(library.files[f]))
                for f in order]


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = FlowStore(Catalogue.from_directory(app.config["LOCALES_DIR"]))


def flow_store() -> FlowStore:
    """The current app's FlowStore."""
    return current_app.extensions[EXTENSION]
