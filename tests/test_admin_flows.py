"""The flow pages: live check, drafts, publish, diff, roll back, running counts, the simulator.

Who may use them is tests/test_flow_ownership.py; a council's own questions are
tests/test_local_questions.py."""

from __future__ import annotations

import json

import pytest

from tests.admin_helpers import csrf_token, make_user, post, sign_in
from tests.helpers import publish_fixture_flows, seed_tenant


@pytest.fixture
def staff(app):
    with app.app_context():
        tenant = seed_tenant()
        publish_fixture_flows()
        analyst = make_user("programme-analyst", totp=True)
        council = make_user("council-admin", tenant)
        return {"analyst": (analyst.email, analyst.totp_secret), "council": council.email}


def as_analyst(client, staff):
    email, secret = staff["analyst"]
    assert sign_in(client, email, totp_secret=secret).status_code == 302


def check(client, flow_id, source):
    token = csrf_token(client, "/admin/")
    response = client.post(f"/admin/flows/{flow_id}/check", json={"source": source},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200
    return response.get_json()


def pets_source(app):
    from chatsurvey.flows.models import FlowVersion

    with app.app_context():
        return FlowVersion.latest("pets").source


def versions(app, flow_id):
    from chatsurvey.extensions import db
    from chatsurvey.flows.models import FlowVersion

    with app.app_context():
        return [(v.version, v.source) for v in db.session.query(FlowVersion)
                .filter_by(flow_id=flow_id).order_by(FlowVersion.version)]


def test_editor_page_shows_the_yaml_and_its_check(app, client, staff):
    as_analyst(client, staff)
    page = client.get("/admin/flows/pets/edit").get_data(as_text=True)
    assert "Do you have a pet?" in page
    assert "No errors: this can be published." in page
    assert 'id="simulator"' in page


def test_live_check_points_at_the_line(app, client, staff):
    as_analyst(client, staff)
    source = pets_source(app)
    broken = source.replace("    prompt: has_pet\n", "    prompt: no_such_message\n", 1)
    line = broken.splitlines().index("    prompt: no_such_message") + 1
    result = check(client, "pets", broken)
    assert not result["ok"] and result["errors"] >= 1
    assert any(p["level"] == "error" and p["line"] == line and "no_such_message" in p["message"]
               for p in result["problems"])
    assert check(client, "pets", source)["ok"]
    bad_yaml = check(client, "pets", source + "\n  : : [\n")
    assert not bad_yaml["ok"] and bad_yaml["problems"][0]["line"]


def test_publish_refuses_errors_then_publishes_and_rolls_back(app, client, staff):
    from chatsurvey.audit import AuditEntry
    from chatsurvey.extensions import db

    as_analyst(client, staff)
    source = pets_source(app)
    broken = source.replace("    prompt: has_pet\n", "    prompt: no_such_message\n", 1)
    refused = post(client, "/admin/flows/pets/publish", {"source": broken})
    assert refused.status_code == 302 and refused.location.endswith("/edit")
    assert len(versions(app, "pets")) == 1
    # the draft was kept, and the editor shows it with the error
    page = client.get("/admin/flows/pets/edit").get_data(as_text=True)
    assert "no_such_message" in page and "error(s) to fix" in page
    changed = source.replace('"Do you have a pet?"', '"Have you got a pet at home?"')
    published = post(client, "/admin/flows/pets/publish", {"source": changed})
    assert published.status_code == 302
    assert [v for v, _ in versions(app, "pets")] == [1, 2]
    assert "Have you got a pet at home?" in versions(app, "pets")[1][1]
    diff = client.get("/admin/flows/pets/diff?a=1&b=2").get_data(as_text=True)
    assert '<span class="d-del"><span class="visually-hidden">removed: </span>-    text: ' \
           '&#34;Do you have a pet?&#34;' in diff
    assert "Have you got a pet at home?" in diff
    post(client, "/admin/flows/pets/versions/1/rollback")
    rows = versions(app, "pets")
    assert [v for v, _ in rows] == [1, 2, 3] and rows[2][1] == rows[0][1]
    with app.app_context():
        actions = [e.action for e in db.session.query(AuditEntry).order_by(AuditEntry.id)]
    assert "flow.published" in actions and "flow.rolled_back" in actions


def test_publishing_a_sub_flow_repins_the_router(app, client, staff):
    as_analyst(client, staff)
    source = pets_source(app)
    before = versions(app, "router")
    post(client, "/admin/flows/pets/publish",
         {"source": source.replace('"Do you have a pet?"', '"Any pets?"')})
    after = versions(app, "router")
    routes_to_pets = "pets" in before[-1][1]
    assert len(after) == len(before) + (1 if routes_to_pets else 0)


def test_running_conversations_are_counted_per_version(app, client, staff):
    from chatsurvey.conversations.keyspace import record_key
    from chatsurvey.extensions import redis_client

    redis = redis_client(app)
    for n in range(3):
        redis.set(record_key(f"c{n}"), "\n".join(
            ["1", f"c{n}", json.dumps([1, 1, "web", "pets", 1, 0, 0, None]), "{}", ""]))
    as_analyst(client, staff)
    post(client, "/admin/flows/pets/publish", {"source": pets_source(app).replace(
        '"Do you have a pet?"', '"Any pets?"')})
    page = client.get("/admin/flows/pets").get_data(as_text=True)
    rows = page.split("<tbody>")[1].split("</tr>")
    version_1 = next(r for r in rows if ">Version 1<" in r)
    version_2 = next(r for r in rows if ">Version 2<" in r)
    assert "<td>3</td>" in version_1 and "<td>0</td>" in version_2
    listed = client.get("/admin/flows").get_data(as_text=True).split("</tr>")
    pets = next(r for r in listed if "<code>pets</code>" in r)
    assert "0 on this version" in pets  # the latest version; the three are on version 1
    support = next(r for r in listed if "<code>support</code>" in r)
    assert "3 on this version" in support  # entered from pets version 1 (pinned)


def test_analyst_may_change_a_core_key(app, client, staff):
    as_analyst(client, staff)
    source = pets_source(app)
    result = check(client, "pets", source.replace("    key: has_pet\n", "    key: has_a_pet\n"))
    assert not [p for p in result["problems"] if p["code"] == "core-lock"]


def test_simulator_plays_the_draft(app, client, staff):
    as_analyst(client, staff)
    token = csrf_token(client, "/admin/")
    source = pets_source(app).replace('"Do you have a pet?"', '"Draft: any pets?"')

    def say(body):
        response = client.post("/admin/simulator", json={"source": source, "flow_id": "pets",
                                                         **body}, headers={"X-CSRFToken": token})
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    first = say({"channel": "web", "locale": "en"})
    assert any("short chat about pets" in r.get("text", "") for r in first["replies"])
    second = say({"state": first["state"], "message": {"value": "yes"}})
    assert "Draft: any pets?" in json.dumps(second["replies"])
    third = say({"state": second["state"], "message": {"value": "no"}})
    assert "Answer recorded" in [e["label"] for e in third["events"]]
    sms = say({"channel": "sms", "locale": "cy"})
    assert sms["replies"]
    broken = client.post("/admin/simulator", json={"source": "id: [", "flow_id": "pets"},
                         headers={"X-CSRFToken": token})
    assert broken.status_code == 422 and "line" in broken.get_json()["error"]


def test_the_simulator_notices_when_the_draft_moves_under_its_conversation(app, client, staff):
    as_analyst(client, staff)
    token = csrf_token(client, "/admin/")
    source = pets_source(app)

    def say(body, draft=source):
        return client.post("/admin/simulator", json={"source": draft, "flow_id": "pets", **body},
                           headers={"X-CSRFToken": token})

    state = say({"channel": "web", "locale": "en"}).get_json()["state"]
    state = say({"state": state, "message": {"value": "yes"}}).get_json()["state"]
    reworded = source.replace('"Do you have a pet?"', '"Any pets?"')
    going = say({"state": state, "message": {"value": "yes"}}, reworded)
    assert going.status_code == 200 and going.get_json()["status"] == "active"
    moved = source.replace("    key: has_pet\n", "    key: has_a_pet\n")
    for draft, sent in [(moved, state), (source, {**state, "layout": "0" * 12}),
                        (source, {**state, "state": state["state"].replace('"t":', '"t":"')}),
                        (source, "not a state"), (source, {"state": 7})]:
        response = say({"state": sent, "message": "yes"}, draft)
        assert response.status_code == 409, (sent, response.get_json())
        assert response.get_json()["error"].startswith("The draft changed under this conversation")


BOMB = ('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        + "".join(f"{n}: &{n} [" + ",".join([f"*{p}"] * 9) + "]\n"
                  for p, n in zip("abcdefgh", "bcdefghi", strict=True)))
DEEP = "id: pets\nstates: " + "[" * 5000 + "]" * 5000 + "\n"


@pytest.mark.parametrize("hostile", [BOMB, DEEP], ids=["alias bomb", "5000 deep"])
def test_hostile_yaml_gets_a_clear_error_in_the_editor_check_and_simulator(app, client, staff,
                                                                          hostile):
    """Neither grows the worker nor ends in a 500, not even as a saved draft read on each load."""
    import time

    as_analyst(client, staff)
    began = time.perf_counter()
    result = check(client, "pets", hostile)  # the live check saves the draft as it goes
    assert not result["ok"] and result["problems"][0]["line"]
    assert any(w in result["problems"][0]["message"] for w in ("aliases", "nest"))
    token = csrf_token(client, "/admin/")
    played = client.post("/admin/simulator", json={"source": hostile, "flow_id": "pets"},
                         headers={"X-CSRFToken": token})
    assert played.status_code == 422 and "cannot be played yet" in played.get_json()["error"]
    page = client.get("/admin/flows/pets/edit")  # the saved draft, read again
    assert page.status_code == 200 and "error(s) to fix" in page.get_data(as_text=True)
    published = post(client, "/admin/flows/pets/publish", {"source": hostile})
    assert published.status_code == 302 and len(versions(app, "pets")) == 1
    assert time.perf_counter() - began < 10
