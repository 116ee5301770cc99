"""Reports in the admin: a round's staff report, its PDF, the young people's summary with the
council's pledges, anonymised exports, and the programme view.

Everything a council owns is loaded with ``scoping.for_tenant`` (404 for another
council). Council viewers read reports; council admins and programme analysts
also enter pledges and download raw data; only analysts see the programme view.
All output passes through ``chatsurvey.reports.publish`` (disclosure control),
and raw exports through their own k-anonymity rule (``reports.exports``).
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from chatsurvey.admin.blueprint import analyst_only, bp, editors
from chatsurvey.admin.downloads import attachment
from chatsurvey.admin.scoping import for_tenant
from chatsurvey.audit import record
from chatsurvey.extensions import db
from chatsurvey.reports import council_report, rules
from chatsurvey.reports.models import Pledge
from chatsurvey.reports.render_html import context
from chatsurvey.rounds.models import SurveyRound

MAX_TEXT = 600
"""Longest "you said" or "we will" (the summary is read by young children)."""


def _round(round_id: int) -> SurveyRound:
    return for_tenant(SurveyRound, round_id)


def _pledges(survey_round: SurveyRound) -> list[Pledge]:
    return list(db.session.scalars(select(Pledge).where(Pledge.round_id == survey_round.id)
                                   .order_by(Pledge.position, Pledge.id)))


def _filename(survey_round: SurveyRound, suffix: str) -> str:
    """The council and round name in letters of any script, joined by "-"."""
    name = "".join(c if c.isalnum() else "-" for c in
                   f"{survey_round.tenant.slug}-{survey_round.name}".lower())
    return f"{name.strip('-')}{suffix}"


@bp.get("/rounds/<int:round_id>/report")
def round_report(round_id: int):
    """The staff report, inside the admin."""
    survey_round = _round(round_id)
    pub = council_report(survey_round.tenant, survey_round)
    return render_template("admin/reports/report.html", survey_round=survey_round,
                           summary_languages=SUMMARY_LANGUAGES, **context(pub))


@bp.get("/rounds/<int:round_id>/report.pdf")
def round_report_pdf(round_id: int):
    """The staff report as a PDF download."""
    from chatsurvey.reports.render_pdf import render_pdf

    survey_round = _round(round_id)
    pdf = render_pdf(council_report(survey_round.tenant, survey_round))
    return attachment(pdf, "application/pdf", _filename(survey_round, ".pdf"))


def _summary_choice() -> tuple[str | None, str]:
    """The age band (None: all) and language asked for in ?band=&lang= (English if unknown)."""
    from chatsurvey.reports.tally import BANDS

    band = request.args.get("band") or None
    lang = request.args.get("lang", "en")
    return (band if band in BANDS else None), (lang if lang in SUMMARY_LANGUAGES else "en")


SUMMARY_LANGUAGES = {"en": "English", "cy": "Cymraeg", "gd": "Gàidhlig"}
"""Languages the young people's summary is written in (chatsurvey/locales/*/summary.po)."""


@bp.get("/rounds/<int:round_id>/summary")
def round_summary(round_id: int):
    """The young people's summary (one age band with ?band=, a language with ?lang=)."""
    from chatsurvey.reports.summary import render_summary

    survey_round = _round(round_id)
    pub = council_report(survey_round.tenant, survey_round)
    band, lang = _summary_choice()
    return render_summary(pub, _pledges(survey_round), standalone=False, band=band, locale=lang)


@bp.get("/rounds/<int:round_id>/summary.pdf")
def round_summary_pdf(round_id: int):
    """The young people's summary as an A4 poster PDF, one page per age band."""
    from chatsurvey.reports.summary import render_poster

    survey_round = _round(round_id)
    pub = council_report(survey_round.tenant, survey_round)
    band, lang = _summary_choice()
    pdf = render_poster(pub, _pledges(survey_round), band=band, locale=lang)
    suffix = f"-summary-{band or 'all'}-{lang}.pdf"
    return attachment(pdf, "application/pdf", _filename(survey_round, suffix))


@bp.route("/rounds/<int:round_id>/pledges", methods=["GET", "POST"])
@editors
def round_pledges(round_id: int):
    """The council's pledges: "You said, we will"."""
    survey_round = _round(round_id)
    if request.method == "POST":
        if request.form.get("action") == "delete":
            pledge = db.session.get(Pledge, request.form.get("pledge_id", type=int) or 0)
            if pledge is None or pledge.round_id != survey_round.id:
                abort(404)
            db.session.delete(pledge)
            record("pledge.delete", survey_round)
            db.session.commit()
            flash("Pledge removed.", "success")
            return redirect(url_for("admin.round_pledges", round_id=survey_round.id))
        said = " ".join(request.form.get("you_said", "").split())
        will = " ".join(request.form.get("we_will", "").split())
        if not said or not will or len(said) > MAX_TEXT or len(will) > MAX_TEXT:
            flash(f"Write both parts, each in at most {MAX_TEXT} characters.", "error")
        else:
            position = len(_pledges(survey_round)) + 1
            db.session.add(Pledge(tenant_id=survey_round.tenant_id, round_id=survey_round.id,
                                  you_said=said, we_will=will, position=position))
            record("pledge.add", survey_round)
            db.session.commit()
            flash("Pledge added.", "success")
            return redirect(url_for("admin.round_pledges", round_id=survey_round.id))
    return render_template("admin/reports/pledges.html", survey_round=survey_round,
                           pledges=_pledges(survey_round), max_text=MAX_TEXT)


def _export(survey_round: SurveyRound):
    from chatsurvey.reports.exports import ExportRefused, raw_export

    try:
        return raw_export(survey_round.tenant, survey_round, rules())
    except ExportRefused as exc:
        abort(Response(render_template("admin/error.html", status=409,
                                       title="Not while the round is open",
                                       text=str(exc)), status=409))


@bp.get("/rounds/<int:round_id>/export.csv")
@editors
def round_export_csv(round_id: int):
    """Anonymised raw data as CSV (closed rounds only)."""
    from chatsurvey.reports.exports import to_csv

    survey_round = _round(round_id)
    export = _export(survey_round)
    record("export.csv", survey_round, rows=len(export.rows))
    db.session.commit()
    return attachment(to_csv(export), "text/csv; charset=utf-8", _filename(survey_round, ".csv"))


@bp.get("/rounds/<int:round_id>/export-floip.zip")
@editors
def round_export_floip(round_id: int):
    """Anonymised raw data as a FLOIP Flow Results data package (zip)."""
    from chatsurvey.reports.exports import floip_zip

    survey_round = _round(round_id)
    export = _export(survey_round)
    record("export.floip", survey_round, rows=len(export.rows))
    db.session.commit()
    return attachment(floip_zip(export), "application/zip",
                      _filename(survey_round, "-floip.zip"))


@bp.get("/rounds/<int:round_id>/programme")
@analyst_only
def round_programme(round_id: int):
    """Programme analysts: every council's latest closed round of this round's surveys."""
    from chatsurvey.reports.programme import programme_view
    from chatsurvey.reports.render_html import count_text, percent_text

    survey_round = _round(round_id)
    views = [programme_view(s, rules()) for s in _surveys(survey_round)]
    return render_template("admin/reports/programme.html", survey_round=survey_round,
                           views=views, count_text=count_text, percent_text=percent_text)


def _surveys(survey_round: SurveyRound) -> list[str]:
    from chatsurvey.responses.models import Response as Stored

    found = set(db.session.scalars(select(Stored.survey).where(
        Stored.round_id == survey_round.id).distinct()))
    return sorted(found) or ["your-life-your-care", "your-life-beyond-care"]
