"""Paper entry: council staff type in a paper questionnaire, then destroy the paper.

The form shows the questions of the round's pinned flow version
(`chatsurvey.responses.paper`), each optional, labelled with the question's own
words and answers; `chatsurvey.responses.actions.enter_paper` checks, stores
the answers exactly as a finished conversation is stored, and audits the round
and the survey, never the response.

Only while the round is open: once it has closed its report is final, and a paper
questionnaire typed in afterwards would change it (409, with the reason).
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from chatsurvey.admin.blueprint import bp, editors
from chatsurvey.admin.scoping import for_tenant
from chatsurvey.columns import utcnow
from chatsurvey.engine import Flow
from chatsurvey.responses.actions import Refused, enter_paper
from chatsurvey.responses.paper import fields_of, read_answers, surveys
from chatsurvey.rounds.models import SurveyRound


def form_fields(flow: Flow) -> list[dict]:
    """What the form shows for each question: its words, its answers, its limits."""
    texts, locale = flow.texts, flow.source_locale
    fields = []
    for node in fields_of(flow):
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


@bp.route("/rounds/<int:round_id>/paper", methods=["GET", "POST"])
@editors
def round_paper(round_id: int):
    survey_round = for_tenant(SurveyRound, round_id)
    if survey_round.closes_at <= utcnow():
        return render_template(
            "admin/error.html", title="This round has closed",
            text=f"{survey_round.name} closed on {survey_round.closes_at:%-d %B %Y}, so its "
                 "report is final and paper questionnaires can no longer be added. Keep any "
                 "that arrived late out of this round, and destroy them."), 409
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
        if not errors:
            try:
                enter_paper(survey_round, flow, answers, skipped,
                            consent=bool(request.form.get("consent")))
            except Refused as refused:
                errors = refused.problems
            else:
                flash("Stored. Now destroy the paper copy (shred it): the answers are safe "
                      "here and the paper could identify the young person.", "success")
                return redirect(url_for("admin.round_paper", round_id=survey_round.id,
                                        flow=flow.id, stored=1))
    return render_template("admin/paper.html", survey_round=survey_round, flow=flow,
                           fields=form_fields(flow), errors=errors,
                           form=request.form if request.method == "POST" else None), \
        400 if errors else 200
