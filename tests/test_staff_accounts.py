"""Staff accounts under attack: stale invitation links, lock-outs, and sessions nobody needed.

Each test takes the attacker's side: a link copied from an old e-mail, a stranger
guessing passwords to lock the real person out, a script fetching the sign-in page
until Redis fills up. The admin and the `chatsurvey users` commands change accounts
through the same actions, so each promise is tried through both where both exist.
"""

from __future__ import annotations

import re

import pytest

from chatsurvey.cli import main
from tests.admin_helpers import PASSWORD, csrf_token, make_user, post, sign_in
from tests.helpers import seed_tenant
from tests.test_layering import import_graph, importers

NEW_PASSWORD = "harbour velvet quartz ember"
LINK = re.compile(r"http://[^\s\"<]+(/admin/invite/[A-Za-z0-9_-]+)")


@pytest.fixture
def staff(app):
    """A council, its admin (who invites), and a colleague with a password of their own."""
    with app.app_context():
        tenant = seed_tenant()
        admin = make_user("council-admin", tenant, email="admin@testshire.example")
        colleague = make_user("council-viewer", tenant, email="jo@testshire.example",
                              name="Jo Colleague")
        return {"admin": admin.email, "colleague": colleague.email, "colleague_id": colleague.id}


def _link(page) -> str:
    found = LINK.search(page.get_data(as_text=True))
    assert found, page.get_data(as_text=True)[:500]
    return found.group(1)


def _reinvite_in_admin(client, user_id: int) -> str:
    return _link(post(client, f"/admin/users/{user_id}/reinvite"))


def _reinvite_on_the_command_line(app, email: str) -> str:
    result = app.test_cli_runner().invoke(main, args=["users", "invite", email])
    assert result.exit_code == 0, result.output
    return LINK.search(result.output).group(1)


def _accept(app, path: str, password: str = NEW_PASSWORD):
    """Choose a password through an invitation link, as its holder would."""
    browser = app.test_client()
    page = browser.get(path)
    if page.status_code != 200:
        return page
    return browser.post(path, data={"password": password, "confirm": password,
                                    "csrf_token": csrf_token(browser, path)})


def _password_works(app, email: str, password: str) -> bool:
    return sign_in(app.test_client(), email, password).status_code == 302


# -- invitation links: one live link per person --


def _after_reinvite_in_admin(app, client, staff):
    _reinvite_in_admin(client, staff["colleague_id"])


def _after_reinvite_on_the_command_line(app, client, staff):
    _reinvite_on_the_command_line(app, staff["colleague"])


def _after_disable_and_enable(app, client, staff):
    assert post(client, f"/admin/users/{staff['colleague_id']}/disable").status_code == 302
    assert post(client, f"/admin/users/{staff['colleague_id']}/enable").status_code == 302


def _after_disable_on_the_command_line_and_enable(app, client, staff):
    result = app.test_cli_runner().invoke(main, args=["users", "disable", staff["colleague"]])
    assert result.exit_code == 0, result.output
    assert post(client, f"/admin/users/{staff['colleague_id']}/enable").status_code == 302


def _after_own_password_change(app, client, staff):
    own = app.test_client()
    sign_in(own, staff["colleague"])
    changed = post(own, "/admin/account/password", {"current": PASSWORD, "password": NEW_PASSWORD,
                                                    "confirm": NEW_PASSWORD},
                   token_from="/admin/account/password")
    assert changed.status_code == 302


def _after_password_set_on_the_command_line(app, client, staff):
    import os

    os.environ["SECURITY_TEST_PASSWORD"] = NEW_PASSWORD
    try:
        result = app.test_cli_runner().invoke(main, args=[
            "users", "add", staff["colleague"], "--role", "council-viewer", "--council",
            "testshire", "--password-env", "SECURITY_TEST_PASSWORD", "--exist-ok"])
    finally:
        del os.environ["SECURITY_TEST_PASSWORD"]
    assert result.exit_code == 0, result.output


def _after_the_link_is_used(app, client, staff):
    fresh = _reinvite_in_admin(client, staff["colleague_id"])
    assert _accept(app, fresh, "a different long passphrase").status_code == 302


AFTER = {
    "re-invited in the admin": _after_reinvite_in_admin,
    "re-invited on the command line": _after_reinvite_on_the_command_line,
    "disabled then enabled again": _after_disable_and_enable,
    "disabled on the command line, enabled in the admin": (
        _after_disable_on_the_command_line_and_enable),
    "their own password changed": _after_own_password_change,
    "password set on the command line": _after_password_set_on_the_command_line,
    "a newer link used": _after_the_link_is_used,
}


@pytest.mark.parametrize("event", list(AFTER), ids=list(AFTER))
def test_an_old_invitation_link_is_dead_after(app, client, staff, event):
    """Someone holding an older link (an old e-mail, a shared inbox) cannot set the password."""
    sign_in(client, staff["admin"])
    old = _reinvite_in_admin(client, staff["colleague_id"])
    AFTER[event](app, client, staff)
    assert app.test_client().get(old).status_code == 404
    taken = _accept(app, old, "attacker chosen passphrase")
    assert taken.status_code == 404
    assert not _password_works(app, staff["colleague"], "attacker chosen passphrase")


def test_each_person_has_at_most_one_live_link(app, client, staff):
    from sqlalchemy import select

    from chatsurvey.accounts.models import UserInvite
    from chatsurvey.extensions import db

    sign_in(client, staff["admin"])
    links = [_reinvite_in_admin(client, staff["colleague_id"]) for _ in range(3)]
    links.append(_reinvite_on_the_command_line(app, staff["colleague"]))
    assert [app.test_client().get(link).status_code for link in links] == [404, 404, 404, 200]
    with app.app_context():
        rows = db.session.scalars(select(UserInvite).where(
            UserInvite.user_id == staff["colleague_id"])).all()
        assert len(rows) == 1
    assert _accept(app, links[-1]).status_code == 302
    assert _password_works(app, staff["colleague"], NEW_PASSWORD)
    assert app.test_client().get(links[-1]).status_code == 404


def test_the_command_line_never_imports_the_admin():
    """Both change accounts through chatsurvey.accounts; neither reaches into the other."""
    graph = import_graph()
    assert importers(graph, "chatsurvey.cli", "chatsurvey.admin") == []
    assert importers(graph, "chatsurvey.accounts", "chatsurvey.admin") == []


def test_account_changes_are_audited_the_same_from_both_doors(app, client, staff):
    from sqlalchemy import select

    from chatsurvey.audit import AuditEntry
    from chatsurvey.extensions import db

    sign_in(client, staff["admin"])
    _reinvite_in_admin(client, staff["colleague_id"])
    _reinvite_on_the_command_line(app, staff["colleague"])
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "user.reinvited")).all()
        assert [(e.actor, e.object_id) for e in entries] == [
            (staff["admin"], str(staff["colleague_id"])), ("cli", str(staff["colleague_id"]))]


# -- signing in: a stranger cannot lock the real person out --


def _from(app, address: str):
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = address
    return browser


def test_wrong_passwords_from_one_place_do_not_lock_out_the_real_person(app, staff):
    app.config["ADMIN_LOGIN_LIMIT_ACCOUNT"] = (3, 900)
    attacker = _from(app, "203.0.113.9")
    for _ in range(10):
        sign_in(attacker, staff["colleague"], "guessing wrongly again")
    assert sign_in(attacker, staff["colleague"]).status_code == 429, \
        "the guesser is still held back, even with the right password"
    assert sign_in(_from(app, "198.51.100.7"), staff["colleague"]).status_code == 302


def test_signing_in_successfully_never_counts_towards_a_limit(app, staff):
    app.config["ADMIN_LOGIN_LIMIT_ACCOUNT"] = (3, 900)
    app.config["ADMIN_LOGIN_LIMIT_IP"] = (4, 900)
    office = "192.0.2.20"
    for _ in range(6):
        browser = _from(app, office)
        assert sign_in(browser, staff["colleague"]).status_code == 302
        post(browser, "/admin/logout")
    assert sign_in(_from(app, office), staff["admin"]).status_code == 302
    wrong = sign_in(_from(app, office), staff["colleague"], "one honest typo here")
    assert wrong.status_code == 400, "one typo after many good sign-ins is not a lock-out"


def test_good_codes_never_count_and_bad_codes_do(app):
    app.config["ADMIN_LOGIN_LIMIT_ACCOUNT"] = (3, 900)
    with app.app_context():
        analyst = make_user("programme-analyst", None, email="analyst@example.org", totp=True)
        email, secret = analyst.email, analyst.totp_secret
    for _ in range(4):
        browser = _from(app, "192.0.2.30")
        assert sign_in(browser, email, totp_secret=secret).location == "/admin/"
        post(browser, "/admin/logout")
        from chatsurvey.accounts.models import User
        from chatsurvey.extensions import db

        with app.app_context():  # the next code is a new one (each code works once)
            db.session.query(User).filter_by(email=email).update({"totp_last_step": None})
            db.session.commit()
    guesser = _from(app, "192.0.2.30")
    sign_in(guesser, email)
    token = csrf_token(guesser, "/admin/login/code")
    answers = [guesser.post("/admin/login/code", data={"code": "000000", "csrf_token": token})
               .status_code for _ in range(5)]
    assert answers[:3] == [400, 400, 400] and answers[-1] == 429


# -- sessions: none until one is needed --


def test_fetching_the_sign_in_page_keeps_nothing_in_redis(app, staff):
    from chatsurvey.extensions import redis_client

    before = set(redis_client(app).keys("cs:as:*"))
    for _ in range(50):
        page = app.test_client().get("/admin/login")
        assert page.status_code == 200 and 'name="csrf_token"' in page.get_data(as_text=True)
    wrong = app.test_client()
    sign_in(wrong, staff["colleague"], "not the right password")
    invite = app.test_client().get("/admin/invite/" + "t" * 43)
    assert invite.status_code == 404
    assert set(redis_client(app).keys("cs:as:*")) == before


def test_the_sign_in_form_still_needs_its_own_token(app, staff):
    browser = app.test_client()
    csrf_token(browser)
    no_token = browser.post("/admin/login", data={"email": staff["colleague"],
                                                  "password": PASSWORD})
    assert no_token.status_code == 400
    other = app.test_client()
    borrowed = other.post("/admin/login", data={"email": staff["colleague"],
                                                "password": PASSWORD,
                                                "csrf_token": csrf_token(browser)})
    assert borrowed.status_code == 400, "a token is only good with the browser it was made for"
    assert sign_in(browser, staff["colleague"]).status_code == 302


def test_a_forged_pre_sign_in_cookie_is_ignored(app, staff):
    """The cookie before signing in is signed: an edited one counts as none."""
    browser = app.test_client()
    csrf_token(browser)
    name = app.config["ADMIN_SESSION_COOKIE"]
    value = browser.get_cookie(name).value
    tampered = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    browser.set_cookie(name, tampered)
    assert browser.get("/admin/login").status_code == 200
    forged = browser.post("/admin/login", data={"email": staff["colleague"],
                                                "password": PASSWORD, "uid": "1"})
    assert forged.status_code == 400
    assert browser.get("/admin/").status_code == 302


def test_signing_in_makes_exactly_one_session(app, staff):
    from chatsurvey.extensions import redis_client

    browser = app.test_client()
    assert sign_in(browser, staff["colleague"]).status_code == 302
    assert len(redis_client(app).keys("cs:as:*")) == 1
    assert browser.get("/admin/").status_code == 200
