"""Every change to a staff account, made the same way from the admin and from `chatsurvey users`.

One function per change (the shape of zulip's ``do_*`` actions): it checks what it
must, writes, and adds the audit entry to the same transaction; the caller commits
and shows the result. A problem comes back as `AccountProblem`, naming the form
field it belongs to. Who may make a change (roles, councils) is the caller's
business: the admin's views decide it from the signed-in user, the command line is
the server's operator.

Invitation links: a person has at most one live link, one row in
``admin_user_invites`` (its ``user_id`` is unique). Inviting again replaces it; using
it, disabling the account and every change of password delete it. So a link in an
older e-mail never works again, and enabling an account never brings one back.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

import pyotp
from flask import current_app
from sqlalchemy import delete, func, select

from chatsurvey.accounts import logins
from chatsurvey.accounts.models import ANALYST, ROLES, User, UserInvite
from chatsurvey.accounts.passwords import hash_password, password_problem
from chatsurvey.audit import record
from chatsurvey.columns import utcnow
from chatsurvey.councils.models import Tenant
from chatsurvey.extensions import db

EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}")


class AccountProblem(ValueError):
    """Why a change to an account cannot be made, in words for the person asking."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def find_user(email: str) -> User | None:
    """The account with this e-mail address, in any case."""
    return db.session.scalars(
        select(User).where(func.lower(User.email) == email.strip().lower())).first()


# -- new accounts and invitation links --


def add_user(email: str, name: str, role: str, tenant: Tenant | None) -> User:
    """A new account with no password yet (it gets one through a link, or `set_password`)."""
    email = email.strip().lower()
    if not EMAIL.fullmatch(email):
        raise AccountProblem("email", "Enter an e-mail address like name@council.gov.uk.")
    if find_user(email) is not None:
        raise AccountProblem("email", "Someone already has an account with this e-mail address.")
    if not name.strip():
        raise AccountProblem("name", "Enter the person's name.")
    if role not in ROLES:
        raise AccountProblem("role", "Choose a role.")
    if (role == ANALYST) != (tenant is None):
        raise AccountProblem("tenant_id", "Programme analysts belong to no council; everyone "
                                          "else works for one council.")
    user = User(email=email, name=name.strip(), role=role, tenant=tenant, active=True,
                session_version=1, totp_enabled=False)
    db.session.add(user)
    db.session.flush()
    record("user.created", user, tenant_id=user.tenant_id, role=role)
    return user


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invite_url(token: str) -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/admin/invite/{token}"


def invite(user: User, created_by: User | None = None, *, again: bool = False) -> str:
    """A one-use invitation link token for ``user``, replacing any earlier link.

    Only its hash is stored. ``again``: a new link for someone invited before, or
    for a forgotten password (the authenticator app stays).
    """
    _drop_invites(user)
    token = secrets.token_urlsafe(32)
    db.session.add(UserInvite(
        token_hash=token_hash(token), user_id=user.id,
        created_by=created_by.id if created_by else None,
        expires_at=utcnow() + timedelta(seconds=current_app.config["ADMIN_INVITE_TTL"])))
    record("user.reinvited" if again else "user.invited", user, tenant_id=user.tenant_id)
    return token


def live_invite(token: str) -> UserInvite | None:
    """The invitation a token is for, if it can still be used."""
    found = db.session.scalars(select(UserInvite).where(
        UserInvite.token_hash == token_hash(token))).first()
    if found is None or found.expires_at < utcnow() or not found.user.active:
        return None
    return found


def accept_invite(found: UserInvite, password: str, confirm: str) -> User:
    """The invitation's holder chooses a password; the link is used up."""
    user = found.user
    _new_password(user, password, confirm)
    record("invite.accepted", user, tenant_id=user.tenant_id, actor=user.email,
           user_id=user.id)
    return user


def _drop_invites(user: User) -> None:
    db.session.execute(delete(UserInvite).where(UserInvite.user_id == user.id))


# -- passwords --


def _new_password(user: User, password: str, confirm: str | None = None,
                  keep_sid: str | None = None) -> None:
    """Check and set a password; every other session and every invitation link ends with it."""
    problem = password_problem(password, user.email, user.name)
    if problem:
        raise AccountProblem("password", problem)
    if confirm is not None and password != confirm:
        raise AccountProblem("confirm", "The two passwords are different. Type the same "
                                        "password twice.")
    user.password_hash = hash_password(password)
    user.session_version += 1
    _drop_invites(user)
    logins.end_all(current_app, user.id, keep_sid=keep_sid)


def change_password(user: User, password: str, confirm: str, keep_sid: str | None) -> None:
    """A person changes their own password: their other sessions end, this one stays."""
    _new_password(user, password, confirm, keep_sid)
    record("password.changed", user, tenant_id=user.tenant_id)


def set_password(user: User, password: str) -> None:
    """The server's operator sets a password (scripted set-ups, the demo)."""
    _new_password(user, password)
    record("password.set", user, tenant_id=user.tenant_id)


# -- access --


def disable(user: User) -> int:
    """Stop an account signing in: its sessions end at once (ASVS 7.4.2), its link goes."""
    user.active = False
    user.session_version += 1
    _drop_invites(user)
    ended = logins.end_all(current_app, user.id)
    record("user.disabled", user, tenant_id=user.tenant_id, sessions=ended)
    return ended


def enable(user: User) -> None:
    """Let a disabled account sign in again (with its password; no old link comes back)."""
    user.active = True
    record("user.enabled", user, tenant_id=user.tenant_id)


def end_sessions(user: User) -> int:
    """Sign a person out everywhere; returns how many sessions ended."""
    user.session_version += 1
    ended = logins.end_all(current_app, user.id)
    record("user.sessions_ended", user, tenant_id=user.tenant_id, sessions=ended)
    return ended


# -- the second factor --


def set_up_totp(user: User) -> str:
    """A new authenticator secret, set up at once (the command line's ``--totp``)."""
    secret = pyotp.random_base32()
    user.totp_secret = secret
    user.totp_enabled = True
    user.totp_last_step = None
    record("totp.enabled", user, tenant_id=user.tenant_id)
    return secret


def remove_totp(user: User) -> None:
    """For a lost phone: the person sets up a new app at their next sign-in (analysts must)."""
    user.totp_enabled = False
    user.totp_secret = None
    user.totp_last_step = None
    user.session_version += 1
    logins.end_all(current_app, user.id)
    record("user.totp_removed", user, tenant_id=user.tenant_id)
