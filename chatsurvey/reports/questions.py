"""The questions a round asked: every recorded question of every flow its responses came through.

A response records the flow the conversation started on (the entry flow,
``your-life``), and the age-band surveys are flows of that flow's bundle:
the questions are read from the whole bundle, so the report's words for a
question, the missing-data view and the raw-data exports know every one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from chatsurvey.engine import Flow
from chatsurvey.extensions import db
from chatsurvey.flows.models import FlowVersion
from chatsurvey.responses.models import Response


@dataclass
class Question:
    """One recorded question, as the first flow that asks it words it (in English)."""

    key: str
    label: str
    ask: str
    choices: list[str] = field(default_factory=list)
    low: int | None = None
    high: int | None = None
    personal: bool = False

    @property
    def is_open(self) -> bool:
        """Free text: never counted, never exported (it goes to comment review)."""
        return self.ask == "text"


@dataclass
class RoundQuestions:
    questions: dict[str, Question] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    """Age band -> the title of its survey flow."""


def _label(flow: Flow, node) -> str:
    try:
        return " ".join(flow.texts.text(node.prompt, "en", "web").split())
    except KeyError:
        return node.key.replace("_", " ")


def _add_flow(found: RoundQuestions, flow: Flow) -> None:
    if flow.age_band:
        found.titles.setdefault(flow.age_band, flow.title)
    for node in flow.questions():
        if not node.key or not node.record:
            continue
        known = found.questions.get(node.key)
        choices = [str(o.value) for o in node.options]
        if known is None:
            found.questions[node.key] = Question(
                node.key, _label(flow, node), node.ask, choices, node.min, node.max,
                bool(node.personal))
        else:
            known.choices += [c for c in choices if c not in known.choices]


def round_questions(round_id: int) -> RoundQuestions:
    """Every recorded question the round's responses could have answered, with its words."""
    from chatsurvey.flows.store import flow_store

    found = RoundQuestions()
    pairs = db.session.execute(select(Response.flow_id, Response.flow_version)
                               .where(Response.round_id == round_id).distinct()).all()
    for flow_id, version in sorted(pairs):
        try:
            flow = flow_store().get(flow_id, version)
        except KeyError:
            row = db.session.scalars(select(FlowVersion).where(
                FlowVersion.flow_id == flow_id)).first()
            if row is not None:
                found.titles.setdefault(flow_id, row.title)
            continue
        _add_flow(found, flow)
        for fid, member in sorted((flow.bundle or {}).items()):
            if fid != flow.id:
                _add_flow(found, member)
    return found
