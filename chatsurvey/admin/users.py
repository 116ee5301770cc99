"""Staff accounts: list, invite by link, disable (which ends every session), end sessions.

Programme analysts manage everyone; council admins manage their own council's
admins and viewers. Only analysts can end another person's sessions or remove
their authenticator app (ASVS 7.4.5).
"""

from __future__ import annotations

import re

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from chatsurvey.accounts.models import (
    ANALYST,
    COUNCIL_ADMIN,
    COUNCIL_VIEWER,
    ROLE_NAMES,
    ROLES,
    User,
)
from chatsurvey.admin import logins
from chatsurvey.admin.auth import invite_url, new_invite
from chatsurvey.admin.blueprint import analyst_only, bp, current_user, editors
from chatsurvey.admin.scoping import for_tenant, scope
from chatsurvey.audit import record
from chatsurvey.councils.models import Tenant
from chatsurvey.extensions import db

EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}")


def disable(user: User) -> int:
    """Disable an account and end all its sessions at once (ASVS 7.4.2)."""
    user.active = False
    user.session_version += 1
    return logins.end_all(current_app, user.id)


def end_sessions(user: User) -> int:
    """Sign a user out everywhere."""
    user.session_version += 1
    return logins.end_all(current_app, user.id)


def _roles_for(me: User) -> list[str]:
    return list(ROLES) if me.is_analyst else [COUNCIL_ADMIN, COUNCIL_VIEWER]


@bp.get("/users")
@editors
def users_list():
    users = db.session.scalars(scope(select(User), User).order_by(User.tenant_id, User.email))
    return render_template("admin/users.html", users=users.all())


@bp.route("/users/invite", methods=["GET", "POST"])
@editors
def user_invite():
    me = current_user()
    tenants = db.session.scalars(scope(select(Tenant), Tenant).order_by(Tenant.name)).all()
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        email = form.get("email", "").strip().lower()
        name = form.get("name", "").strip()
        role = form.get("role", "")
        tenant = None
        if not EMAIL.fullmatch(email):
            errors["email"] = "Enter an e-mail address like name@council.gov.uk."
        elif db.session.scalar(select(func.count()).where(User.email == email)):
            errors["email"] = "Someone already has an account with this e-mail address."
        if not name:
            errors["name"] = "Enter the person's name."
        if role not in _roles_for(me):
            errors["role"] = "Choose a role."
        elif role != ANALYST:
            if me.is_analyst:
                raw = form.get("tenant_id", "")
                tenant = for_tenant(Tenant, raw) if raw.isdigit() else None
                if tenant is None:
                    errors["tenant_id"] = "Choose the council this person works for."
            else:
                tenant = me.tenant
        if not errors:
            user = User(email=email, name=name, role=role, tenant=tenant, active=True,
                        session_version=1, totp_enabled=False)
            db.session.add(user)
            db.session.flush()
            token = new_invite(user, me)
            record("user.invited", user, tenant_id=user.tenant_id, role=role)
            db.session.commit()
            return render_template("admin/invite_link.html", invited=user, link=invite_url(token))
    return render_template("admin/user_invite.html", errors=errors, tenants=tenants,
                           roles=[(r, ROLE_NAMES[r]) for r in _roles_for(me)],
                           form=form), 400 if errors else 200


@bp.get("/users/<int:user_id>")
@editors
def user_detail(user_id: int):
    user = for_tenant(User, user_id)
    sessions = logins.sessions_of(current_app, user.id) if current_user().is_analyst else []
    return render_template("admin/user.html", person=user, sessions=sessions)


def _manageable(user_id: int) -> User:
    user = for_tenant(User, user_id)
    me = current_user()
    if user.id == me.id:
        abort(400)
    if user.is_analyst and not me.is_analyst:
        abort(403)
    return user


@bp.post("/users/<int:user_id>/disable")
@editors
def user_disable(user_id: int):
    user = _manageable(user_id)
    ended = disable(user)
    record("user.disabled", user, tenant_id=user.tenant_id, sessions=ended)
    db.session.commit()
    flash(f"{user.name} can no longer sign in; {ended} session(s) ended.", "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/enable")
@editors
def user_enable(user_id: int):
    user = _manageable(user_id)
    user.active = True
    record("user.enabled", user, tenant_id=user.tenant_id)
    db.session.commit()
    flash(f"{user.name} can sign in again.", "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/reinvite")
@editors
def user_reinvite(user_id: int):
    """A new invitation link, e.g. for a forgotten password (the TOTP app stays)."""
    user = _manageable(user_id)
    token = new_invite(user, current_user())
    record("user.reinvited", user, tenant_id=user.tenant_id)
    db.session.commit()
    return render_template("admin/invite_link.html", invited=user, link=invite_url(token))


@bp.post("/users/<int:user_id>/sessions/end")
@analyst_only
def user_end_sessions(user_id: int):
    user = _manageable(user_id)
    ended = end_sessions(user)
    record("user.sessions_ended", user, tenant_id=user.tenant_id, sessions=ended)
    db.session.commit()
    flash(f"{user.name} is signed out everywhere ({ended} session(s)).", "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/totp/remove")
@analyst_only
def user_remove_totp(user_id: int):
    """For a lost phone: the person sets up a new app at their next sign-in (analysts must)."""
    user = _manageable(user_id)
    user.totp_enabled = False
    user.totp_secret = None
    user.totp_last_step = None
    end_sessions(user)
    record("user.totp_removed", user, tenant_id=user.tenant_id)
    db.session.commit()
    flash(f"{user.name}'s authenticator app was removed.", "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))
