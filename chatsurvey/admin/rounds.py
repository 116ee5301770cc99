"""Survey rounds: set them up, change, open, close and move them; links and printable QR codes.

Every change goes through `chatsurvey.rounds.actions`, the same rules as
`chatsurvey rounds`: the survey is a published flow that asks for consent first;
the round closes after it opens and stays closed once it has; below the
programme's minimum eligible population the form warns, and the council may
tick a box to go on. A round moves to newly published versions only when someone
looks at the changes and says so (``round_move``).
"""

from __future__ import annotations

import segno
from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup
from sqlalchemy import select

from chatsurvey.admin.blueprint import bp, current_user, editors
from chatsurvey.admin.downloads import attachment
from chatsurvey.admin.scoping import for_tenant, scope
from chatsurvey.councils.logo import logo_digest
from chatsurvey.councils.models import Tenant
from chatsurvey.extensions import db
from chatsurvey.rounds.actions import (
    RoundRefused,
    RoundSettings,
    age_bands,
    change_round,
    close_now,
    consent_flows,
    create_round,
    minimum_warnings,
    move_to_latest,
    open_now,
)
from chatsurvey.rounds.models import CHANNELS, RoundDetails, SurveyRound
from chatsurvey.rounds.moves import pending, pending_moves


def round_links(survey_round: SurveyRound) -> list[dict]:
    """The survey link, then one per age band (the chat goes straight to that survey)."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/s/" + survey_round.link
    links = [{"variant": "all", "label": "Any age (the chat asks)", "url": base}]
    for band in age_bands(survey_round.flow_version):
        links.append({"variant": band, "label": f"Aged {band}", "url": f"{base}?age={band}"})
    return links


def qr_svg(url: str, title: str) -> Markup:
    svg = segno.make(url, error="m").svg_inline(scale=4, dark="#0b0c0c", light="#ffffff",
                                               title=title)
    return Markup(svg)  # noqa: S704 (segno's SVG of our own URL)


def settings_from_form(form) -> RoundSettings:
    """The round form as the actions read it (nothing checked yet)."""
    return RoundSettings(
        name=form.get("name", ""), opens=form.get("opens", ""), closes=form.get("closes", ""),
        channels=tuple(c for c in CHANNELS if form.get(f"channel_{c}")),
        keyword=form.get("keyword", ""),
        eligible={key.removeprefix("eligible_"): value for key, value in form.items()
                  if key.startswith("eligible_")},
        support_contacts=form.get("support_contacts", ""),
        below_minimum_ok=bool(form.get("confirm_minimum")))


@bp.get("/rounds")
def rounds_list():
    rounds = db.session.scalars(scope(select(SurveyRound), SurveyRound)
                                .order_by(SurveyRound.opens_at.desc())).all()
    return render_template("admin/rounds.html", rounds=rounds)


def _chosen_tenant(form) -> Tenant | None:
    user = current_user()
    if not user.is_analyst:
        return user.tenant
    raw = form.get("tenant_id", "")
    return for_tenant(Tenant, raw) if raw.isdigit() else None


@bp.route("/rounds/new", methods=["GET", "POST"])
@editors
def round_new():
    tenants = db.session.scalars(scope(select(Tenant), Tenant).order_by(Tenant.name)).all()
    flows = consent_flows()
    errors: dict[str, str] = {}
    warnings: list[str] = []
    form = request.form
    if request.method == "POST":
        chosen = next((f for f in flows if str(f.id) == form.get("flow_version_id")), None)
        try:
            survey_round = create_round(_chosen_tenant(form), chosen, settings_from_form(form),
                                        created_by=current_user().id)
        except RoundRefused as refused:
            errors, warnings = refused.problems, refused.warnings
        else:
            flash("The round is set up. Share its links and QR codes below.", "success")
            return redirect(url_for("admin.round_detail", round_id=survey_round.id))
    return render_template("admin/round_form.html", errors=errors, warnings=warnings,
                           form=form, tenants=tenants, flows=flows, bands=age_bands(),
                           survey_round=None, details=None, channels=CHANNELS), \
        400 if errors else 200


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@editors
def round_edit(round_id: int):
    survey_round = for_tenant(SurveyRound, round_id)
    details = db.session.get(RoundDetails, survey_round.id)
    errors: dict[str, str] = {}
    warnings: list[str] = minimum_warnings(survey_round.eligible or {})
    if request.method == "POST":
        try:
            change_round(survey_round, settings_from_form(request.form))
        except RoundRefused as refused:
            errors, warnings = refused.problems, refused.warnings
        else:
            flash("Saved.", "success")
            return redirect(url_for("admin.round_detail", round_id=survey_round.id))
    return render_template("admin/round_form.html", errors=errors, warnings=warnings,
                           form=request.form if errors else None, tenants=[], flows=[],
                           bands=age_bands(), survey_round=survey_round, details=details,
                           channels=CHANNELS), 400 if errors else 200


@bp.post("/rounds/<int:round_id>/open")
@editors
def round_open(round_id: int):
    """Open a scheduled round now."""
    survey_round = for_tenant(SurveyRound, round_id)
    try:
        open_now(survey_round)
        flash("The round is open: young people can start now.", "success")
    except RoundRefused as refused:
        flash(str(refused), "error")
    return redirect(url_for("admin.round_detail", round_id=survey_round.id))


@bp.post("/rounds/<int:round_id>/close")
@editors
def round_close(round_id: int):
    """Close a round now: nobody new can start, and its report becomes final."""
    survey_round = for_tenant(SurveyRound, round_id)
    try:
        close_now(survey_round)
        flash("The round is closed. Its full report is ready.", "success")
    except RoundRefused as refused:
        flash(str(refused), "error")
    return redirect(url_for("admin.round_detail", round_id=survey_round.id))


@bp.get("/rounds/<int:round_id>")
def round_detail(round_id: int):
    survey_round = for_tenant(SurveyRound, round_id)
    details = db.session.get(RoundDetails, survey_round.id)
    from chatsurvey.admin.invitations import progress
    from chatsurvey.admin.paper import printable
    from chatsurvey.admin.rates import response_rates

    return render_template("admin/round.html", survey_round=survey_round, details=details,
                           links=round_links(survey_round), papers=printable(survey_round),
                           rates=response_rates(survey_round),
                           invitations=progress(survey_round),
                           warnings=minimum_warnings(survey_round.eligible or {}),
                           moves=pending_moves([survey_round]))


@bp.get("/rounds/<int:round_id>/print")
def round_print(round_id: int):
    """A page to print: each link with its QR code and the local support contacts."""
    survey_round = for_tenant(SurveyRound, round_id)
    details = db.session.get(RoundDetails, survey_round.id)
    links = [dict(link, qr=qr_svg(link["url"], f"QR code: {link['label']}"))
             for link in round_links(survey_round)]
    return render_template("admin/round_print.html", survey_round=survey_round,
                           details=details, links=links,
                           logo=logo_digest(survey_round.tenant_id))


@bp.get("/rounds/<int:round_id>/qr/<variant>.svg")
def round_qr(round_id: int, variant: str):
    """One QR code as an SVG file, for posters and leaflets."""
    survey_round = for_tenant(SurveyRound, round_id)
    link = next((li for li in round_links(survey_round) if li["variant"] == variant), None)
    if link is None:
        abort(404)
    svg = segno.make(link["url"], error="m").svg_inline(scale=10, title=link["label"])
    return attachment('<?xml version="1.0" encoding="utf-8"?>\n' + svg, "image/svg+xml",
                      f"survey-{survey_round.id}-{variant}.svg")



@bp.route("/rounds/<int:round_id>/move", methods=["GET", "POST"])
@editors
def round_move(round_id: int):
    """Move a round to the latest published versions: the changes first, then on purpose."""
    survey_round = for_tenant(SurveyRound, round_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            move_to_latest(survey_round, request.form.get("target", ""),
                           accept_incomparable=bool(request.form.get("accept_incomparable")))
        except RoundRefused as refused:
            errors = refused.problems
        else:
            flash(f"{survey_round.name} now plays {survey_round.flow_version.flow_id} version "
                  f"{survey_round.flow_version.version}. Conversations already under way keep "
                  "the version they started on.", "success")
            return redirect(url_for("admin.round_detail", round_id=survey_round.id))
    return render_template("admin/round_move.html", survey_round=survey_round,
                           move=pending(survey_round), errors=errors), 400 if errors else 200
