"""`chatsurvey users`: staff accounts from the command line (the first analyst, demos, lockouts).

``users add`` prints a one-use invitation link by default, so no password passes
through a shell. ``--password-env NAME`` (or ``--password-stdin``) sets a password
at once instead, for scripted set-ups such as the demo; it must pass the same
rules as the admin's own form. Programme analysts must use an authenticator app:
they set it up at their first sign-in, or ``--totp`` sets one up here and prints
its secret once (for a script, or to type into an app).
"""

from __future__ import annotations

import os
import sys

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from chatsurvey.accounts import actions
from chatsurvey.accounts.actions import AccountProblem, find_user, invite_url
from chatsurvey.accounts.models import ANALYST, ROLE_NAMES, ROLES, User
from chatsurvey.accounts.totp import totp_uri
from chatsurvey.councils.models import Tenant
from chatsurvey.extensions import db

users = AppGroup("users", help="Staff accounts for the web admin: add, list, disable.")


def _user(email: str) -> User:
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no account for {email} (see `chatsurvey users list`)")
    return user


def _password(from_env: str | None, from_stdin: bool) -> str | None:
    if from_env:
        value = os.environ.get(from_env)
        if not value:
            raise click.BadParameter(f"the environment variable {from_env} is not set or empty",
                                     param_hint="--password-env")
        return value
    if from_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
        if not value:
            raise click.BadParameter("nothing was read from standard input",
                                     param_hint="--password-stdin")
        return value
    return None


def _set_password(user: User, password: str) -> None:
    try:
        actions.set_password(user, password)
    except AccountProblem as problem:
        raise click.BadParameter(problem.message, param_hint="password") from None


def _totp(user: User) -> list[str]:
    secret = actions.set_up_totp(user)
    return [f"Authenticator secret (shown once): {secret}",
            f"Or as a link for the app: {totp_uri(user)}"]


@users.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="programme-analyst (all councils), council-admin or council-viewer.")
@click.option("--council", "slug", help="The council's short name (not for analysts).")
@click.option("--name", help="Their name, as the admin shows it (default: from the e-mail).")
@click.option("--password-env", metavar="NAME",
              help="Set this password now, read from the environment variable NAME.")
@click.option("--password-stdin", is_flag=True, help="Set a password now, read from stdin.")
@click.option("--totp", is_flag=True,
              help="Set up an authenticator app now and print its secret once.")
@click.option("--exist-ok", is_flag=True,
              help="If the account exists, set the password given (if any) and succeed.")
def users_add(email, role, slug, name, password_env, password_stdin, totp, exist_ok) -> None:
    """Add a staff account for EMAIL and print how they sign in."""
    for line in add_user(email, role, slug, name=name, totp=totp, exist_ok=exist_ok,
                         password=_password(password_env, password_stdin)):
        click.echo(line)


def _checked(role: str, slug: str | None) -> Tenant | None:
    """The council an account with ``role`` belongs to; raises if it cannot."""
    if role not in ROLES:
        raise click.BadParameter(f"choose one of {', '.join(ROLES)}", param_hint="--role")
    if role == ANALYST and slug:
        raise click.BadParameter("programme analysts belong to no council", param_hint="--council")
    if role != ANALYST and not slug:
        raise click.BadParameter(f"a {ROLE_NAMES[role].lower()} needs --council",
                                 param_hint="--council")
    if not slug:
        return None
    tenant = db.session.scalars(select(Tenant).where(Tenant.slug == slug)).first()
    if tenant is None:
        raise click.ClickException(f"no council called {slug!r} (see `chatsurvey tenants list`)")
    return tenant


def _update(existing: User, role: str, tenant: Tenant | None, password: str | None,
            totp: bool) -> list[str]:
    """``exist_ok``: set the password and second factor of an account that is already there."""
    from chatsurvey.audit import record

    if existing.role != role or existing.tenant_id != (tenant.id if tenant else None):
        raise click.ClickException(f"{existing.email} already has an account with another "
                                   "role or council")
    lines: list[str] = []
    if password:
        _set_password(existing, password)
        if not existing.active:
            actions.enable(existing)
    if totp and not existing.totp_enabled:
        lines += _totp(existing)
    record("user.updated", existing, tenant_id=existing.tenant_id, actor="cli",
           password_set=bool(password))
    db.session.commit()
    return [f"{existing.email} already has an account ({existing.role_name}); "
            + ("its password is set." if password else "nothing changed."), *lines]


def _how_to_sign_in(user: User, link: str | None) -> list[str]:
    if link:
        days = current_app.config["ADMIN_INVITE_TTL"] // 86400
        lines = [f"They choose a password with this link (one use, {days} days): {link}"]
    else:
        base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
        lines = [f"They sign in at {base}/admin/login"]
    if user.role == ANALYST and not user.totp_enabled:
        lines.append("As a programme analyst they set up an authenticator app at first sign-in.")
    return lines


def add_user(email: str, role: str, slug: str | None = None, *, name: str | None = None,
             password: str | None = None, totp: bool = False,
             exist_ok: bool = False) -> list[str]:
    """Add (or with ``exist_ok``, update) a staff account; returns lines to show.

    Without a password the lines hold a one-use invitation link. Raises
    click.ClickException (or BadParameter) when it cannot. Call it inside an app
    context; `chatsurvey demo` can use it to make its login.
    """
    email = email.strip().lower()
    tenant = _checked(role, slug)
    existing = find_user(email)
    if existing is not None:
        if not exist_ok:
            raise click.ClickException(f"{email} already has an account")
        return _update(existing, role, tenant, password, totp)
    try:
        user = actions.add_user(email, name or email.split("@")[0].replace(".", " ").title(),
                                role, tenant)
    except AccountProblem as problem:
        raise click.BadParameter(problem.message, param_hint="EMAIL") from None
    if password:
        _set_password(user, password)
    lines = _totp(user) if totp else []
    link = None if password else invite_url(actions.invite(user))
    db.session.commit()
    where = f" for {tenant.name}" if tenant else ""
    return [f"Added {email}: {user.role_name}{where}.", *lines, *_how_to_sign_in(user, link)]


@users.command("list")
@click.option("--council", "slug", help="Only this council's staff.")
def users_list(slug) -> None:
    """List staff accounts: e-mail, role, council, status."""
    query = select(User).order_by(User.tenant_id, User.email)
    if slug:
        query = query.join(Tenant, User.tenant_id == Tenant.id).where(Tenant.slug == slug)
    for user in db.session.scalars(query):
        status = "disabled" if not user.active else ("invited" if not user.password_hash
                                                     else "active")
        council = user.tenant.slug if user.tenant else "all councils"
        click.echo(f"{user.email}\t{user.role}\t{council}\t{status}"
                   f"{chr(9) + 'totp' if user.totp_enabled else ''}")


@users.command("invite")
@click.argument("email")
def users_invite(email) -> None:
    """Print a new invitation link for EMAIL (a forgotten password; the TOTP app stays).

    Any earlier link for EMAIL stops working."""
    user = _user(email)
    link = invite_url(actions.invite(user, again=True))
    db.session.commit()
    click.echo(link)


@users.command("disable")
@click.argument("email")
def users_disable(email) -> None:
    """Stop EMAIL signing in and end every session they have."""
    user = _user(email)
    ended = actions.disable(user)
    db.session.commit()
    click.echo(f"{user.email} is disabled; {ended} session(s) ended.")


@users.command("reset-totp")
@click.argument("email")
def users_reset_totp(email) -> None:
    """Remove EMAIL's authenticator app (a lost phone); analysts set a new one up at sign-in."""
    user = _user(email)
    actions.remove_totp(user)
    db.session.commit()
    click.echo(f"{user.email}'s authenticator app is removed and their sessions ended.")
