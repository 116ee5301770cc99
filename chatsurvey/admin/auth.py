"""Signing in and out, the TOTP second factor, invitation links, passwords, your own account.

Every way in (ASVS 6.1.3): the sign-in form (password, then a TOTP code when
the account has one; programme analysts must set one up before they get any
further), an invitation link (sets the first password; it signs nobody in),
and the `chatsurvey users` commands on the server. There is no password reset
by e-mail: an analyst sends a new invitation link, and a TOTP secret is only
removed by an analyst or on the server, so a reset never bypasses the second
factor (ASVS 6.4.3).

Attempts are limited per e-mail address and per IP (ADMIN_LOGIN_LIMIT_*),
counted before the password is checked, so guessing costs the same whether the
account exists or not; every sign-in event is in the audit log.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import secrets
import time
from datetime import timedelta
from functools import cache
from urllib.parse import urlsplit

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
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
from chatsurvey.accounts.models import User, UserInvite
from chatsurvey.admin import logins
from chatsurvey.admin.blueprint import PUBLIC, bp, current_user, public
from chatsurvey.audit import record
from chatsurvey.columns import utcnow
from chatsurvey.extensions import db

hasher = PasswordHasher()
"""argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile)."""
_DUMMY = hasher.hash("not a real password, for timing")

COMMON = frozenset("""password passw0rd qwerty qwertyuiop letmein welcome admin administrator
iloveyou monkey dragon football baseball sunshine princess starwars trustno1 abc123 123456
1234567890 changeme secret chatsurvey brightspots council survey""".split())


# -- passwords ---------------------------------------------------------------------


def hash_password(password: str) -> str:
    return hasher.hash(password)


def check_password(user: User | None, password: str) -> bool:
    """Constant work whether or not the user exists; rehashes old parameters."""
    if user is None or not user.password_hash:
        with contextlib.suppress(VerificationError):
            hasher.verify(_DUMMY, password + "x")
        return False
    try:
        hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


@cache
def _words() -> frozenset[str]:
    from chatsurvey.responses.redact import english_words

    return english_words()


def password_problem(password: str, email: str = "", name: str = "") -> str | None:
    """Why a new password is not good enough, in words (None if it is fine)."""
    config = current_app.config
    if len(password) < config["ADMIN_PASSWORD_MIN"]:
        return (f"Use at least {config['ADMIN_PASSWORD_MIN']} characters. A few unrelated words"
                " make a long password that is easy to remember.")
    if len(password) > config["ADMIN_PASSWORD_MAX"]:
        return f"Use at most {config['ADMIN_PASSWORD_MAX']} characters."
    core = re.sub(r"[^a-z]", "", password.lower())
    if len(set(password)) < 5 or password.lower() in COMMON or core in COMMON \
            or (core in _words() and len(core) >= len(password) - 4):
        return "This password is too easy to guess. Try three or four unrelated words."
    local = email.split("@")[0].lower()
    if (len(local) >= 4 and local in password.lower()) or (
            name and len(name) >= 4 and name.lower() in password.lower()):
        return "Do not use your name or e-mail address in your password."
    return None


# -- TOTP ------------------------------------------------------------------------------


def totp_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(
        name=user.email, issuer_name=current_app.config["ADMIN_TOTP_ISSUER"])


def totp_qr(user: User) -> Markup:
    """The provisioning QR code as inline SVG (no script, no image request)."""
    svg = segno.make(totp_uri(user), error="m").svg_inline(
        scale=5, dark="#0b0c0c", light="#ffffff", title="QR code for your authenticator app")
    return Markup(svg)  # noqa: S704 (segno's own SVG from our own data)


def check_totp(user: User, code: str, now: float | None = None) -> bool:
    """A current code (±30 s) that was not used before; remembers it so it works once."""
    code = re.sub(r"\s", "", code or "")
    if not (user.totp_secret and re.fullmatch(r"\d{6}", code)):
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now = time.time() if now is None else now
    step = int(now // totp.interval)
    for candidate in (step - 1, step, step + 1):
        if hmac.compare_digest(totp.at(candidate * totp.interval), code):
            if user.totp_last_step is not None and candidate <= user.totp_last_step:
                return False
            user.totp_last_step = candidate
            return True
    return False


# -- who is signed in ----------------------------------------------------------------


@bp.before_request
def load_user():
    """g.user from the session; public pages aside, no user means the sign-in page."""
    g.user = None
    uid = session.get("uid")
    if uid is not None:
        user = db.session.get(User, uid)
        if user is None or not user.active or session.get("sv") != user.session_version:
            session.end()
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


def _limited(email: str) -> int | None:
    """Count a sign-in attempt; seconds to wait if over a limit."""
    config = current_app.config
    per_account = security.hit("login-account", email, *config["ADMIN_LOGIN_LIMIT_ACCOUNT"])
    per_ip = security.hit("login-ip", _client_ip(), *config["ADMIN_LOGIN_LIMIT_IP"])
    return per_account or per_ip


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
    session.sign_in(user.id, user.session_version, logins.agent_name(
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
        wait = _limited(email)
        if wait:
            return _too_many(wait, email, user)
        if not email or not password:
            errors["email"] = "Enter your e-mail address and password."
        elif not check_password(user, password) or not user.active:
            record("login.failed", user, tenant_id=user.tenant_id if user else None,
                   actor=user.email if user else "unknown", user_id=user.id if user else None,
                   **({} if user else {"who": _email_ref(email)}))
            db.session.commit()
            errors["email"] = "The e-mail address or the password is not right."
        elif user.needs_totp:
            session.clear()
            session["pending_uid"] = user.id
            session["pending_at"] = time.time()
            session["next"] = request.form.get("next", "")
            db.session.commit()
            if user.totp_enabled:
                return redirect(url_for("admin.login_code"))
            return redirect(url_for("admin.totp_setup"))
        else:
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
        wait = _limited(user.email)
        if wait:
            return _too_many(wait, user.email, user)
        if check_totp(user, request.form.get("code", "")):
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
            logins.end_all(current_app, user.id, keep_sid=session.sid)
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
    session.end()
    flash("You have signed out.", "info")
    return redirect(url_for("admin.login"))


# -- invitations ----------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_invite(user: User, created_by: User | None) -> str:
    """A one-use invitation link for ``user``; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserInvite(
        token_hash=token_hash(token), user=user, created_by=created_by.id if created_by else None,
        expires_at=utcnow() + timedelta(seconds=current_app.config["ADMIN_INVITE_TTL"])))
    return token


def invite_url(token: str) -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/admin/invite/{token}"


@public
@bp.route("/invite/<token>", methods=["GET", "POST"])
def invite(token: str):
    """Accept an invitation: choose a password, then sign in as usual."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{20,64}", token):
        abort(404)
    found = db.session.scalars(select(UserInvite).where(
        UserInvite.token_hash == token_hash(token))).first()
    if found is None or found.used_at is not None or found.expires_at < utcnow() \
            or not found.user.active:
        return render_template("admin/invite_expired.html"), 404
    user = found.user
    errors: dict[str, str] = {}
    if request.method == "POST":
        wait = security.hit("invite-ip", _client_ip(), *current_app.config["ADMIN_LOGIN_LIMIT_IP"])
        if wait:
            abort(429)
        password = request.form.get("password", "")
        problem = password_problem(password, user.email, user.name)
        if problem:
            errors["password"] = problem
        elif password != request.form.get("confirm", ""):
            errors["confirm"] = "The two passwords are different. Type the same password twice."
        else:
            user.password_hash = hash_password(password)
            user.session_version += 1
            found.used_at = utcnow()
            record("invite.accepted", user, tenant_id=user.tenant_id, actor=user.email,
                   user_id=user.id)
            db.session.commit()
            logins.end_all(current_app, user.id)
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
        current_app, user.id), current_sid=session.sid)


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    user = current_user()
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not check_password(user, request.form.get("current", "")):
            errors["current"] = "Your current password is not right."
        else:
            new = request.form.get("password", "")
            problem = password_problem(new, user.email, user.name)
            if problem:
                errors["password"] = problem
            elif new != request.form.get("confirm", ""):
                errors["confirm"] = "The two new passwords are different."
        if not errors:
            user.password_hash = hash_password(request.form["password"])
            user.session_version += 1
            session["sv"] = user.session_version
            logins.end_all(current_app, user.id, keep_sid=session.sid)
            record("password.changed", user, tenant_id=user.tenant_id)
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
    ended = logins.end_all(current_app, user.id, keep_sid=session.sid)
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
