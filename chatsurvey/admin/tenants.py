"""Councils: analysts add and change them; council admins change their own council's settings.

The form is read into `CouncilSettings` and checked by `chatsurvey.councils.actions`, the
same rules as `chatsurvey tenants add`. The Twilio auth token is write-only: the page
says whether one is set, never what it is.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from chatsurvey.accounts.models import ANALYST, COUNCIL_ADMIN
from chatsurvey.admin.blueprint import analyst_only, bp, current_user, require
from chatsurvey.admin.scoping import for_tenant, scope
from chatsurvey.councils.actions import (
    CouncilRefused,
    CouncilSettings,
    add_council,
    change_council,
)
from chatsurvey.councils.models import COUNTRIES, Tenant
from chatsurvey.extensions import db


@bp.get("/councils")
def tenants_list():
    tenants = db.session.scalars(scope(select(Tenant), Tenant).order_by(Tenant.name)).all()
    return render_template("admin/tenants.html", tenants=tenants)


def settings_from_form(form) -> CouncilSettings:
    """What the form asks for; the analysts-only fields stay None for a council's admin."""
    analyst = current_user().is_analyst
    return CouncilSettings(
        name=form.get("name", ""), display_name=form.get("display_name", ""),
        colour=form.get("colour", ""), help_text=form.get("help_text", ""),
        origins=tuple(form.get("origins", "").split()),
        redact_terms=tuple(form.get("redact_terms", "").splitlines()),
        country=form.get("country", "") if analyst else None,
        numbers=tuple(form.get("numbers", "").split()) if analyst else None,
        twilio_sid=form.get("twilio_sid", "") if analyst else None,
        twilio_token=form.get("twilio_token", "") if analyst else None,
        delete_sms_from_provider={"on": True, "off": False}.get(
            form.get("delete_sms_from_provider", "")))


@bp.route("/councils/new", methods=["GET", "POST"])
@analyst_only
def tenant_new():
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            tenant = add_council(request.form.get("slug", ""), settings_from_form(request.form))
        except CouncilRefused as refused:
            errors = refused.problems
        else:
            flash(f"{tenant.name} is added. Next: invite its staff and open a survey round.",
                  "success")
            return redirect(url_for("admin.tenant_detail", tenant_id=tenant.id))
    blank = Tenant(slug="", name="", country="england", locales=[], web_origins=[],
                   branding={}, redact_terms=[])
    return render_template("admin/tenant_form.html", tenant=blank, errors=errors,
                           form=request.form, new=True,
                           countries=COUNTRIES), 400 if errors else 200


@bp.route("/councils/<int:tenant_id>", methods=["GET", "POST"])
def tenant_detail(tenant_id: int):
    tenant = for_tenant(Tenant, tenant_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        require(ANALYST, COUNCIL_ADMIN)
        try:
            change_council(tenant, settings_from_form(request.form))
        except CouncilRefused as refused:
            errors = refused.problems
        else:
            flash("Saved.", "success")
            return redirect(url_for("admin.tenant_detail", tenant_id=tenant.id))
    return render_template("admin/tenant_form.html", tenant=tenant, errors=errors,
                           form=request.form if errors else None, new=False,
                           countries=COUNTRIES), 400 if errors else 200
