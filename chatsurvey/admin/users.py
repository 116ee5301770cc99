"""Staff accounts: list, invite by link, disable (which ends every session), end sessions.

Programme analysts manage everyone; council admins manage their own council's
admins and viewers. Only analysts can end another person's sessions or remove
their authenticator app (ASVS 7.4.5).
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from chatsurvey.accounts import actions, logins
from chatsurvey.accounts.actions import AccountProblem, invite_url
from chatsurvey.accounts.models import (
    ANALYST,
    COUNCIL_ADMIN,
    COUNCIL_VIEWER,
    ROLE_NAMES,
    ROLES,
    User,
)
from chatsurvey.admin.blueprint import analyst_only, bp, current_user, editors
from chatsurvey.admin.scoping import for_tenant, scope
from chatsurvey.councils.models import Tenant
from chatsurvey.extensions import db


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
        role = form.get("role", "")
        if role not in _roles_for(me):
            errors["role"] = "Choose a role."
        tenant = _tenant_for(me, role, form.get("tenant_id", ""))
        if role != ANALYST and tenant is None:
            errors.setdefault("tenant_id", "Choose the council this person works for.")
        if not errors:
            try:
                user = actions.add_user(form.get("email", ""), form.get("name", ""), role, tenant)
            except AccountProblem as problem:
                errors[problem.field] = problem.message
            else:
                token = actions.invite(user, me)
                db.session.commit()
                return render_template("admin/invite_link.html", invited=user,
                                       link=invite_url(token))
    return render_template("admin/user_invite.html", errors=errors, tenants=tenants,
                           roles=[(r, ROLE_NAMES[r]) for r in _roles_for(me)],
                           form=form), 400 if errors else 200


def _tenant_for(me: User, role: str, raw: str) -> Tenant | None:
    """The council a new person joins: an analyst chooses one, council admins their own."""
    if role == ANALYST:
        return None
    if not me.is_analyst:
        return me.tenant
    return for_tenant(Tenant, raw) if raw.isdigit() else None


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
    ended = actions.disable(user)
    db.session.commit()
    flash(f"{user.name} can no longer sign in; {ended} session(s) ended.", "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/enable")
@editors
def user_enable(user_id: int):
    user = _manageable(user_id)
    actions.enable(user)
    db.session.commit()
    flash(f"{user.name} can sign in again.", "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/reinvite")
@editors
def user_reinvite(user_id: int):
    """A new invitation link, e.g. for a forgotten password (the TOTP app stays)."""
    user = _manageable(user_id)
    token = actions.invite(user, current_user(), again=True)
    db.session.commit()
    return render_template("admin/invite_link.html", invited=user, link=invite_url(token))


@bp.post("/users/<int:user_id>/sessions/end")
@analyst_only
def user_end_sessions(user_id: int):
    user = _manageable(user_id)
    ended = actions.end_sessions(user)
    db.session.commit()
    flash(f"{user.name} is signed out everywhere ({ended} session(s)).", "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/totp/remove")
@analyst_only
def user_remove_totp(user_id: int):
    """For a lost phone: the person sets up a new app at their next sign-in (analysts must)."""
    user = _manageable(user_id)
    actions.remove_totp(user)
    db.session.commit()
    flash(f"{user.name}'s authenticator app was removed.", "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))
