"""Councils: analysts add and change them; council admins change their own council's settings.

The same rules as `chatsurvey tenants add`: an SMS number must be a phone number,
widget origins must be exact site addresses. The Twilio auth token is write-only:
the page says whether one is set, never what it is.
"""

from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from chatsurvey.accounts.models import ANALYST, COUNCIL_ADMIN
from chatsurvey.admin.blueprint import analyst_only, bp, current_user, require
from chatsurvey.admin.scoping import for_tenant, scope
from chatsurvey.audit import record
from chatsurvey.councils.models import COUNTRIES, ORIGIN, SmsNumber, Tenant
from chatsurvey.crypto import normalise_number
from chatsurvey.extensions import db

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@bp.get("/councils")
def tenants_list():
    tenants = db.session.scalars(scope(select(Tenant), Tenant).order_by(Tenant.name)).all()
    return render_template("admin/tenants.html", tenants=tenants)


def _apply(tenant: Tenant, form, errors: dict[str, str], new: bool) -> None:
    name = form.get("name", "").strip()
    if not name:
        errors["name"] = "Enter the council's name."
    tenant.name = name[:200]
    if new:
        slug = form.get("slug", "").strip().lower()
        if not SLUG.fullmatch(slug):
            errors["slug"] = "Use lower-case letters, digits and dashes, like powys."
        elif db.session.scalars(select(Tenant).where(Tenant.slug == slug)).first():
            errors["slug"] = "Another council already has this short name."
        tenant.slug = slug
    if current_user().is_analyst:
        country = form.get("country", "")
        if country not in COUNTRIES:
            errors["country"] = "Choose the country."
        else:
            tenant.country = country
    tenant.help_text = form.get("help_text", "").strip()[:300] or None
    origins = [o.strip().rstrip("/").lower() for o in form.get("origins", "").split()]
    bad = [o for o in origins if not ORIGIN.fullmatch(o)]
    if bad:
        errors["origins"] = (f"{bad[0]} is not a site address like https://www.council.gov.uk "
                             "(https, or http only on localhost).")
    tenant.web_origins = origins
    branding = dict(tenant.branding or {})
    display = form.get("display_name", "").strip()[:200]
    branding.pop("display_name", None)
    if display:
        branding["display_name"] = display
    colour = form.get("colour", "").strip()
    if colour and not COLOUR.fullmatch(colour):
        errors["colour"] = "Write the colour like #005ea5."
    elif colour:
        branding["colour"] = colour.lower()
    tenant.branding = branding
    terms = [t.strip() for t in form.get("redact_terms", "").splitlines() if t.strip()]
    tenant.redact_terms = terms[:500]
    sid = form.get("twilio_sid", "").strip()
    if sid and not re.fullmatch(r"AC[0-9a-fA-F]{32}", sid):
        errors["twilio_sid"] = "A Twilio account SID starts with AC and has 34 characters."
    elif current_user().is_analyst:
        tenant.twilio_account_sid = sid or None
    token = form.get("twilio_token", "")
    if token and current_user().is_analyst:
        tenant.twilio_auth_token = token.strip()
    numbers = form.get("numbers", "").split()
    if current_user().is_analyst:
        kept = {n.number: n for n in tenant.numbers}
        wanted = []
        for raw in numbers:
            try:
                wanted.append(normalise_number(raw))
            except ValueError:
                errors["numbers"] = "One of the SMS numbers is not a phone number."
                break
        if "numbers" not in errors:
            for number in wanted:
                owner = db.session.scalars(select(SmsNumber).where(
                    SmsNumber.number == number)).first()
                if owner is not None and owner.tenant_id != tenant.id:
                    errors["numbers"] = "One of the SMS numbers belongs to another council."
            if "numbers" not in errors:
                tenant.numbers[:] = [kept.get(n) or SmsNumber(number=n) for n in wanted]


def _changed_fields(form) -> list[str]:
    return sorted(k for k in form if k != "csrf_token")


@bp.route("/councils/new", methods=["GET", "POST"])
@analyst_only
def tenant_new():
    errors: dict[str, str] = {}
    tenant = Tenant(slug="", name="", country="england", locales=[], web_origins=[],
                    branding={}, redact_terms=[])
    if request.method == "POST":
        _apply(tenant, request.form, errors, new=True)
        if not errors:
            db.session.add(tenant)
            db.session.flush()
            record("council.created", tenant, slug=tenant.slug)
            db.session.commit()
            flash(f"{tenant.name} is added. Next: invite its staff and open a survey round.",
                  "success")
            return redirect(url_for("admin.tenant_detail", tenant_id=tenant.id))
        db.session.rollback()
    return render_template("admin/tenant_form.html", tenant=tenant, errors=errors,
                           form=request.form, new=True,
                           countries=COUNTRIES), 400 if errors else 200


@bp.route("/councils/<int:tenant_id>", methods=["GET", "POST"])
def tenant_detail(tenant_id: int):
    tenant = for_tenant(Tenant, tenant_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        require(ANALYST, COUNCIL_ADMIN)
        _apply(tenant, request.form, errors, new=False)
        if not errors:
            record("council.changed", tenant, fields=_changed_fields(request.form))
            db.session.commit()
            flash("Saved.", "success")
            return redirect(url_for("admin.tenant_detail", tenant_id=tenant.id))
        db.session.rollback()
        tenant = for_tenant(Tenant, tenant_id)
    return render_template("admin/tenant_form.html", tenant=tenant, errors=errors,
                           form=request.form if errors else None, new=False,
                           countries=COUNTRIES), 400 if errors else 200
