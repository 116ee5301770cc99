"""Paper entry: council staff type in a paper questionnaire, then destroy the paper.

The form is generated from the round's pinned flow version: pick the survey (an
age band's flow in its bundle), and every recorded question of that flow is a
field, each optional, labelled with the question's own words and answers.
Answers are checked with the engine's own `accept_value`, then stored exactly
as a finished conversation is: a transcript (channel "paper", a random
submission id) goes through `anonymise()` (free text redacted and flagged for
review) and `chatsurvey.responses.store.insert_responses()`. The audit entry names the round and
the survey, never the response, so nobody can tie a response to who typed it.
"""

from __future__ import annotations

import secrets
import time

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from chatsurvey.admin.blueprint import bp, editors
from chatsurvey.admin.scoping import for_tenant
from chatsurvey.audit import record
from chatsurvey.engine import Flow
from chatsurvey.engine.inputs import Invalid, accept_value
from chatsurvey.engine.model import QuestionNode
from chatsurvey.extensions import db
from chatsurvey.flows.store import flow_store
from chatsurvey.responses.anonymise import anonymise
from chatsurvey.rounds.models import SurveyRound


def surveys(survey_round: SurveyRound) -> dict[str, Flow]:
    """The flows of the round's bundle that ask recorded questions, by id."""
    version = survey_round.flow_version
    root = flow_store().get(version.flow_id, version.version)
    return {fid: f for fid, f in sorted((root.bundle or {root.id: root}).items())
            if fid != root.id and any(_fields_of(f))} or (
        {root.id: root} if any(_fields_of(root)) else {})


def _fields_of(flow: Flow) -> list[QuestionNode]:
    return [n for n in flow.questions()
            if n.key and n.record and not n.personal and n.ask != "consent"]


def form_fields(flow: Flow) -> list[dict]:
    """What the form shows for each question: its words, its answers, its limits."""
    texts, locale = flow.texts, flow.source_locale
    fields = []
    for node in _fields_of(flow):
        field = {"key": node.key, "ask": node.ask, "name": f"q_{node.key}",
                 "prompt": texts.text(node.prompt, locale, "web"), "core": node.core,
                 "sensitive": node.sensitive,
                 "options": [{"value": o.value, "label": (f"{o.emoji} " if o.emoji else "")
                              + texts.text(o.label, locale, "web")} for o in node.options],
                 "min": node.min, "max": node.max,
                 "max_length": node.max_length or current_app.config["ENGINE_MAX_ANSWER_CHARS"]}
        if node.ask == "scale":
            field["min_label"] = texts.text(node.min_label, locale, "web") if node.min_label \
                else None
            field["max_label"] = texts.text(node.max_label, locale, "web") if node.max_label \
                else None
        fields.append(field)
    return fields


def read_answers(flow: Flow, form) -> tuple[dict, list[str], dict[str, str]]:
    """(answers, unanswered keys, errors by field name) from the posted form."""
    answers, skipped, errors = {}, [], {}
    limit = current_app.config["ENGINE_MAX_ANSWER_CHARS"]
    for node in _fields_of(flow):
        name = f"q_{node.key}"
        if node.ask == "multi":
            raw = form.getlist(name)
            value = raw or None
        else:
            raw_one = form.get(name, "").strip()
            value = raw_one or None
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


def transcript(survey_round: SurveyRound, flow: Flow, answers: dict, skipped: list[str]) -> dict:
    """The hand-off record a finished conversation would make (conversations._settle)."""
    version = survey_round.flow_version
    questions = {n.key: {"ask": n.ask, "flow": n.flow_id, "core": n.core,
                         "sensitive": n.sensitive, "personal": n.personal}
                 for n in _fields_of(flow)}
    now = int(time.time())
    return {
        "flow": version.flow_id, "version": version.version, "survey": flow.survey,
        "status": "complete", "consent": True, "channel": "paper", "locale": flow.source_locale,
        "country": survey_round.tenant.country, "age_band": flow.age_band,
        "answers": answers, "skipped": skipped, "questions": questions,
        "submission_id": secrets.token_hex(16), "tenant_id": survey_round.tenant_id,
        "round_id": survey_round.id, "started_at": now, "finished_at": now,
    }


@bp.route("/rounds/<int:round_id>/paper", methods=["GET", "POST"])
@editors
def round_paper(round_id: int):
    survey_round = for_tenant(SurveyRound, round_id)
    available = surveys(survey_round)
    chosen = request.values.get("flow")
    if chosen is None or chosen not in available:
        if chosen is not None:
            abort(404)
        return render_template("admin/paper_choose.html", survey_round=survey_round,
                               surveys=available)
    flow = available[chosen]
    errors: dict[str, str] = {}
    if request.method == "POST":
        answers, skipped, errors = read_answers(flow, request.form)
        if not errors and not request.form.get("consent"):
            errors["consent"] = ("Tick this box only if the young person said yes to taking "
                                 "part on the paper.")
        if not errors and not answers:
            errors["consent"] = "Nothing was answered: there is nothing to store."
        if not errors:
            from chatsurvey.responses.store import insert_responses

            tenant = survey_round.tenant
            insert_responses([anonymise(transcript(survey_round, flow, answers, skipped),
                                        tenant.redact_terms or ())])
            record("paper.entered", survey_round, survey=flow.survey, flow=flow.id,
                   answered=len(answers))
            db.session.commit()
            flash("Stored. Now destroy the paper copy (shred it): the answers are safe here "
                  "and the paper could identify the young person.", "success")
            return redirect(url_for("admin.round_paper", round_id=survey_round.id,
                                    flow=flow.id, stored=1))
    return render_template("admin/paper.html", survey_round=survey_round, flow=flow,
                           fields=form_fields(flow), errors=errors,
                           form=request.form if request.method == "POST" else None), \
        400 if errors else 200
