"""Builders for the admin tests: staff accounts, signing in through the real forms."""

from __future__ import annotations

import re

import pyotp

PASSWORD = "lantern orbit meadow pickle"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_user(role="council-admin", tenant=None, email=None, password=PASSWORD, totp=False,
              name="Sam Staff"):
    """A staff account (call inside an app context); ``totp=True`` sets up a second factor."""
    from chatsurvey.accounts.models import User
    from chatsurvey.accounts.passwords import hash_password
    from chatsurvey.extensions import db

    email = email or f"{role}-{tenant.slug if tenant else 'all'}@example.org"
    user = User(email=email, name=name, role=role, tenant=tenant, active=True,
                session_version=1, password_hash=hash_password(password) if password else None,
                totp_enabled=bool(totp), totp_secret=pyotp.random_base32() if totp else None)
    db.session.add(user)
    db.session.commit()
    return user


def csrf_token(client, path="/admin/login") -> str:
    """The form token from a page (the session keeps its secret)."""
    page = client.get(path)
    found = TOKEN.search(page.get_data(as_text=True))
    assert found, f"no CSRF token on {path} ({page.status_code})"
    return found.group(1)


def sign_in(client, email, password=PASSWORD, totp_secret=None, follow=False):
    """Sign in through the forms; returns the last response."""
    token = csrf_token(client)
    response = client.post("/admin/login", data={"email": email, "password": password,
                                                  "csrf_token": token})
    if totp_secret and response.status_code == 302 and "/login/code" in response.location:
        token = csrf_token(client, "/admin/login/code")
        response = client.post("/admin/login/code", data={
            "code": pyotp.TOTP(totp_secret).now(), "csrf_token": token})
    if follow and response.status_code == 302:
        response = client.get(response.location)
    return response


def post(client, path, data=None, token_from="/admin/", **kwargs):
    """POST a form with a valid CSRF token (taken from ``token_from``)."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, token_from))
    return client.post(path, data=data, **kwargs)


def add_response(survey_round, channel="web", age_band="11-18", week="2026-W48",
                 status="complete", comment=None, flagged=False, day=None):
    """An anonymous response (with one comment if ``comment``) in ``survey_round``."""
    import secrets

    from chatsurvey.extensions import db
    from chatsurvey.responses.models import Comment, Response

    response = Response(id=secrets.token_hex(16), tenant_id=survey_round.tenant_id,
                        round_id=survey_round.id, flow_id=survey_round.flow_version.flow_id,
                        flow_version=survey_round.flow_version.version, survey="demo",
                        age_band=age_band, locale="en", channel=channel, week=week,
                        status=status, answers={}, skipped=[],
                        **({"day": day} if day else {}))
    if comment:
        response.comments.append(Comment(key="anything_else", text=comment, found={},
                                         flagged=flagged))
    db.session.add(response)
    db.session.commit()
    return response
