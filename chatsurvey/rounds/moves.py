"""What moving a round to the latest published versions would change, before anyone does it.

A round pins a flow version and its council's local questions version when it
is set up; publishing changes neither. ``pending`` compares what a round pins
with the latest versions: the YAML of every flow it plays that changed (a flow
that enters another is published again to pin it, so the entry flow's own YAML
may be the same while a survey it enters changed), the council's local
questions, and every **core** question whose words or answers changed: results
after the move would not be comparable with earlier rounds (or with the
benchmark) for those questions. The move itself is
``chatsurvey.rounds.actions.move_to_latest``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from chatsurvey.engine.model import Flow, QuestionNode
from chatsurvey.extensions import db
from chatsurvey.flows.editing import diff_lines
from chatsurvey.flows.models import FlowVersion, LocalQuestions
from chatsurvey.flows.store import flow_store
from chatsurvey.rounds.models import CLOSED, SurveyRound


@dataclass(frozen=True)
class Change:
    """One changed part of what a round plays: a flow or the local questions, as a diff."""

    title: str
    lines: list[tuple[str, str]]
    words_only: bool = False
    """Only translations changed (the YAML is the same)."""


@dataclass(frozen=True)
class PendingMove:
    """A round that is not on the latest versions, and what moving it would change."""

    survey_round: SurveyRound
    flow_to: FlowVersion
    local_to: LocalQuestions | None
    changes: list[Change] = field(default_factory=list)
    core_changed: list[str] = field(default_factory=list)
    """Plain-words lines, one per core question whose wording or answers changed."""

    @property
    def flow_from(self) -> FlowVersion:
        return self.survey_round.flow_version

    @property
    def local_from(self) -> LocalQuestions | None:
        return self.survey_round.local_questions

    @property
    def target(self) -> str:
        """The versions moved to, as the form posts them back ("12:3", or "12:")."""
        return f"{self.flow_to.id}:{self.local_to.id if self.local_to else ''}"

    def summary(self) -> str:
        """One line: from which versions to which."""
        parts = []
        if self.flow_to.id != self.flow_from.id:
            parts.append(f"{self.flow_to.flow_id} version {self.flow_from.version} to "
                         f"{self.flow_to.version}")
        if self.local_to is not None and self.local_to != self.local_from:
            before = self.local_from.version if self.local_from else "none"
            parts.append(f"local questions version {before} to {self.local_to.version}")
        return "; ".join(parts)


def _latest_flow(flow_id: str) -> FlowVersion:
    row = FlowVersion.latest(flow_id)
    if row is None:  # a round's own version exists, so its flow has a latest
        raise LookupError(flow_id)
    return row


def pending(survey_round: SurveyRound) -> PendingMove | None:
    """What moving this round would change; None if it is closed or already on the latest."""
    if survey_round.status() == CLOSED:
        return None
    flow_to = _latest_flow(survey_round.flow_version.flow_id)
    local_to = LocalQuestions.latest(survey_round.tenant_id)
    if flow_to.id == survey_round.flow_version_id and (
            local_to is None or local_to.id == survey_round.local_questions_id):
        return None
    move = PendingMove(survey_round, flow_to, local_to)
    move.changes.extend(_flow_changes(survey_round.flow_version, flow_to))
    if local_to is not None and local_to.id != survey_round.local_questions_id:
        before = survey_round.local_questions
        move.changes.append(Change("Your council's local questions", diff_lines(
            before.source if before else "", local_to.source,
            f"local questions version {before.version if before else 'none'}",
            f"local questions version {local_to.version}")))
    move.core_changed.extend(core_changes(survey_round.flow_version, flow_to))
    return move


def pending_moves(rounds: list[SurveyRound]) -> list[PendingMove]:
    """Of these rounds, those not closed and not on the latest versions."""
    return [m for m in (pending(r) for r in rounds) if m is not None]


def _played(row: FlowVersion) -> dict[str, FlowVersion]:
    """Every flow version a round on ``row`` plays: itself and the versions it pins."""
    played = {row.flow_id: row}
    for flow_id, version in (row.bundle or {}).items():
        found = db.session.scalars(select(FlowVersion).where(
            FlowVersion.flow_id == flow_id, FlowVersion.version == version)).first()
        if found is not None:
            played[flow_id] = found
    return played


def _flow_changes(before: FlowVersion, after: FlowVersion) -> list[Change]:
    old, new = _played(before), _played(after)
    changes = []
    for flow_id in sorted(set(old) | set(new)):
        a, b = old.get(flow_id), new.get(flow_id)
        if a is not None and b is not None and a.id == b.id:
            continue
        a_source, b_source = (a.source if a else ""), (b.source if b else "")
        a_name = f"{flow_id} version {a.version}" if a else "not played before"
        b_name = f"{flow_id} version {b.version}" if b else "no longer played"
        if a_source == b_source:
            if a is not None and b is not None and a.translations != b.translations:
                changes.append(Change(f"{flow_id}: translations", [], words_only=True))
            continue
        changes.append(Change(f"{flow_id} version {a.version if a else '-'} to "
                              f"{b.version if b else '-'}",
                              diff_lines(a_source, b_source, a_name, b_name)))
    return changes


def _core_questions(row: FlowVersion) -> dict[str, tuple[str, tuple[str, ...], str]]:
    """{key: (flow id, words asked (prompt and answers), ask)} of every core question played."""
    flow = flow_store().get(row.flow_id, row.version)
    found: dict[str, tuple[str, tuple[str, ...], str]] = {}
    for member in (list(flow.bundle.values()) or [flow]):
        for node in member.questions():
            if node.core and node.key:
                found[f"{member.id}/{node.key}"] = (member.id, _words(member, node), node.ask)
    return found


def _words(flow: Flow, node: QuestionNode) -> tuple[str, ...]:
    """The English words of a question: its prompt, answers and end labels."""
    keys = [node.prompt, *(o.label for o in node.options), node.min_label, node.max_label]
    words = []
    for key in keys:
        if key:
            message, _locale = flow.texts.message(key)
            words.append(message.text)
    return (*words, f"{node.min}-{node.max}", node.scale or "")


def core_changes(before: FlowVersion, after: FlowVersion) -> list[str]:
    """Plain words for each core question whose wording or answers differ between versions."""
    old, new = _core_questions(before), _core_questions(after)
    lines = []
    for qualified in sorted(set(old) | set(new)):
        key = qualified.partition("/")[2]
        a, b = old.get(qualified), new.get(qualified)
        if a is None and b is not None:
            lines.append(f"{key} ({b[0]}) is a new core question.")
        elif b is None and a is not None:
            lines.append(f"{key} ({a[0]}) is no longer asked.")
        elif a is not None and b is not None and a[1:] != b[1:]:
            what = "its answers" if a[1][:1] == b[1][:1] else "its wording"
            lines.append(f"{key} ({b[0]}): {what} changed.")
    return lines
