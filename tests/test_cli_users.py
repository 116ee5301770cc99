"""`chatsurvey users`: accounts from the command line, and signing in with them."""

from __future__ import annotations

import re

import pyotp
import pytest

from chatsurvey.cli import main
from tests.admin_helpers import PASSWORD, sign_in
from tests.helpers import seed_tenant


@pytest.fixture
def runner(app):
    with app.app_context():
        seed_tenant()
    return app.test_cli_runner()


def test_add_council_admin_with_password_then_sign_in(app, runner, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", PASSWORD)
    result = runner.invoke(main, args=["users", "add", "Demo@Testshire.example", "--role",
                                 "council-admin", "--council", "testshire", "--name",
                                 "Demo Admin", "--password-env", "DEMO_PASSWORD"])
    assert result.exit_code == 0, result.output
    assert "Added demo@testshire.example: Council admin for Testshire Council." in result.output
    assert "/admin/login" in result.output and PASSWORD not in result.output
    assert sign_in(app.test_client(), "demo@testshire.example").status_code == 302
    again = runner.invoke(main, args=["users", "add", "demo@testshire.example", "--role",
                                "council-admin", "--council", "testshire"])
    assert again.exit_code == 1 and "already has an account" in again.output
    rerun = runner.invoke(main, args=["users", "add", "demo@testshire.example", "--role",
                                "council-admin", "--council", "testshire", "--password-env",
                                "DEMO_PASSWORD", "--exist-ok"])
    assert rerun.exit_code == 0, rerun.output
    listed = runner.invoke(main, args=["users", "list", "--council", "testshire"])
    assert "demo@testshire.example\tcouncil-admin\ttestshire\tactive" in listed.output


def test_add_prints_an_invitation_link_by_default(app, runner):
    result = runner.invoke(main, args=["users", "add", "viewer@testshire.example", "--role",
                                 "council-viewer", "--council", "testshire"])
    assert result.exit_code == 0, result.output
    link = re.search(r"/admin/invite/[A-Za-z0-9_-]+", result.output).group(0)
    assert app.test_client().get(link).status_code == 200


def test_analyst_with_totp(app, runner, monkeypatch):
    monkeypatch.setenv("PW", PASSWORD)
    result = runner.invoke(main, args=["users", "add", "analyst@programme.example", "--role",
                                 "programme-analyst", "--password-env", "PW", "--totp"])
    assert result.exit_code == 0, result.output
    secret = re.search(r"shown once\): ([A-Z2-7]{32})", result.output).group(1)
    assert "otpauth://totp/" in result.output
    client = app.test_client()
    response = sign_in(client, "analyst@programme.example", totp_secret=secret)
    assert response.status_code == 302 and response.location == "/admin/"
    assert pyotp.TOTP(secret).now()


@pytest.mark.parametrize(("args", "message"), [
    (["x@y.example", "--role", "council-admin"], "needs --council"),
    (["x@y.example", "--role", "programme-analyst", "--council", "testshire"], "no council"),
    (["x@y.example", "--role", "council-admin", "--council", "nowhere"], "no council called"),
    (["not-an-email", "--role", "council-viewer", "--council", "testshire"], "e-mail"),
    (["x@y.example", "--role", "council-admin", "--council", "testshire", "--password-env",
      "UNSET_VARIABLE_FOR_TEST"], "not set"),
])
def test_add_refuses(runner, args, message):
    result = runner.invoke(main, args=["users", "add", *args])
    assert result.exit_code != 0 and message in result.output


def test_weak_password_is_refused(runner, monkeypatch):
    monkeypatch.setenv("PW", "password")
    result = runner.invoke(main, args=["users", "add", "x@y.example", "--role", "council-admin",
                                 "--council", "testshire", "--password-env", "PW"])
    assert result.exit_code != 0 and "at least 12 characters" in result.output


def test_disable_and_reset_totp(app, runner, monkeypatch):
    monkeypatch.setenv("PW", PASSWORD)
    runner.invoke(main, args=["users", "add", "a@testshire.example", "--role", "council-admin",
                        "--council", "testshire", "--password-env", "PW", "--totp"])
    reset = runner.invoke(main, args=["users", "reset-totp", "a@testshire.example"])
    assert reset.exit_code == 0, reset.output
    client = app.test_client()
    assert sign_in(client, "a@testshire.example").location == "/admin/"
    disabled = runner.invoke(main, args=["users", "disable", "a@testshire.example"])
    assert disabled.exit_code == 0 and "1 session(s) ended" in disabled.output
    assert client.get("/admin/").status_code == 302
    assert runner.invoke(main, args=["users", "disable", "nobody@x.example"]).exit_code == 1


def test_add_user_as_a_function_is_repeatable(app, runner):
    """What `chatsurvey demo` can call each time it starts."""
    from chatsurvey.cli.users import add_user

    with app.app_context():
        first = add_user("demo@testshire.example", "council-admin", "testshire",
                         name="Demo Admin", password=PASSWORD, exist_ok=True)
        again = add_user("demo@testshire.example", "council-admin", "testshire",
                         name="Demo Admin", password=PASSWORD, exist_ok=True)
    assert first[0].startswith("Added demo@testshire.example")
    assert again[0].endswith("its password is set.")
    assert sign_in(app.test_client(), "demo@testshire.example").status_code == 302
