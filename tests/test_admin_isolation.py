"""Tenant isolation: every admin URL, used by another council's admin, answers 404.

The test walks ``app.url_map``: a route whose URL names something a council owns
(a round, a council, a person, a comment, a session) must answer 404 to a user
of another council, exactly as for an id that does not exist. Any other admin
route must be listed in SHARED with the reason it holds nothing a council owns,
so a new route cannot be added without either being scoped or being explained.
"""

from __future__ import annotations

import pytest

from tests.admin_helpers import add_response, make_user, sign_in
from tests.helpers import open_round, publish_fixture_flows, seed_tenant

OWNED_ARGS = {"round_id", "tenant_id", "user_id", "comment_id", "handle"}
"""URL parts that name something a council (or one person) owns."""

SHARED = {
    # signing in and one's own account (the user is always the signed-in one)
    "admin.static": "static files",
    "admin.login": "sign-in", "admin.login_code": "sign-in", "admin.totp_setup": "own account",
    "admin.invite": "invitation token, not a council's object", "admin.logout": "own session",
    "admin.account": "own account", "admin.change_password": "own account",
    "admin.end_my_other_sessions": "own sessions", "admin.remove_my_totp": "own account",
    "admin.home": "lists are scoped (test_lists_show_only_own_council)",
    # lists, narrowed by scoping.scope (tested below)
    "admin.audit_log": "scoped list", "admin.tenants_list": "scoped list",
    "admin.rounds_list": "scoped list", "admin.users_list": "scoped list",
    "admin.round_new": "creates for the user's own council",
    "admin.user_invite": "invites into the user's own council",
    "admin.comments": "programme analysts only",
    # the programme's flows and their words: everyone may look, only analysts change them
    # (every role on every flow route: tests/test_flow_ownership.py)
    "admin.flows_list": "the programme's flows", "admin.flow_detail": "the programme's flows",
    "admin.flow_version": "the programme's flows", "admin.flow_diff": "the programme's flows",
    "admin.flow_map": "the programme's flows",
    "admin.flow_edit": "analysts only", "admin.flow_check": "analysts only",
    "admin.flow_publish": "analysts only", "admin.flow_rollback": "analysts only",
    "admin.flow_new": "analysts only", "admin.flow_discard": "analysts only",
    "admin.tenant_new": "analysts only: adds a council",
    "admin.simulate": "analysts only, stateless",
    "admin.translations": "the programme's words",
    "admin.translation_download": "the programme's words",
    "admin.translation_upload": "analysts only",
}


def admin_rules(app):
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")),
                  key=lambda r: r.rule)


def _all_rules():
    """(rule, method) pairs, read from a real app so new routes are picked up."""
    from chatsurvey import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "REDIS_URL": "redis://localhost:1/0",
                      "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return [(rule.rule, rule.endpoint, method) for rule in admin_rules(app)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


ROUTES = _all_rules()


@pytest.fixture
def two_councils(app):
    """Council A with a round, a comment, staff; council B's admin, signed in as the test."""
    with app.app_context():
        a = seed_tenant("aford", number="+447700900001")
        b = seed_tenant("bchester", number="+447700900002", origins=("https://b.example",))
        published = publish_fixture_flows()
        survey_round = open_round(a, published["router"], name="Aford autumn")
        response = add_response(survey_round, comment="A comment from Aford")
        a_user = make_user("council-viewer", a, email="viewer@aford.example")
        b_admin = make_user("council-admin", b, email="admin@bchester.example")
        return {"round_id": survey_round.id, "tenant_id": a.id, "user_id": a_user.id,
                "comment_id": response.comments[0].id, "handle": "x" * 12,
                "b_email": b_admin.email, "a_email": a_user.email, "round_name": survey_round.name}


def _url(rule: str, ids: dict) -> str:
    values = {"round_id": ids["round_id"], "tenant_id": ids["tenant_id"],
              "user_id": ids["user_id"], "comment_id": ids["comment_id"], "handle": ids["handle"],
              "flow_id": "router", "version": 1, "locale": "cy", "token": "t" * 43,
              "variant": "all", "filename": "admin.css", "name": "local_youth_club"}
    url = rule
    for name, value in values.items():
        for converter in ("", "int:", "path:"):
            url = url.replace(f"<{converter}{name}>", str(value))
    assert "<" not in url, f"{rule}: the test does not know how to fill this URL in"
    return url


def test_every_admin_route_is_classified():
    """A route naming nothing owned must say why in SHARED; nothing stale stays listed."""
    endpoints = {endpoint for _, endpoint, _ in ROUTES}
    owned = {endpoint for rule, endpoint, _ in ROUTES
             if any(f"{arg}>" in rule for arg in OWNED_ARGS)}
    unexplained = endpoints - owned - set(SHARED)
    assert not unexplained, ("these admin routes name nothing a council owns and are not in "
                             f"SHARED: {sorted(unexplained)}. Scope them or explain them.")
    assert not set(SHARED) - endpoints, sorted(set(SHARED) - endpoints)


@pytest.mark.parametrize(("rule", "endpoint", "method"),
                         [r for r in ROUTES if any(f"{arg}>" in r[0] for arg in OWNED_ARGS)],
                         ids=[f"{m} {r}" for r, _, m in ROUTES
                              if any(f"{arg}>" in r for arg in OWNED_ARGS)])
def test_another_councils_objects_are_not_found(app, client, two_councils, rule, endpoint,
                                                method):
    assert sign_in(client, two_councils["b_email"]).status_code == 302
    page = client.get("/admin/")
    token = page.get_data(as_text=True).split('name="csrf-token" content="')[1].split('"')[0]
    url = _url(rule, two_councils)
    response = client.open(url, method=method, data={"csrf_token": token, "action": "approve",
                                                     "name": "x"})
    view = app.view_functions[endpoint]
    allowed = getattr(view, "allowed_roles", None)
    if allowed is not None and "council-admin" not in allowed:
        # refused for the role before anything is loaded: the same for any id
        assert response.status_code == 403
        missing = client.open(_url(rule, {**two_councils, "round_id": 999999, "user_id": 999999,
                                          "tenant_id": 999999, "comment_id": 999999}),
                              method=method, data={"csrf_token": token})
        assert missing.status_code == 403
    else:
        assert response.status_code == 404, (url, response.status_code)
    assert two_councils["round_name"] not in response.get_data(as_text=True)


def test_lists_show_only_own_council(app, client, two_councils):
    sign_in(client, two_councils["b_email"])
    for path in ("/admin/", "/admin/rounds", "/admin/users", "/admin/councils", "/admin/audit"):
        page = client.get(path)
        assert page.status_code == 200, path
        body = page.get_data(as_text=True)
        assert two_councils["round_name"] not in body, path
        assert two_councils["a_email"] not in body, path
        assert "Aford" not in body, path


def test_a_council_admin_cannot_open_a_round_for_another_council(app, client, two_councils):
    from tests.admin_helpers import post

    sign_in(client, two_councils["b_email"])
    with app.app_context():
        from chatsurvey.extensions import db
        from chatsurvey.flows.models import FlowVersion
        from chatsurvey.rounds.models import SurveyRound

        version = db.session.query(FlowVersion).filter_by(flow_id="router").first()
        before = db.session.query(SurveyRound).count()
    response = post(client, "/admin/rounds/new", {
        "tenant_id": two_councils["tenant_id"], "flow_version_id": version.id, "name": "Sneaky",
        "opens": "2030-01-01", "closes": "2030-02-01", "channel_web": "1",
        "confirm_minimum": "1"})
    assert response.status_code == 302
    with app.app_context():
        rows = db.session.query(SurveyRound).order_by(SurveyRound.id).all()
        assert len(rows) == before + 1
        assert rows[-1].tenant.slug == "bchester"
