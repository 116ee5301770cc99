"""Paper entry: council staff type in a paper questionnaire, then destroy the paper.

The form shows the questions of the round's pinned flow version
(`chatsurvey.responses.paper.paper_fields`, as the printed questionnaire does), each
optional, labelled with the question's own words and answers;
`chatsurvey.responses.actions.enter_paper` checks, stores the answers exactly as a
finished conversation is stored, and audits the round and the survey, never the response.

Only while the round is open: once it has closed its report is final, and a paper
questionnaire typed in afterwards would change it (409, with the reason).
"""

from __future__ import annotations

from babel import Locale, UnknownLocaleError
from flask import abort, flash, redirect, render_template, request, url_for

from chatsurvey.admin.blueprint import bp, editors
from chatsurvey.admin.downloads import attachment
from chatsurvey.admin.scoping import for_tenant
from chatsurvey.columns import utcnow
from chatsurvey.responses.actions import Refused, enter_paper
from chatsurvey.responses.paper import paper_fields, read_answers, surveys
from chatsurvey.responses.questionnaire import NotPrintable, questionnaire_pdf
from chatsurvey.rounds.models import SurveyRound


def printable(survey_round: SurveyRound) -> list[dict]:
    """The blank questionnaires a round's council can print: each age band's survey, in
    each language the council offers and the survey is written in."""
    offered = survey_round.tenant.offered_locales()
    return [{"flow": fid, "title": flow.title,
             "locales": [(loc, language_name(loc)) for loc in offered
                         if loc in flow.locales]}
            for fid, flow in surveys(survey_round).items()]


def language_name(locale: str) -> str:
    try:
        return Locale.parse(locale).get_display_name("en") or locale
    except (ValueError, UnknownLocaleError):
        return locale


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
                           fields=paper_fields(flow), errors=errors,
                           form=request.form if request.method == "POST" else None), \
        400 if errors else 200


@bp.get("/rounds/<int:round_id>/paper/<flow_id>/<locale>.pdf")
def round_paper_pdf(round_id: int, flow_id: str, locale: str):
    """A blank paper questionnaire to print: one survey, one language (PDF)."""
    survey_round = for_tenant(SurveyRound, round_id)
    flow = surveys(survey_round).get(flow_id)
    if flow is None or locale not in survey_round.tenant.offered_locales():
        abort(404)
    try:
        pdf = questionnaire_pdf(survey_round, flow, locale,
                                (survey_round.tenant.branding or {}).get("paper_return", ""))
    except NotPrintable:
        abort(404)
    return attachment(pdf, "application/pdf", f"{flow.id}-{locale}-questionnaire.pdf")
