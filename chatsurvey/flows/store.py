"""Published flow versions, and their compiled form, cached for the life of the process.

A version never changes once published (its YAML, its translations and the
versions it enters are one row), so its compiled flow can be cached forever and
every process compiles the same words from it; a conversation on version 3
keeps playing version 3 while version 4 is published. Publishing is in
chatsurvey/flows/publish.py.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from flask import Flask, current_app
from sqlalchemy import select

from chatsurvey.engine import Catalogue, Flow, compile_flow, link
from chatsurvey.extensions import db
from chatsurvey.flows.models import FlowVersion

EXTENSION = "chatsurvey.flows"


def compile_version(row: FlowVersion) -> Flow:
    """One published version compiled with its own translations (its bundle not linked)."""
    flow = compile_flow(row.source, Catalogue.from_data(row.translations or {}),
                        f"{row.flow_id} v{row.version}")
    flow.version = row.version
    return flow


def find_version(flow_id: str, version: int) -> FlowVersion | None:
    """The row of a published version, or None."""
    return db.session.scalars(select(FlowVersion).where(
        FlowVersion.flow_id == flow_id, FlowVersion.version == version)).first()


class FlowStore:
    """Loads and compiles published flow versions; thread-safe LRU of compiled bundles."""

    def __init__(self, size: int = 64) -> None:
        self._compiled: OrderedDict[tuple, Flow] = OrderedDict()
        self._size = size
        self._lock = Lock()

    def get(self, flow_id: str, version: int) -> Flow:
        """The compiled, linked flow of a published version (KeyError if there is none)."""
        return self.cached((flow_id, version), lambda: self._compile(flow_id, version))

    def cached(self, key: tuple, build) -> Flow:
        """The flow kept under ``key``, built by ``build()`` the first time."""
        with self._lock:
            found = self._compiled.get(key)
            if found is not None:
                self._compiled.move_to_end(key)
                return found
        flow = build()
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

    def _compile(self, flow_id: str, version: int) -> Flow:
        row = find_version(flow_id, version)
        if row is None:
            raise KeyError(f"flow {flow_id} version {version} is not published")
        root = compile_version(row)
        pinned = {}
        for sub_id, sub_version in row.bundle.items():
            sub_row = find_version(sub_id, sub_version)
            if sub_row is None:
                raise KeyError(f"flow {sub_id} version {sub_version} is not published")
            pinned[sub_id] = compile_version(sub_row)
        return link(root, pinned.get)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = FlowStore()


def flow_store() -> FlowStore:
    """The current app's FlowStore."""
    return current_app.extensions[EXTENSION]
