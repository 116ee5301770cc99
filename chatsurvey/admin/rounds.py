"""Survey rounds: create and change them, their links and printable QR codes.

The rules are `chatsurvey rounds add`'s: the survey is a published flow that asks
for consent first; the round closes after it opens. Eligible young people are
counted per age band; below the programme's minimum (ADMIN_PROGRAMME_MINIMUM:
150 children in care across the Your Life, Your Care bands, 100 care leavers)
the form warns but lets the council go on.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

import segno
from flask import (
    Response,
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
from chatsurvey.admin.scoping import for_tenant, scope
from chatsurvey.audit import record
from chatsurvey.councils.models import Tenant
from chatsurvey.extensions import db
from chatsurvey.flows import editing
from chatsurvey.flows.local import LocalError, explain, pin_latest
from chatsurvey.flows.models import FlowVersion
from chatsurvey.flows.store import flow_store
from chatsurvey.rounds.models import CHANNELS, RoundDetails, SurveyRound

KEYWORD = re.compile(r"[A-Za-z0-9]{2,16}")
CARE_LEAVER_FROM = 16
"""An age band starting at 16 or later is a care leavers' band (Your Life Beyond Care)."""


def consent_flows() -> list[FlowVersion]:
    """Latest published flows a round may start with (they ask for consent first)."""
    store = flow_store()
    return [row for row in editing.latest_versions().values()
            if store.get(row.flow_id, row.version).requires_consent]


def age_bands(version: FlowVersion | None = None) -> list[str]:
    """The age bands of the surveys a flow version enters (or of every published flow)."""
    store = flow_store()
    if version is not None:
        flow = store.get(version.flow_id, version.version)
        flows = list(flow.bundle.values()) or [flow]
    else:
        flows = [store.get(r.flow_id, r.version) for r in editing.latest_versions().values()]
    bands = {f.age_band for f in flows if f.age_band}
    return sorted(bands, key=lambda b: tuple(int(x) for x in b.split("-")))


def is_care_leaver_band(band: str) -> bool:
    return int(band.split("-")[0]) >= CARE_LEAVER_FROM


def minimum_warnings(eligible: dict[str, int]) -> list[str]:
    """Plain-words warnings when a round is below the programme's minimum population."""
    minimum = current_app.config["ADMIN_PROGRAMME_MINIMUM"]
    children = sum(n for b, n in eligible.items() if not is_care_leaver_band(b))
    leavers = sum(n for b, n in eligible.items() if is_care_leaver_band(b))
    warnings = []
    if any(not is_care_leaver_band(b) for b in eligible) and children < minimum["children"]:
        warnings.append(f"{children} children in care is below the programme's minimum of "
                        f"{minimum['children']}: results may not be meaningful, and small "
                        "groups will be hidden in reports.")
    if any(is_care_leaver_band(b) for b in eligible) and leavers < minimum["care_leavers"]:
        warnings.append(f"{leavers} care leavers is below the programme's minimum of "
                        f"{minimum['care_leavers']}: results may not be meaningful, and small "
                        "groups will be hidden in reports.")
    return warnings


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


def _day(value: str) -> datetime | None:
    try:
        return datetime.combine(date.fromisoformat(value), time(0, 0), tzinfo=UTC)
    except ValueError:
        return None


def _read_form(form, survey_round: SurveyRound, details: RoundDetails,
               errors: dict[str, str]) -> dict[str, int]:
    name = form.get("name", "").strip()
    if not name:
        errors["name"] = "Give the round a name, like Autumn 2026."
    survey_round.name = name[:200]
    opens, closes = _day(form.get("opens", "")), _day(form.get("closes", ""))
    if opens is None:
        errors["opens"] = "Enter the first day, like 2026-11-30."
    if closes is None:
        errors["closes"] = "Enter the day after the last day, like 2027-01-31."
    elif opens is not None and closes <= opens:
        errors["closes"] = "The round must close after it opens."
    if opens is not None:
        survey_round.opens_at = opens
    if closes is not None:
        survey_round.closes_at = closes
    channels = [c for c in CHANNELS if form.get(f"channel_{c}")]
    if not channels:
        errors["channel_web"] = "Choose at least one way to take part."
    survey_round.channels = channels
    keyword = form.get("keyword", "").strip()
    if keyword and not KEYWORD.fullmatch(keyword):
        errors["keyword"] = "A keyword is one word of 2 to 16 letters or digits, like SURVEY."
    survey_round.keyword = keyword.upper() or None
    eligible: dict[str, int] = {}
    for band in age_bands():
        raw = form.get(f"eligible_{band}", "").strip()
        if not raw:
            continue
        if not raw.isdigit() or int(raw) > 100000:
            errors[f"eligible_{band}"] = "Enter a whole number, or leave it empty."
        else:
            eligible[band] = int(raw)
    survey_round.eligible = eligible
    details.support_contacts = form.get("support_contacts", "").strip()[:2000]
    return eligible


@bp.get("/rounds")
def rounds_list():
    rounds = db.session.scalars(scope(select(SurveyRound), SurveyRound)
                                .order_by(SurveyRound.opens_at.desc())).all()
    return render_template("admin/rounds.html", rounds=rounds)


@bp.route("/rounds/new", methods=["GET", "POST"])
@editors
def round_new():
    user = current_user()
    tenants = db.session.scalars(scope(select(Tenant), Tenant).order_by(Tenant.name)).all()
    flows = consent_flows()
    errors: dict[str, str] = {}
    warnings: list[str] = []
    form = request.form
    if request.method == "POST":
        survey_round = SurveyRound()
        details = RoundDetails()
        tenant = None
        if user.is_analyst:
            raw = form.get("tenant_id", "")
            tenant = for_tenant(Tenant, raw) if raw.isdigit() else None
            if tenant is None:
                errors["tenant_id"] = "Choose the council."
        else:
            tenant = user.tenant
        chosen = next((f for f in flows if str(f.id) == form.get("flow_version_id")), None)
        if chosen is None:
            errors["flow_version_id"] = "Choose the survey."
        eligible = _read_form(form, survey_round, details, errors)
        warnings = minimum_warnings(eligible)
        if warnings and not form.get("confirm_minimum") and not errors:
            errors["confirm_minimum"] = ("The eligible population is below the programme's "
                                         "minimum. Tick the box to open the round anyway.")
        if not errors:
            survey_round.tenant = tenant
            survey_round.flow_version = chosen
            try:
                pin_latest(survey_round)
            except LocalError as exc:
                errors["flow_version_id"] = ("Your local questions do not fit this survey: "
                                             + explain(exc))
        if not errors:
            db.session.add(survey_round)
            db.session.flush()
            details.round_id = survey_round.id
            details.created_by = user.id
            db.session.add(details)
            record("round.created", survey_round, name=survey_round.name,
                   flow=chosen.flow_id, version=chosen.version,
                   local_questions=survey_round.local_questions_id,
                   channels=survey_round.channels,
                   eligible=eligible, below_minimum=bool(warnings))
            db.session.commit()
            flash("The round is set up. Share its links and QR codes below.", "success")
            return redirect(url_for("admin.round_detail", round_id=survey_round.id))
        db.session.rollback()
    return render_template("admin/round_form.html", errors=errors, warnings=warnings,
                           form=form, tenants=tenants, flows=flows, bands=age_bands(),
                           survey_round=None, details=None, channels=CHANNELS), \
        400 if errors else 200


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@editors
def round_edit(round_id: int):
    survey_round = for_tenant(SurveyRound, round_id)
    details = db.session.get(RoundDetails, survey_round.id) or RoundDetails(
        round_id=survey_round.id, support_contacts="")
    errors: dict[str, str] = {}
    warnings: list[str] = minimum_warnings(survey_round.eligible or {})
    if request.method == "POST":
        eligible = _read_form(request.form, survey_round, details, errors)
        warnings = minimum_warnings(eligible)
        if not errors:
            db.session.add(details)
            record("round.changed", survey_round, name=survey_round.name,
                   channels=survey_round.channels, eligible=eligible)
            db.session.commit()
            flash("Saved.", "success")
            return redirect(url_for("admin.round_detail", round_id=survey_round.id))
        db.session.rollback()
        survey_round = for_tenant(SurveyRound, round_id)
    return render_template("admin/round_form.html", errors=errors, warnings=warnings,
                           form=request.form if errors else None, tenants=[], flows=[],
                           bands=age_bands(), survey_round=survey_round, details=details,
                           channels=CHANNELS), 400 if errors else 200


@bp.get("/rounds/<int:round_id>")
def round_detail(round_id: int):
    survey_round = for_tenant(SurveyRound, round_id)
    details = db.session.get(RoundDetails, survey_round.id)
    from chatsurvey.admin.invitations import progress
    from chatsurvey.admin.rates import response_rates

    return render_template("admin/round.html", survey_round=survey_round, details=details,
                           links=round_links(survey_round),
                           rates=response_rates(survey_round),
                           invitations=progress(survey_round),
                           warnings=minimum_warnings(survey_round.eligible or {}))


@bp.get("/rounds/<int:round_id>/print")
def round_print(round_id: int):
    """A page to print: each link with its QR code and the local support contacts."""
    survey_round = for_tenant(SurveyRound, round_id)
    details = db.session.get(RoundDetails, survey_round.id)
    links = [dict(link, qr=qr_svg(link["url"], f"QR code: {link['label']}"))
             for link in round_links(survey_round)]
    return render_template("admin/round_print.html", survey_round=survey_round,
                           details=details, links=links)


@bp.get("/rounds/<int:round_id>/qr/<variant>.svg")
def round_qr(round_id: int, variant: str):
    """One QR code as an SVG file, for posters and leaflets."""
    survey_round = for_tenant(SurveyRound, round_id)
    link = next((li for li in round_links(survey_round) if li["variant"] == variant), None)
    if link is None:
        abort(404)
    svg = segno.make(link["url"], error="m").svg_inline(scale=10, title=link["label"])
    response = Response('<?xml version="1.0" encoding="utf-8"?>\n' + svg,
                        mimetype="image/svg+xml")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="survey-{survey_round.id}-{variant}.svg"')
    return response

