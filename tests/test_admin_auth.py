"""Signing in: passwords, TOTP, the rate limit, CSRF, security headers, sessions, roles, logs."""

from __future__ import annotations

import logging
import re

import pyotp
import pytest

from tests.admin_helpers import PASSWORD, csrf_token, make_user, post, sign_in
from tests.helpers import seed_tenant


@pytest.fixture
def council(app):
    with app.app_context():
        tenant = seed_tenant()
        return tenant.id


def _user(app, role="council-admin", **kwargs):
    from chatsurvey.councils.models import Tenant
    from chatsurvey.extensions import db

    with app.app_context():
        tenant = db.session.get(Tenant, 1) if role != "programme-analyst" else None
        user = make_user(role, tenant, **kwargs)
        return {"id": user.id, "email": user.email, "secret": user.totp_secret}


def test_pages_need_signing_in(client, council):
    response = client.get("/admin/rounds")
    assert response.status_code == 302
    assert response.location.startswith("/admin/login?next=/admin/rounds")
    assert client.post("/admin/rounds/new").status_code in (400, 401)


def test_sign_in_and_out(app, client, council):
    user = _user(app)
    response = sign_in(client, user["email"])
    assert response.status_code == 302 and response.location == "/admin/"
    assert "Sam Staff" in client.get("/admin/").get_data(as_text=True)
    post(client, "/admin/logout")
    assert client.get("/admin/").status_code == 302


def test_wrong_password_is_refused_and_audited(app, client, council):
    from chatsurvey.audit import AuditEntry
    from chatsurvey.extensions import db

    user = _user(app)
    response = sign_in(client, user["email"], "not the password at all")
    assert response.status_code == 400
    assert "not right" in response.get_data(as_text=True)
    unknown = sign_in(client, "nobody@example.org", "whatever it is here")
    assert unknown.status_code == 400
    with app.app_context():
        actions = [e.action for e in db.session.query(AuditEntry).order_by(AuditEntry.id)]
        assert actions == ["login.failed", "login.failed"]
        assert "nobody@example.org" not in str(
            [e.details for e in db.session.query(AuditEntry)])


def test_analyst_must_set_up_totp_then_use_it(app, client):
    from chatsurvey.accounts.models import User
    from chatsurvey.extensions import db

    user = _user(app, "programme-analyst")
    response = sign_in(client, user["email"])
    assert response.location == "/admin/totp/setup"
    assert client.get("/admin/").status_code == 302  # not signed in yet
    page = client.get("/admin/totp/setup").get_data(as_text=True)
    secret = re.search(r"[A-Z2-7]{32}", page).group(0)
    assert "<svg" in page
    token = csrf_token(client, "/admin/totp/setup")
    bad = client.post("/admin/totp/setup", data={"code": "000000", "csrf_token": token})
    assert bad.status_code == 400
    good = client.post("/admin/totp/setup", data={"code": pyotp.TOTP(secret).now(),
                                                   "csrf_token": token})
    assert good.status_code == 302
    assert client.get("/admin/").status_code == 200
    with app.app_context():
        stored = db.session.get(User, user["id"])
        assert stored.totp_enabled and stored.totp_secret == secret


def test_totp_code_step(app, client, council):
    from chatsurvey.accounts.models import User
    from chatsurvey.extensions import db

    user = _user(app, totp=True)
    response = sign_in(client, user["email"])
    assert response.location == "/admin/login/code"
    token = csrf_token(client, "/admin/login/code")
    wrong = client.post("/admin/login/code", data={"code": "123456", "csrf_token": token})
    assert wrong.status_code == 400
    code = pyotp.TOTP(user["secret"]).now()
    right = client.post("/admin/login/code", data={"code": code, "csrf_token": token})
    assert right.status_code == 302 and right.location == "/admin/"
    # the same code never works twice
    other = app.test_client()
    sign_in(other, user["email"])
    token = csrf_token(other, "/admin/login/code")
    again = other.post("/admin/login/code", data={"code": code, "csrf_token": token})
    assert again.status_code == 400
    with app.app_context():
        assert db.session.get(User, user["id"]).totp_last_step is not None


def test_sign_in_is_rate_limited_per_account(app, client, council):
    app.config["ADMIN_LOGIN_LIMIT_ACCOUNT"] = (3, 900)
    user = _user(app)
    for _ in range(3):
        assert sign_in(client, user["email"], "wrong password here").status_code == 400
    limited = sign_in(client, user["email"], PASSWORD)  # even the right password now
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert "Too many attempts" in limited.get_data(as_text=True)
    other = _user(app, "council-viewer")
    assert sign_in(client, other["email"]).status_code == 302


def test_csrf_is_required_on_every_unsafe_admin_route(app, client, council):
    """Every POST route, signed in, without a token: 400, and nothing happens."""
    user = _user(app)
    sign_in(client, user["email"])
    rules = [r for r in app.url_map.iter_rules()
             if r.endpoint.startswith("admin.") and "POST" in r.methods]
    assert len(rules) > 20
    for rule in rules:
        url = re.sub(r"<(?:int:)?(\w+)>", lambda m: "1" if "id" in m.group(1) or
                     m.group(1) == "version" else "x" * 20, rule.rule)
        response = client.post(url, data={"name": "x"})
        assert response.status_code == 400, url
        assert "This form has expired" in response.get_data(as_text=True), url


def test_csrf_token_from_another_session_is_refused(app, client, council):
    user = _user(app)
    sign_in(client, user["email"])
    stranger = app.test_client()
    token = csrf_token(stranger)
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 400


def test_security_headers(app, client, council):
    user = _user(app)
    for response in (client.get("/admin/login"),):
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"
    sign_in(client, user["email"])
    cookie = client.get_cookie(app.config["ADMIN_SESSION_COOKIE"])
    assert cookie is not None and cookie.secure and cookie.http_only


def test_no_inline_script_or_style_in_any_page(app, client, council):
    """The CSP forbids them, so a page using them would be broken in the browser."""
    from tests.helpers import open_round, publish_fixture_flows

    with app.app_context():
        from chatsurvey.councils.models import Tenant
        from chatsurvey.extensions import db

        published = publish_fixture_flows()
        survey_round = open_round(db.session.get(Tenant, 1), published["router"])
        round_id = survey_round.id
    user = _user(app, "programme-analyst", totp=True)
    sign_in(client, user["email"], totp_secret=user["secret"])
    paths = ["/admin/", "/admin/rounds", f"/admin/rounds/{round_id}", "/admin/rounds/new",
             f"/admin/rounds/{round_id}/edit", f"/admin/rounds/{round_id}/print",
             f"/admin/rounds/{round_id}/invitations", f"/admin/rounds/{round_id}/paper",
             f"/admin/rounds/{round_id}/rates", "/admin/flows", "/admin/flows/router",
             "/admin/flows/router/edit", "/admin/flows/router/diff",
             "/admin/flows/router/versions/1", "/admin/comments", "/admin/translations",
             "/admin/councils", "/admin/councils/1", "/admin/councils/new", "/admin/users",
             "/admin/users/invite", f"/admin/users/{user['id']}", "/admin/audit",
             "/admin/account", "/admin/account/password"]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", body), path
        assert "<style" not in body and " style=" not in body, path
        assert not re.search(r"\son[a-z]+=", body), path
        assert "<h1" in body, path


def test_session_revocation(app, client, council):
    """Sign out everywhere else, and disabling an account, end sessions at once."""
    user = _user(app)
    admin = _user(app, "programme-analyst", totp=True)
    sign_in(client, user["email"])
    second = app.test_client()
    sign_in(second, user["email"])
    assert second.get("/admin/").status_code == 200
    post(client, "/admin/account/sessions/end-others")
    assert second.get("/admin/").status_code == 302
    assert client.get("/admin/").status_code == 200
    boss = app.test_client()
    sign_in(boss, admin["email"], totp_secret=admin["secret"])
    assert post(boss, f"/admin/users/{user['id']}/disable").status_code == 302
    assert client.get("/admin/").status_code == 302
    assert sign_in(app.test_client(), user["email"]).status_code == 400


@pytest.mark.parametrize(("role", "path", "expected"), [
    ("council-viewer", "/admin/rounds/new", 403),
    ("council-viewer", "/admin/users", 403),
    ("council-viewer", "/admin/flows/router/edit", 403),
    ("council-admin", "/admin/comments", 403),
    ("council-admin", "/admin/councils/new", 403),
    ("council-admin", "/admin/rounds/new", 200),
    ("council-viewer", "/admin/rounds", 200),
])
def test_roles(app, client, council, role, path, expected):
    from tests.helpers import publish_fixture_flows

    with app.app_context():
        publish_fixture_flows()
    user = _user(app, role)
    sign_in(client, user["email"])
    assert client.get(path).status_code == expected


def test_invitation_link_sets_a_password(app, client, council):
    admin = _user(app)
    sign_in(client, admin["email"])
    page = post(client, "/admin/users/invite", {"name": "New Person",
                                                "email": "new@testshire.example",
                                                "role": "council-viewer"})
    assert page.status_code == 200
    link = re.search(r"http://[^\s\"<]+/admin/invite/[A-Za-z0-9_-]+", page.get_data(as_text=True))
    path = link.group(0).split("5000", 1)[1]
    fresh = app.test_client()
    token = csrf_token(fresh, path)
    weak = fresh.post(path, data={"password": "password", "confirm": "password",
                                  "csrf_token": token})
    assert weak.status_code == 400
    ok = fresh.post(path, data={"password": PASSWORD, "confirm": PASSWORD, "csrf_token": token})
    assert ok.status_code == 302
    assert fresh.get(path).status_code == 404  # used once
    assert sign_in(fresh, "new@testshire.example").status_code == 302


def test_no_secrets_or_numbers_in_logs(app, client, council, caplog):
    from chatsurvey.audit import AuditEntry
    from chatsurvey.extensions import db

    caplog.set_level(logging.DEBUG)
    user = _user(app)
    sign_in(client, user["email"], "my secret password 123")
    sign_in(client, user["email"])
    with app.app_context():
        from chatsurvey.audit import record

        record("test", None, text="ring me on 07700 900123", phone="+447700900123",
               note="write to jo@example.org or 07700900123")
        db.session.commit()
        details = db.session.query(AuditEntry).filter_by(action="test").one().details
    assert details == {"note": "write to [e-mail] or [number]"}
    logged = caplog.text
    for secret in ("my secret password 123", PASSWORD, "07700", "447700900123"):
        assert secret not in logged


def test_only_the_admin_has_sessions(app, client, council):
    """Chat and webhook requests do no session work, even with an admin cookie in the browser."""
    from flask import request
    from flask.sessions import NullSession

    from chatsurvey.accounts.logins import AdminSession

    user = _user(app)
    sign_in(client, user["email"], totp_secret=user["secret"])
    assert client.get_cookie(app.config["ADMIN_SESSION_COOKIE"]) is not None
    for path in ("/healthz", "/api/v1/openapi.json", "/widget.js"):
        response = client.get(path)
        response.close()
        assert response.status_code == 200 and "Set-Cookie" not in response.headers, path
    for path, kind in (("/s/any-link", NullSession), ("/api/v1/x", NullSession),
                       ("/sms/inbound", NullSession), ("/admin/login", AdminSession)):
        with app.test_request_context(path):
            assert isinstance(app.session_interface.open_session(app, request), kind), path
