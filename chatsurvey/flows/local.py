"""A council's local questions: check, publish, and play them in that council's rounds only.

A council writes a block (YAML) of its own questions and messages; the rules
are chatsurvey/flows/lock.py. Publishing makes a new LocalQuestions version of
that council, recorded in that council's audit log. A round pins the council's
latest version when it is set up; a conversation resolves its flow from the
round's pinned flow version and pinned local questions (``flow_for``), so the
engine plays the block at the slots the programme's flows declare, and only
there. Another council's rounds pin another block (or none): its young people
never see this one, and their "question n of N" is untouched by it.

A block's words in other languages are its ``translations``; composing a flow
adds them to that flow version's own catalogue under the flow's contexts.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from chatsurvey.audit import record
from chatsurvey.engine import Flow, FlowError, compile_document, link
from chatsurvey.engine.compile import declared_slots, load_document, splice
from chatsurvey.engine.lint import check_flow
from chatsurvey.engine.problems import ERROR, WARNING, Problem
from chatsurvey.engine.source import SourceDoc
from chatsurvey.extensions import db
from chatsurvey.flows.lock import MAX_CHARS, check_block
from chatsurvey.flows.models import FlowVersion, LocalQuestions, latest_versions
from chatsurvey.flows.store import find_version, flow_store

EXAMPLE = """\
# Your council's own questions. They are asked only in your council's rounds,
# at the places the programme's surveys offer (slots), in the order listed.
slots:
  before_open_questions: [local_youth_club]
  local_contacts: [local_advice]
states:
  local_youth_club:
    type: question
    ask: yesno
    key: local_youth_club
    prompt: local_youth_club
  local_advice:
    type: message
    say: local_advice
messages:
  local_youth_club: "Do you go to a youth club near you?"
  local_advice: "Your council's advice line: call 01234 567 890."
translations: {}
"""


class LocalError(ValueError):
    """A block that cannot be published; ``problems`` say why, with lines."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems[:3]))


@dataclass(frozen=True)
class LocalCheck:
    """A block's problems (errors refuse it) and how many questions it adds."""

    problems: list[Problem]
    questions: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == ERROR]

    def as_json(self) -> dict:
        """The editor's check panel (the same shape as a flow's)."""
        return {"ok": not self.errors, "errors": len(self.errors),
                "warnings": len(self.problems) - len(self.errors),
                "problems": [{"level": p.level, "code": p.code, "message": p.message,
                              "line": p.line, "where": p.where()} for p in self.problems],
                "summary": {"questions": self.questions}}


def offered_slots() -> dict[str, bool]:
    """Every slot the programme's latest flows declare: {slot: takes questions}."""
    slots: dict[str, bool] = {}
    store = flow_store()
    for row in latest_versions().values():
        doc = store.get(row.flow_id, row.version).doc
        for slot, questions in declared_slots(doc.data if doc else None).items():
            slots[slot] = slots.get(slot, True) and questions
    return slots


def read_block(source: str) -> SourceDoc:
    """The block's YAML, read within the block's own (smaller) size limit; FlowError if not."""
    if len(source) > MAX_CHARS:
        raise FlowError([Problem(ERROR, "local", f"your local questions are too long:"
                                 f" {len(source)} characters, and at most {MAX_CHARS} are read",
                                 "local questions", None)])
    return load_document(source, "local questions")


def check_local(source: str) -> LocalCheck:
    """Everything wrong with a block, checked against the programme's latest flows."""
    try:
        doc = read_block(source)
    except FlowError as exc:
        return LocalCheck(exc.problems)
    problems = check_block(doc, offered_slots())
    if any(p.level == ERROR for p in problems):
        return LocalCheck(problems)
    try:
        alone = compile_document(splice(_harness(doc), doc))
        store = flow_store()
        for row in latest_versions().values():  # it fits every flow with a slot it fills
            _with_block(store.get(row.flow_id, row.version), doc)
    except FlowError as exc:
        return LocalCheck(problems + exc.problems)
    warnings = [p for p in check_flow(alone, alone.texts.catalogue, doc.source).problems
                if p.level == WARNING and p.code != "unreachable"]
    return LocalCheck(problems + warnings, len(alone.questions()))


def rule_errors(source: str) -> list[Problem]:
    """The errors ``check_block`` finds (no compiling): enough to splice the block safely."""
    try:
        doc = read_block(source)
    except FlowError as exc:
        return exc.problems
    return [p for p in check_block(doc, offered_slots()) if p.level == ERROR]


def _harness(block: SourceDoc) -> SourceDoc:
    """A small flow with every slot the block fills, to compile the block on its own."""
    slots = block.data["slots"]
    states: dict = {f"slot_{i}": {"type": "local", "slot": slot}
                    for i, slot in enumerate(slots)}
    states["end"] = {"type": "end"}
    locales = ["en", *sorted(block.data.get("translations") or {})]
    return SourceDoc({"spec_version": "1.0", "id": "local", "title": "Local questions",
                      "survey": "local", "locales": locales, "start": next(iter(states)),
                      "states": states, "messages": {}}, {}, block.source)


def publish_local(source: str, tenant_id: int, user_id: int | None = None
                  ) -> LocalQuestions | None:
    """Publish a council's block as its next version (None if it is the same as the latest).

    Raises LocalError if the check finds an error. Recorded in the council's audit log.
    """
    checked = check_local(source)
    if checked.errors:
        raise LocalError(checked.errors)
    latest = LocalQuestions.latest(tenant_id)
    if latest is not None and latest.source == source:
        return None
    row = LocalQuestions(tenant_id=tenant_id, version=(latest.version + 1) if latest else 1,
                         source=source, published_by=user_id)
    db.session.add(row)
    db.session.flush()
    record("local_questions.published", row, tenant_id=tenant_id, version=row.version,
           questions=checked.questions)
    return row


def flow_for(flow_id: str, version: int, local_id: int | None) -> Flow:
    """The flow a round's conversation plays: a published version with its round's block."""
    store = flow_store()
    if local_id is None:
        return store.get(flow_id, version)
    return store.cached((flow_id, version, "local", local_id),
                        lambda: _composed(flow_id, version, local_id))


def _composed(flow_id: str, version: int, local_id: int) -> Flow:
    row, block = find_version(flow_id, version), db.session.get(LocalQuestions, local_id)
    if row is None or block is None:
        raise KeyError(f"flow {flow_id} version {version} with local questions {local_id}")
    return compose(row, load_document(block.source, f"local questions v{block.version}"))


def compose(row: FlowVersion | None, block: SourceDoc) -> Flow:
    """A published version and the flows it enters, each with the block at its slots."""
    if row is None:
        raise KeyError("no such flow version")
    plain = flow_store().get(row.flow_id, row.version)
    flows = {flow_id: _with_block(flow, block) for flow_id, flow in plain.bundle.items()}
    return link(flows[row.flow_id], flows.get)


def _with_block(flow: Flow, block: SourceDoc) -> Flow:
    """``flow`` with the block at its slots, or a fresh copy of it if the block fills none."""
    slots = declared_slots(flow.doc.data if flow.doc else None)
    if flow.doc is None or not set(slots) & set(block.data.get("slots") or {}):
        return dataclasses.replace(flow, bundle={}, cache={})
    catalogue = flow.texts.catalogue.extended(_translations(flow.id, block))
    composed = compile_document(splice(flow.doc, block), catalogue)
    composed.version = flow.version
    return composed


def _translations(owner: str, block: SourceDoc) -> dict:
    """The block's translations as catalogue data under ``owner``'s contexts."""
    messages = block.data.get("messages") or {}
    out: dict = {}
    for locale, table in (block.data.get("translations") or {}).items():
        for key, text in table.items():
            english = messages.get(key)
            english = english if isinstance(english, str) else (english or {}).get("text")
            if english:
                out.setdefault(locale, {})[f"{owner}:{key}"] = {"id": english, "str": text}
    return out


def explain(exc: Exception) -> str:
    """One line for a round that cannot play a council's block with its survey."""
    if isinstance(exc, FlowError | LocalError):
        return "; ".join(p.message for p in exc.problems[:3])
    return str(exc)


def pin_latest(survey_round) -> LocalQuestions | None:
    """Give a new round its council's latest local questions, if they fit its survey.

    Raises LocalError if the survey the round plays cannot take them (the
    programme changed a slot since they were published): the council fixes
    its block, or the round goes ahead without it only if the block is removed.
    """
    latest = LocalQuestions.latest(survey_round.tenant.id)
    survey_round.local_questions_id = latest.id if latest is not None else None
    if latest is not None:
        version = survey_round.flow_version
        try:
            compose(find_version(version.flow_id, version.version),
                    load_document(latest.source, f"local questions v{latest.version}"))
        except FlowError as exc:
            raise LocalError(exc.problems) from None
    return latest
