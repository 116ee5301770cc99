"""The local questions' forms: a council adds, changes, moves and deletes its own questions
without writing YAML, the YAML keeps its comments, and nothing of the programme's can be
reached through them."""

from __future__ import annotations

import pytest

from chatsurvey.flows import local_form
from tests.admin_helpers import make_user, post, sign_in
from tests.helpers import publish_fixture_flows, seed_tenant
from tests.test_local_questions import BLOCK

pytestmark = pytest.mark.redis

SLOTS = {"before_open_questions": True, "local_contacts": False}
COMMENTED = "# Bchester's questions, agreed with the children in care council\n" + BLOCK.replace(
    "  local_advocacy:\n", "  # the advocacy line, after the helplines\n  local_advocacy:\n")


def test_a_question_added_changed_moved_and_deleted_keeps_the_yaml_s_comments():
    form = local_form.QuestionForm(name="sport", slot="before_open_questions", ask="choice",
                                   texts={"en": "Which sport do you like?", "cy": "Pa chwaraeon?"},
                                   options=["Yes", "No", ""], only_if="local_youth_club",
                                   only_if_answer="yes")
    added = local_form.save_question(COMMENTED, form, SLOTS, adding=True)
    assert "# Bchester's questions, agreed" in added
    assert "  # the advocacy line, after the helplines\n" in added
    assert 'equals: "yes"' in added and 'local_sport_1: "Yes"' in added  # YAML 1.1 safe
    import yaml

    data = yaml.safe_load(added)
    assert data["states"]["local_sport"]["when"] == {"answer": "local_youth_club",
                                                     "equals": "yes"}
    assert data["translations"]["cy"]["local_sport"] == "Pa chwaraeon?"
    assert [q.name for q in local_form.questions(added)] == [
        "local_youth_club", "local_how_often", "local_sport"]
    moved = local_form.move_question(added, "local_sport", -1)
    assert [q.name for q in local_form.questions(moved)][1] == "local_sport"
    changed = local_form.save_question(moved, local_form.QuestionForm(
        name="local_sport", slot="before_open_questions", ask="yesno",
        texts={"en": "Do you play a sport?", "cy": ""}), SLOTS, adding=False)
    assert "local_sport_1" not in changed and "Pa chwaraeon?" not in changed
    gone = local_form.delete_question(changed, "local_youth_club")
    assert "local_youth_club" not in gone and "# Bchester's questions" in gone
    assert "when" not in yaml.safe_load(gone)["states"]["local_how_often"]


@pytest.mark.parametrize(("form", "field"), [
    (local_form.QuestionForm(name="Bad name!", slot="before_open_questions",
                             texts={"en": "Q?"}), "name"),
    (local_form.QuestionForm(name="youth_club", slot="before_open_questions",
                             texts={"en": "Q?"}), "name"),  # already there
    (local_form.QuestionForm(name="x", slot="local_contacts", texts={"en": "Q?"}), "slot"),
    (local_form.QuestionForm(name="x", slot="nowhere", texts={"en": "Q?"}), "slot"),
    (local_form.QuestionForm(name="x", slot="before_open_questions", texts={"en": " "}),
     "text_en"),
    (local_form.QuestionForm(name="x", slot="before_open_questions", ask="choice",
                             texts={"en": "Q?"}, options=["one"]), "options"),
    (local_form.QuestionForm(name="x", slot="before_open_questions", texts={"en": "Q?"},
                             only_if="life_satisfaction", only_if_answer="3"), "only_if"),
])
def test_a_form_that_cannot_be_applied_says_why(form, field):
    with pytest.raises(local_form.FormError) as refused:
        local_form.save_question(BLOCK, form, SLOTS, adding=True)
    assert field in refused.value.problems


def test_only_the_council_s_own_questions_can_be_changed_moved_or_deleted():
    for change in (lambda: local_form.move_question(BLOCK, "life_satisfaction", 1),
                   lambda: local_form.delete_question(BLOCK, "life_satisfaction"),
                   lambda: local_form.save_question(BLOCK, local_form.QuestionForm(
                       name="life_satisfaction", slot="before_open_questions",
                       texts={"en": "Q?"}), SLOTS, adding=False)):
        with pytest.raises(local_form.FormError):
            change()


@pytest.fixture
def council(app):
    with app.app_context():
        tenant = seed_tenant("bchester")
        other = seed_tenant("aford", number="+447700900002")
        publish_fixture_flows()
        return {"id": tenant.id, "other": other.id,
                "admin": make_user("council-admin", tenant).email,
                "viewer": make_user("council-viewer", tenant).email}


def test_the_forms_write_the_draft_that_the_page_publishes(app, client, council):
    sign_in(client, council["admin"])
    base = f"/admin/councils/{council['id']}/local-questions"
    new = post(client, f"{base}/questions/new", {
        "name": "sport", "slot": "before_open_questions", "ask": "yesno",
        "text_en": "Do you play a sport?"}, token_from=f"{base}/questions/new")
    assert new.status_code == 302
    page = client.get(base).get_data(as_text=True)
    assert "Do you play a sport?" in page and "You have changes nobody sees yet" in page
    checked = client.post(f"{base}/text-check", json={"text": "Do you play a sport?"},
                          headers={"X-CSRFToken": _token(client, base)})
    assert checked.get_json()["segments"] == 1 and checked.get_json()["reads_ok"]
    from chatsurvey.admin.local_form import draft_name
    from chatsurvey.extensions import db
    from chatsurvey.flows.models import FlowDraft, LocalQuestions

    with app.app_context():
        draft = db.session.query(FlowDraft).filter_by(flow_id=f"local-questions:{council['id']}"
                                                      ).one()
        source = draft.source
        assert draft_name(type("T", (), {"id": council["id"]})()) == draft.flow_id
    assert post(client, base, {"source": source}, token_from=base).status_code == 302
    with app.app_context():
        assert LocalQuestions.latest(council["id"]).source == source
        assert db.session.query(FlowDraft).count() == 0


def _token(client, path):
    from tests.admin_helpers import csrf_token

    return csrf_token(client, path)


def test_no_form_reaches_a_programme_question_or_another_council(app, client, council):
    sign_in(client, council["admin"])
    base = f"/admin/councils/{council['id']}/local-questions"
    assert client.get(f"{base}/questions/happy").status_code == 404  # a programme question
    assert post(client, f"{base}/questions/happy", {
        "slot": "before_open_questions", "ask": "yesno", "text_en": "Changed?"},
        token_from=base).status_code == 404
    assert post(client, f"{base}/questions/happy/delete", {}, token_from=base).status_code == 404
    assert post(client, "/admin/flows/teens/edit", {"source": "x"},
                token_from=base).status_code == 403
    theirs = f"/admin/councils/{council['other']}/local-questions"
    assert client.get(f"{theirs}/questions/new").status_code == 404
    assert post(client, f"{theirs}/questions/new", {
        "name": "x", "slot": "before_open_questions", "ask": "yesno", "text_en": "Q?"},
        token_from=base).status_code == 404
    page = client.get(f"/admin/councils/{council['id']}/local-questions/map").get_data(
        as_text=True)
    assert f"{base}/questions/happy" not in page  # the map's programme boxes open the flow


def test_a_viewer_reads_but_cannot_use_the_forms(app, client, council):
    sign_in(client, council["viewer"])
    base = f"/admin/councils/{council['id']}/local-questions"
    assert "Add a question" not in client.get(base).get_data(as_text=True)
    assert client.get(f"{base}/questions/new").status_code == 403


def test_the_simulator_plays_web_chat_and_sms_side_by_side_in_any_language(app, client,
                                                                           council):
    sign_in(client, council["admin"])
    base = f"/admin/councils/{council['id']}/local-questions"
    headers = {"X-CSRFToken": _token(client, base)}
    url = f"{base}/simulator"
    first = client.post(url, json={"source": BLOCK, "flow_id": "router", "channel": "both",
                                   "locale": "cy", "age_band": "11-17"}, headers=headers)
    assert first.status_code == 200, first.get_data(as_text=True)
    data = first.get_json()
    web, sms = data["sides"]["web"], data["sides"]["sms"]
    assert "options" in web["replies"][-1] and "segments" not in web["replies"][-1]
    assert "segments" in sms["replies"][-1] and "options" not in sms["replies"][-1]
    assert "\n1 " in sms["replies"][-1]["text"] or "\n1: " in sms["replies"][-1]["text"]
    second = client.post(url, json={"source": BLOCK, "flow_id": "router", "state": data["state"],
                                    "message": {"value": "cy"}}, headers=headers).get_json()
    assert set(second["sides"]) == {"web", "sms"} and second["status"] == "active"
    langs = {c: [r["lang"] for r in side["replies"]] for c, side in second["sides"].items()}
    assert langs["web"] == langs["sms"] and "cy" in langs["web"]  # both in the language chosen
