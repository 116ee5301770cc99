"""The programme's flows are changed by programme analysts only, on every route, for every role.

Flows are shared by every council: a council admin who could publish one could
tell another council's young people to ring a different number. So every route
that touches flows (the flow pages, the simulator, the translations) is walked
from ``app.url_map`` for each role: looking is open to every signed-in member of
staff; anything that writes (drafts too) is refused to everyone but programme
analysts, before anything is read or saved. A new route in those modules is
picked up here and must be classified.
"""

from __future__ import annotations

import io

import pytest

from tests.admin_helpers import csrf_token, make_user, sign_in
from tests.helpers import publish_fixture_flows, seed_tenant

FLOW_MODULES = ("chatsurvey.admin.flows", "chatsurvey.admin.simulator",
                "chatsurvey.admin.translations")
LOOKING = {"admin.flows_list", "admin.flow_detail", "admin.flow_version", "admin.flow_diff",
           "admin.translations", "admin.translation_download"}
"""Routes that only show the programme's flows (GET): open to every role."""
JSON_BODY = {"admin.flow_check", "admin.simulate"}
ROLES = ("programme-analyst", "council-admin", "council-viewer")


def _flow_routes():
    from chatsurvey import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "REDIS_URL": "redis://localhost:1/0",
                      "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    found = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if view.__module__ in FLOW_MODULES:
            found += [(rule.rule, rule.endpoint, m)
                      for m in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return sorted(found)


ROUTES = _flow_routes()


def test_the_flow_routes_are_found():
    endpoints = {e for _, e, _ in ROUTES}
    assert {"admin.flow_edit", "admin.flow_publish", "admin.flow_rollback", "admin.simulate",
            "admin.translation_upload"} <= endpoints
    assert endpoints >= LOOKING


@pytest.fixture
def staff(app):
    """Two councils, the fixture flows, and one member of staff in each role."""
    with app.app_context():
        mine = seed_tenant("aford", number="+447700900001")
        seed_tenant("bchester", number="+447700900002")
        publish_fixture_flows()
        people = {"programme-analyst": make_user("programme-analyst", totp=True)}
        for role in ROLES[1:]:
            people[role] = make_user(role, mine)
        return {role: (u.email, u.totp_secret) for role, u in people.items()}


def _writes(app):
    """Everything a flow route could change: versions, drafts, audit rows about flows."""
    from chatsurvey.audit import AuditEntry
    from chatsurvey.extensions import db
    from chatsurvey.flows.models import FlowDraft, FlowVersion

    with app.app_context():
        return (db.session.query(FlowVersion).count(), db.session.query(FlowDraft).count(),
                [a.action for a in db.session.query(AuditEntry)
                 if a.action.startswith(("flow", "translation"))])


def _childline_changed(app) -> str:
    """The attack in the report: the support flow with another number for Childline."""
    from chatsurvey.flows.models import FlowVersion

    with app.app_context():
        source = FlowVersion.latest("support").source
    assert "0800 1111" in source
    return source.replace("0800 1111", "0900 666 666")


def _url(rule: str) -> str:
    values = {"flow_id": "support", "version": "1", "locale": "cy"}
    for name, value in values.items():
        rule = rule.replace(f"<{name}>", value).replace(f"<int:{name}>", value)
    assert "<" not in rule, rule
    return rule


def _send(client, app, rule, endpoint, method):
    token = csrf_token(client, "/admin/")
    source = _childline_changed(app)
    url = _url(rule)
    if method == "GET":
        response = client.get(url)
    elif endpoint in JSON_BODY:
        response = client.open(url, method=method, headers={"X-CSRFToken": token},
                               json={"source": source, "flow_id": "support", "channel": "sms"})
    else:
        response = client.open(url, method=method, content_type="multipart/form-data", data={
            "csrf_token": token, "source": source, "flow_id": "support",
            "po": (io.BytesIO(b'msgid "x"\nmsgstr "y"\n'), "cy.po")})
    response.get_data()
    response.close()
    return response


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("rule", "endpoint", "method"), ROUTES,
                         ids=[f"{m} {r}" for r, _, m in ROUTES])
def test_only_programme_analysts_change_flows(app, client, staff, role, rule, endpoint, method):
    email, secret = staff[role]
    assert sign_in(client, email, totp_secret=secret).status_code == 302
    before = _writes(app)
    response = _send(client, app, rule, endpoint, method)
    looking = endpoint in LOOKING and method == "GET"
    if looking or role == "programme-analyst":
        assert response.status_code in (200, 302), (response.status_code, response.data[:300])
        return
    assert response.status_code == 403, (response.status_code, response.data[:300])
    assert _writes(app) == before, "a refused request changed something"
    assert "0900 666 666" not in response.get_data(as_text=True)


def test_a_council_admin_cannot_change_the_helplines_for_everyone(app, client, staff):
    """The report's attack, step by step: open the editor, change Childline, publish."""
    from chatsurvey.extensions import db
    from chatsurvey.flows.models import FlowVersion

    sign_in(client, staff["council-admin"][0])
    assert client.get("/admin/flows/support/edit").status_code == 403
    token = csrf_token(client, "/admin/")
    changed = _childline_changed(app)
    assert client.post("/admin/flows/support/check", json={"source": changed},
                       headers={"X-CSRFToken": token}).status_code == 403
    assert client.post("/admin/flows/support/publish", data={
        "source": changed, "csrf_token": token}).status_code == 403
    assert client.post("/admin/flows/support/versions/1/rollback",
                       data={"csrf_token": token}).status_code == 403
    assert client.post("/admin/flows/new", data={"flow_id": "support-local",
                                                 "csrf_token": token}).status_code == 403
    with app.app_context():
        rows = db.session.query(FlowVersion).filter_by(flow_id="support").all()
        assert len(rows) == 1 and "0800 1111" in rows[0].source


def test_flow_publishes_are_audited_as_the_programme_s_own(app, client, staff):
    """Every audit row of a flow publish names no council: the flows belong to none."""
    from chatsurvey.audit import AuditEntry
    from chatsurvey.extensions import db

    email, secret = staff["programme-analyst"]
    sign_in(client, email, totp_secret=secret)
    token = csrf_token(client, "/admin/")
    changed = _childline_changed(app).replace("0900 666 666", "0800 1111 (free)")
    assert client.post("/admin/flows/support/publish", data={
        "source": changed, "csrf_token": token}).status_code == 302
    assert client.post("/admin/flows/support/versions/1/rollback",
                       data={"csrf_token": token}).status_code == 302
    with app.app_context():
        rows = [(a.action, a.tenant_id) for a in db.session.query(AuditEntry)
                if a.action.startswith("flow.")]
    assert {"flow.published", "flow.rolled_back"} <= {action for action, _ in rows}
    assert {tenant for _, tenant in rows} == {None}
