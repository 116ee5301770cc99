"""Councils: analysts add and change them; council admins change their own council's settings.

The form is read into `CouncilSettings` and checked by `chatsurvey.councils.actions`, the
same rules as `chatsurvey tenants add`. The Twilio auth token is write-only: the page
says whether one is set, never what it is.

A council's WhatsApp page saves through `chatsurvey.invitations.whatsapp.set_up`, as
`chatsurvey tenants whatsapp` does: the same checks, the same audit entry.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from chatsurvey.accounts.models import ANALYST, COUNCIL_ADMIN
from chatsurvey.admin.blueprint import analyst_only, bp, current_user, editors, require
from chatsurvey.admin.scoping import for_tenant, scope
from chatsurvey.councils.actions import (
    CouncilRefused,
    CouncilSettings,
    add_council,
    change_council,
    remove_logo,
    set_logo,
)
from chatsurvey.councils.logo import LOGO_MAX_BYTES, LogoRefused, council_logo, logo_digest
from chatsurvey.councils.models import COUNTRIES, Tenant
from chatsurvey.engine.languages import LANGUAGES
from chatsurvey.extensions import db
from chatsurvey.invitations import whatsapp


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
        paper_return=form.get("paper_return", ""),
        origins=tuple(form.get("origins", "").split()),
        redact_terms=tuple(form.get("redact_terms", "").splitlines()),
        country=form.get("country", "") if analyst else None,
        numbers=tuple(form.get("numbers", "").split()) if analyst else None,
        twilio_sid=form.get("twilio_sid", "") if analyst else None,
        twilio_token=form.get("twilio_token", "") if analyst else None,
        locales=locales_from_form(form) if "first_locale" in form else None,
        delete_sms_from_provider={"on": True, "off": False}.get(
            form.get("delete_sms_from_provider", "")))


def _languages() -> dict:
    return {"languages": LANGUAGES,
            "language_options": [(lang.code, lang.english) for lang in LANGUAGES]}


def locales_from_form(form) -> tuple[str, ...]:
    """The languages ticked, the first language first; none ticked: the country's own."""
    ticked = [loc for loc in form.getlist("locales") if loc]
    first = form.get("first_locale", "")
    if not ticked:
        return ()
    return tuple(dict.fromkeys(([first] if first else []) + ticked))


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
                           countries=COUNTRIES, **_languages()), 400 if errors else 200


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
    return _tenant_page(tenant, errors, request.form if errors else None)


def _tenant_page(tenant: Tenant, errors: dict[str, str], form=None):
    return render_template("admin/tenant_form.html", tenant=tenant, errors=errors,
                           form=form, new=False, countries=COUNTRIES,
                           logo=logo_digest(tenant.id), **_languages()), 400 if errors else 200


@bp.post("/councils/<int:tenant_id>/logo")
def tenant_logo(tenant_id: int):
    """Upload the council's logo (PNG or JPEG); it replaces the one before."""
    tenant = for_tenant(Tenant, tenant_id)
    require(ANALYST, COUNCIL_ADMIN)
    upload = request.files.get("logo")
    try:
        set_logo(tenant, upload.read(LOGO_MAX_BYTES + 1) if upload else b"")
    except LogoRefused as refused:
        return _tenant_page(tenant, {"logo": str(refused)})
    flash("The logo is saved. Young people see it on the chat page and the paper survey.",
          "success")
    return redirect(url_for("admin.tenant_detail", tenant_id=tenant.id))


@bp.post("/councils/<int:tenant_id>/logo/remove")
def tenant_logo_remove(tenant_id: int):
    tenant = for_tenant(Tenant, tenant_id)
    require(ANALYST, COUNCIL_ADMIN)
    if remove_logo(tenant):
        flash("The logo is removed.", "success")
    return redirect(url_for("admin.tenant_detail", tenant_id=tenant.id))


@bp.get("/councils/<int:tenant_id>/logo.png")
def tenant_logo_image(tenant_id: int):
    """The council's logo as stored, to show on its settings page."""
    tenant = for_tenant(Tenant, tenant_id)
    found = council_logo(tenant.id)
    if found is None:
        abort(404)
    return Response(found.png, mimetype="image/png", headers={"Cache-Control": "no-cache"})


@bp.route("/councils/<int:tenant_id>/whatsapp", methods=["GET", "POST"])
@editors
def tenant_whatsapp(tenant_id: int):
    """The council's WhatsApp sender and approved templates (docs/whatsapp.md)."""
    tenant = for_tenant(Tenant, tenant_id)
    errors: dict[str, str] = {}
    form: dict[str, str] = {}
    if request.method == "POST":
        form = {name: request.form.get(name, "") for name in ("sender", *whatsapp.KINDS)}
        try:
            whatsapp.set_up(tenant, form["sender"],
                            {kind: form[kind] for kind in whatsapp.KINDS})
        except whatsapp.SetUpRefused as refused:
            errors = refused.problems
            form = {name: value for name, value in form.items() if name not in errors}
        else:
            flash("Saved.", "success")
            return redirect(url_for("admin.tenant_whatsapp", tenant_id=tenant.id))
    sender = whatsapp.sending_number(tenant)
    current = {"sender": sender.number if sender else "",
               **{kind: whatsapp.template(tenant, kind) or "" for kind in whatsapp.KINDS}}
    # After a refusal: what was typed, except what was refused (never shown back).
    values = {name: "" if name in errors else form[name] for name in form} if errors else current
    return render_template("admin/tenant_whatsapp.html", tenant=tenant, errors=errors,
                           values=values, kinds=whatsapp.KIND_NAMES,
                           missing=whatsapp.problems(tenant)), 400 if errors else 200
