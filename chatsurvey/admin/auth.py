"""Signing in and out, the TOTP second factor, invitation links, passwords, your own account.

Every way in (ASVS 6.1.3): the sign-in form (password, then a TOTP code when
the account has one; programme analysts must set one up before they get any
further), an invitation link (sets the first password; it signs nobody in),
and the `chatsurvey users` commands on the server. There is no password reset
by e-mail: an analyst sends a new invitation link, and a TOTP secret is only
removed by an analyst or on the server, so a reset never bypasses the second
factor (ASVS 6.4.3).

Attempts are limited per e-mail address *from one client* and per client IP
(ADMIN_LOGIN_LIMIT_*): a stranger's guesses cannot lock the real person out
from their own desk. Each attempt is counted before the password is checked (so
guessing costs the same whether the account exists or not, and many guesses at
once are all counted) and forgiven when it succeeds, so signing in never counts
towards a limit. Every sign-in event is in the audit log.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

import pyotp
import segno
from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from markupsafe import Markup
from sqlalchemy import func, select

from chatsurvey import security
from chatsurvey.accounts import actions, logins
from chatsurvey.accounts.actions import AccountProblem
from chatsurvey.accounts.models import User
from chatsurvey.accounts.passwords import check_password
from chatsurvey.accounts.totp import check_totp, totp_uri
from chatsurvey.admin.blueprint import PUBLIC, bp, current_user, public
from chatsurvey.audit import record
from chatsurvey.columns import utcnow
from chatsurvey.extensions import db

# -- TOTP ------------------------------------------------------------------------------


def totp_qr(user: User) -> Markup:
    """The provisioning QR code as inline SVG (no script, no image request)."""
    svg = segno.make(totp_uri(user), error="m").svg_inline(
        scale=5, dark="#0b0c0c", light="#ffffff", title="QR code for your authenticator app")
    return Markup(svg)  # noqa: S704 (segno's own SVG from our own data)


# -- who is signed in ----------------------------------------------------------------


@bp.before_request
def load_user():
    """g.user from the session; public pages aside, no user means the sign-in page."""
    g.user = None
    uid = session.get("uid")
    if uid is not None:
        user = db.session.get(User, uid)
        if user is None or not user.active or session.get("sv") != user.session_version:
            _session().end()
        else:
            g.user = user
    if g.user is None and request.endpoint not in PUBLIC:
        if request.method == "GET":
            return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
        abort(401)
    return None


def _safe_next(target: str | None) -> str:
    """Only a path inside the admin (no open redirect)."""
    if target and target.startswith("/admin") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("admin.home")


def _client_ip() -> str:
    return request.remote_addr or "unknown"


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt as the limits count it: by account and client, and by client."""

    email: str
    client: str
    at: float

    def limits(self) -> list[tuple[str, str, int, int]]:
        config = current_app.config
        return [("login-account", f"{self.email}\n{self.client}",
                 *config["ADMIN_LOGIN_LIMIT_ACCOUNT"]),
                ("login-ip", self.client, *config["ADMIN_LOGIN_LIMIT_IP"])]

    def count(self) -> int | None:
        """Count it before anything is checked; seconds to wait if over a limit."""
        waits = [security.hit(name, key, limit, window, self.at)
                 for name, key, limit, window in self.limits()]
        return max((w for w in waits if w), default=None)

    def succeeded(self) -> None:
        """Take the count back: signing in successfully never counts towards a limit."""
        for name, key, _limit, window in self.limits():
            security.forgive(name, key, window, self.at)


def _attempt(email: str) -> Attempt:
    """An attempt on ``email`` from this client (its IP address, as the proxy settings say).

    Keyed on the account *and* the client, so someone guessing from elsewhere cannot
    lock the real person out; counted before the password is checked (so many
    guesses at once are counted too) and forgiven when it succeeds.
    """
    return Attempt(email, _client_ip(), time.time())


def _email_ref(email: str) -> str:
    """A short hash standing for an e-mail address nobody has an account for."""
    return hashlib.sha256(email.encode("utf-8")).hexdigest()[:12]


def _too_many(wait: int, email: str, user: User | None):
    record("login.limited", user, tenant_id=user.tenant_id if user else None,
           actor=user.email if user else "unknown", user_id=user.id if user else None,
           **({} if user else {"who": _email_ref(email)}))
    db.session.commit()
    minutes = max(1, round(wait / 60))
    body = render_template("admin/login.html", errors={
        "email": f"Too many attempts. Wait {minutes} minute{'s' if minutes != 1 else ''}"
                 " and try again."}, email=email, next=request.form.get("next", ""))
    return body, 429, {"Retry-After": str(wait)}


def _finish_sign_in(user: User, next_url: str | None):
    _session().sign_in(user.id, user.session_version, logins.agent_name(
        request.headers.get("User-Agent", "")))
    user.last_login_at = utcnow()
    g.user = user
    record("login.success", user, tenant_id=user.tenant_id)
    db.session.commit()
    return redirect(_safe_next(next_url))


@public
@bp.route("/login", methods=["GET", "POST"])
def login():
    """Step one: e-mail address and password."""
    if g.user is not None:
        return redirect(url_for("admin.home"))
    errors: dict[str, str] = {}
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()[:254]
        password = request.form.get("password", "")
        user = db.session.scalars(select(User).where(func.lower(User.email) == email)).first()
        attempt = _attempt(email)
        wait = attempt.count()
        if wait:
            return _too_many(wait, email, user)
        if not email or not password:
            errors["email"] = "Enter your e-mail address and password."
        elif not check_password(user, password) or user is None or not user.active:
            record("login.failed", user, tenant_id=user.tenant_id if user else None,
                   actor=user.email if user else "unknown", user_id=user.id if user else None,
                   **({} if user else {"who": _email_ref(email)}))
            db.session.commit()
            errors["email"] = "The e-mail address or the password is not right."
        elif user.needs_totp:
            attempt.succeeded()
            session.clear()
            session["pending_uid"] = user.id
            session["pending_at"] = time.time()
            session["next"] = request.form.get("next", "")
            db.session.commit()
            if user.totp_enabled:
                return redirect(url_for("admin.login_code"))
            return redirect(url_for("admin.totp_setup"))
        else:
            attempt.succeeded()
            return _finish_sign_in(user, request.form.get("next"))
    return render_template("admin/login.html", errors=errors, email=email,
                           next=request.values.get("next", "")), 400 if errors else 200


def _pending_user() -> User | None:
    uid = session.get("pending_uid")
    started = session.get("pending_at", 0)
    if uid is None or time.time() - started > current_app.config["ADMIN_LOGIN_PENDING"]:
        return None
    user = db.session.get(User, uid)
    return user if user is not None and user.active else None


@public
@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    """Step two: the six-digit code from the authenticator app."""
    user = _pending_user()
    if user is None or not user.totp_enabled:
        flash("Please sign in again.", "info")
        return redirect(url_for("admin.login"))
    errors: dict[str, str] = {}
    if request.method == "POST":
        attempt = _attempt(user.email)
        wait = attempt.count()
        if wait:
            return _too_many(wait, user.email, user)
        if check_totp(user, request.form.get("code", "")):
            attempt.succeeded()
            return _finish_sign_in(user, session.get("next"))
        record("login.bad_code", user, tenant_id=user.tenant_id)
        db.session.commit()
        errors["code"] = "That code is not right, or it was used already. Enter the newest code."
    return render_template("admin/login_code.html", errors=errors), 400 if errors else 200


@public
@bp.route("/totp/setup", methods=["GET", "POST"])
def totp_setup():
    """Set up the authenticator app: required for programme analysts, optional for others."""
    user = g.user or _pending_user()
    if user is None:
        return redirect(url_for("admin.login"))
    if user.totp_enabled and g.user is None:
        return redirect(url_for("admin.login_code"))
    errors: dict[str, str] = {}
    if not session.get("totp_candidate"):
        session["totp_candidate"] = pyotp.random_base32()
    candidate = session["totp_candidate"]
    if request.method == "POST":
        trial = User(email=user.email, totp_secret=candidate)
        if check_totp(trial, request.form.get("code", "")):
            user.totp_secret = candidate
            user.totp_enabled = True
            user.totp_last_step = trial.totp_last_step
            session.pop("totp_candidate", None)
            record("totp.enabled", user, tenant_id=user.tenant_id)
            if g.user is None:
                return _finish_sign_in(user, session.get("next"))
            user.session_version += 1  # other sessions signed in without it
            session["sv"] = user.session_version
            logins.end_all(current_app, user.id, keep_sid=_session().sid)
            db.session.commit()
            flash("Your authenticator app is set up. You will need a code each time you sign in.",
                  "success")
            return redirect(url_for("admin.account"))
        errors["code"] = ("That code is not right. Check the app shows chatsurvey "
                          "and try the newest code.")
    shown = User(email=user.email, totp_secret=candidate)
    return render_template("admin/totp_setup.html", errors=errors, qr=totp_qr(shown),
                           secret=candidate, user=user), 400 if errors else 200


@bp.post("/logout")
def logout():
    user = current_user()
    record("logout", user, tenant_id=user.tenant_id)
    db.session.commit()
    _session().end()
    flash("You have signed out.", "info")
    return redirect(url_for("admin.login"))


# -- invitations ----------------------------------------------------------------------


@public
@bp.route("/invite/<token>", methods=["GET", "POST"])
def invite(token: str):
    """Accept an invitation: choose a password, then sign in as usual."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{20,64}", token):
        abort(404)
    found = actions.live_invite(token)
    if found is None:
        return render_template("admin/invite_expired.html"), 404
    user = found.user
    errors: dict[str, str] = {}
    if request.method == "POST":
        wait = security.hit("invite-ip", _client_ip(), *current_app.config["ADMIN_LOGIN_LIMIT_IP"])
        if wait:
            abort(429)
        try:
            actions.accept_invite(found, request.form.get("password", ""),
                                  request.form.get("confirm", ""))
        except AccountProblem as problem:
            errors[problem.field] = problem.message
        else:
            db.session.commit()
            flash("Your password is set. Sign in to continue." + (
                " You will then set up an authenticator app." if user.is_analyst else ""),
                "success")
            return redirect(url_for("admin.login"))
    response = render_template("admin/invite.html", user=user, errors=errors)
    return response, 400 if errors else 200, {"Referrer-Policy": "no-referrer"}


# -- your account -----------------------------------------------------------------------


@bp.get("/account")
def account():
    user = current_user()
    return render_template("admin/account.html", sessions=logins.sessions_of(
        current_app, user.id), current_sid=_session().sid)


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    user = current_user()
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not check_password(user, request.form.get("current", "")):
            errors["current"] = "Your current password is not right."
        else:
            try:
                actions.change_password(user, request.form.get("password", ""),
                                        request.form.get("confirm", ""), keep_sid=_session().sid)
            except AccountProblem as problem:
                errors[problem.field] = problem.message
        if not errors:
            session["sv"] = user.session_version
            db.session.commit()
            flash("Your password is changed. Your other sessions were signed out.", "success")
            return redirect(url_for("admin.account"))
    return render_template("admin/password.html", errors=errors), 400 if errors else 200


@bp.post("/account/sessions/<handle>/end")
def end_my_session(handle: str):
    user = current_user()
    if not logins.end_session(current_app, user.id, handle):
        abort(404)
    record("session.ended", user, tenant_id=user.tenant_id)
    db.session.commit()
    flash("That session is signed out.", "success")
    return redirect(url_for("admin.account"))


@bp.post("/account/sessions/end-others")
def end_my_other_sessions():
    """Sign out everywhere else: this browser stays signed in."""
    user = current_user()
    user.session_version += 1
    session["sv"] = user.session_version
    ended = logins.end_all(current_app, user.id, keep_sid=_session().sid)
    record("session.ended_others", user, tenant_id=user.tenant_id, sessions=ended)
    db.session.commit()
    flash("You are signed out everywhere else.", "success")
    return redirect(url_for("admin.account"))


@bp.post("/account/totp/remove")
def remove_my_totp():
    """Council staff may stop using a second factor (with their password); analysts may not."""
    user = current_user()
    if user.is_analyst:
        abort(403)
    if not check_password(user, request.form.get("current", "")):
        flash("Your password is not right, so the authenticator app was kept.", "error")
        return redirect(url_for("admin.account"))
    user.totp_enabled = False
    user.totp_secret = None
    record("totp.removed", user, tenant_id=user.tenant_id)
    db.session.commit()
    flash("Signing in no longer asks for a code.", "success")
    return redirect(url_for("admin.account"))


def _session() -> logins.AdminSession:
    """The signed-in staff member's server-side session (the app installs AdminSession)."""
    return cast(logins.AdminSession, session)
