"""A paper questionnaire as a finished conversation: which questions it asks, and its transcript.

The questions are the round's pinned flow version's: pick the survey (an age
band's flow in its bundle), and every recorded question of that flow is
asked, each optional. Answers are checked with the engine's own
`accept_value`, then turned into the hand-off record a finished conversation
would make (channel "paper", a random submission id), so a paper response is
anonymised, redacted and stored exactly as a chat's is.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from werkzeug.datastructures import MultiDict

from chatsurvey.engine import Flow
from chatsurvey.engine.inputs import Invalid, accept_value
from chatsurvey.engine.model import QuestionNode
from chatsurvey.flows.store import flow_store
from chatsurvey.rounds.models import SurveyRound


def fields_of(flow: Flow) -> list[QuestionNode]:
    """The questions a paper copy of ``flow`` asks (recorded, not personal, not consent)."""
    return [n for n in flow.questions()
            if n.key and n.record and not n.personal and n.ask != "consent"]


@dataclass(frozen=True)
class PaperOption:
    """One answer to tick: the value stored, and its words in the paper's language."""

    value: str
    label: str
    emoji: str | None = None


@dataclass(frozen=True)
class PaperField:
    """One question of a paper questionnaire, as the printed copy asks it and the entry
    form takes it back: both are drawn from `paper_fields`, so they match field for field."""

    key: str
    name: str
    """The entry form's field name."""
    ask: str
    prompt: str
    core: bool
    sensitive: bool
    options: tuple[PaperOption, ...]
    min: int | None
    max: int | None
    max_length: int
    min_label: str | None = None
    max_label: str | None = None


def paper_fields(flow: Flow, locale: str | None = None) -> list[PaperField]:
    """Every question of a paper copy of ``flow``, in order, in ``locale`` (default: the
    flow's own language): the printed questionnaire and the entry form both use this."""
    texts, locale = flow.texts, locale or flow.source_locale

    def words(key: str | None) -> str | None:
        return texts.text(key, locale, "web") if key else None

    longest = current_app.config["ENGINE_MAX_ANSWER_CHARS"]
    return [PaperField(
        key=node.key, name=f"q_{node.key}", ask=node.ask,
        prompt=texts.text(node.prompt, locale, "web"), core=node.core, sensitive=node.sensitive,
        options=tuple(PaperOption(o.value, texts.text(o.label, locale, "web"), o.emoji)
                      for o in node.options),
        min=node.min, max=node.max, max_length=node.max_length or longest,
        min_label=words(node.min_label) if node.ask == "scale" else None,
        max_label=words(node.max_label) if node.ask == "scale" else None,
    ) for node in fields_of(flow) if node.key]


def surveys(survey_round: SurveyRound) -> dict[str, Flow]:
    """The flows of the round's bundle that ask recorded questions, by id."""
    version = survey_round.flow_version
    root = flow_store().get(version.flow_id, version.version)
    return {fid: f for fid, f in sorted((root.bundle or {root.id: root}).items())
            if fid != root.id and any(fields_of(f))} or (
        {root.id: root} if any(fields_of(root)) else {})


def read_answers(flow: Flow, form: MultiDict[str, str]) -> tuple[dict, list[str], dict[str, str]]:
    """(answers, unanswered keys, errors by field name) from the posted form."""
    answers, skipped, errors = {}, [], {}
    limit = current_app.config["ENGINE_MAX_ANSWER_CHARS"]
    for node in fields_of(flow):
        name = f"q_{node.key}"
        value = (form.getlist(name) or None) if node.ask == "multi" else (
            form.get(name, "").strip() or None)
        if value is None:
            skipped.append(node.key)
            continue
        try:
            answers[node.key] = accept_value(node, value, limit)
        except Invalid:
            errors[name] = (f"Enter a whole number from {node.min} to {node.max}."
                            if node.ask in ("number", "scale") else
                            "Choose one of the answers shown, or leave it empty.")
    return answers, skipped, errors


def transcript(survey_round: SurveyRound, flow: Flow, answers: Mapping[str, Any],
               skipped: list[str]) -> dict:
    """The hand-off record a finished conversation would make (conversations._settle)."""
    version = survey_round.flow_version
    questions = {n.key: {"ask": n.ask, "flow": n.flow_id, "core": n.core,
                         "sensitive": n.sensitive, "personal": n.personal}
                 for n in fields_of(flow)}
    now = int(time.time())
    return {
        "flow": version.flow_id, "version": version.version, "survey": flow.survey,
        "status": "complete", "consent": True, "channel": "paper", "locale": flow.source_locale,
        "country": survey_round.tenant.country, "age_band": flow.age_band,
        "answers": dict(answers), "skipped": skipped, "questions": questions,
        "submission_id": secrets.token_hex(16), "tenant_id": survey_round.tenant_id,
        "round_id": survey_round.id, "started_at": now, "finished_at": now,
    }
