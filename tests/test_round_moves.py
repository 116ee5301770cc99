"""Publishing reaches rounds only on purpose: look at the changes, then move the round.

A round keeps the flow version and local questions it was set up with until
someone moves it (the admin's round page or `chatsurvey rounds move`, both
through ``rounds.actions.move_to_latest``). The page shows the diff and, where a
core question's words changed, a warning that results will not be comparable;
conversations under way keep the version they started on.
"""

from __future__ import annotations

import pytest

from chatsurvey.cli import main
from tests.admin_helpers import make_user, post, sign_in
from tests.helpers import FIXTURE_FLOWS, open_round, publish_fixture_flows, seed_tenant
from tests.test_local_questions import BLOCK, TO_THE_OPEN_QUESTION, publish_block

pytestmark = pytest.mark.redis

TEENS = (FIXTURE_FLOWS / "teens.yaml").read_text("utf-8")
CORE_TEENS = TEENS.replace("    prompt: happy\n", "    prompt: happy\n    core: true\n")


@pytest.fixture
def council(app):
    """A council with an open round on the router (teens core question "happy"), its staff."""
    from chatsurvey.extensions import db
    from chatsurvey.flows.local import pin_latest
    from chatsurvey.flows.publish import publish_flow

    with app.app_context():
        tenant = seed_tenant("aford")
        other = seed_tenant("bchester", number="+447700900002")
        publish_fixture_flows()
        publish_flow(CORE_TEENS, "teens")
        db.session.commit()
        from chatsurvey.flows.models import FlowVersion

        survey_round = open_round(tenant, FlowVersion.latest("router"), name="Winter")
        pin_latest(survey_round)
        db.session.commit()
        return {"round": survey_round.id, "tenant": tenant.id,
                "admin": make_user("council-admin", tenant).email,
                "other": make_user("council-admin", other, email="b@bchester.example").email}


def publish_teens(app, source):
    from chatsurvey.extensions import db
    from chatsurvey.flows.publish import publish_flow

    with app.app_context():
        publish_flow(source, "teens")
        db.session.commit()


def pinned(app, round_id):
    from chatsurvey.extensions import db
    from chatsurvey.rounds.models import SurveyRound

    with app.app_context():
        survey_round = db.session.get(SurveyRound, round_id)
        return (survey_round.flow_version.version,
                survey_round.local_questions.version if survey_round.local_questions else None)


def start(app, round_id):
    from chatsurvey import conversations
    from chatsurvey.extensions import db
    from chatsurvey.rounds.models import SurveyRound

    with app.app_context():
        survey_round = db.session.get(SurveyRound, round_id)
        outcome = conversations.begin(survey_round, "web", age_band="11-17", locale="en")
        return outcome.conversation, survey_round.tenant_id


def answer(app, started, answers):
    from chatsurvey import conversations

    conversation, tenant_id = started
    said = []
    with app.app_context():
        for n, text in enumerate(answers):
            said += [r["text"] for r in conversations.reply(
                conversation, tenant_id, f"{conversation}-{len(said)}-{n}", text).replies]
    return said


def move_page(client, round_id):
    return client.get(f"/admin/rounds/{round_id}/move").get_data(as_text=True)


def target_of(page: str) -> str:
    return page.split('name="target" value="')[1].split('"')[0]


def test_a_round_stays_on_its_version_until_moved_and_conversations_under_way_keep_theirs(
        app, client, council):
    before = pinned(app, council["round"])
    publish_teens(app, CORE_TEENS.replace("What would make your life better?",
                                          "What one thing would make your life better?"))
    assert pinned(app, council["round"]) == before
    under_way = start(app, council["round"])
    sign_in(client, council["admin"])
    page = client.get(f"/admin/rounds/{council['round']}").get_data(as_text=True)
    assert "A newer version is published" in page and "Look at the changes and move" in page
    page = move_page(client, council["round"])
    assert "What one thing would make your life better?" in page  # the diff
    assert "not be comparable" not in page  # no core question changed
    moved = post(client, f"/admin/rounds/{council['round']}/move", {"target": target_of(page)},
                 token_from=f"/admin/rounds/{council['round']}/move")
    assert moved.status_code == 302
    assert pinned(app, council["round"])[0] == before[0] + 1
    assert answer(app, under_way, TO_THE_OPEN_QUESTION)[-1] == "What would make your life better?"
    new = start(app, council["round"])
    assert answer(app, new, TO_THE_OPEN_QUESTION)[-1] == \
        "What one thing would make your life better?"

    from chatsurvey.audit import AuditEntry
    from chatsurvey.extensions import db

    with app.app_context():
        entry = db.session.query(AuditEntry).filter_by(action="round.moved").one()
        assert entry.tenant_id == council["tenant"]
        assert entry.details["to_version"] == before[0] + 1


def test_a_changed_core_question_warns_and_needs_saying_so(app, client, council):
    before = pinned(app, council["round"])
    publish_teens(app, CORE_TEENS.replace("How happy did you feel yesterday",
                                          "How happy were you yesterday"))
    sign_in(client, council["admin"])
    page = move_page(client, council["round"])
    assert "Results will not be comparable with earlier rounds" in page
    assert "happy_yesterday_10 (teens): its wording changed." in page
    url = f"/admin/rounds/{council['round']}/move"
    refused = post(client, url, {"target": target_of(page)}, token_from=url)
    assert refused.status_code == 400 and pinned(app, council["round"]) == before
    assert post(client, url, {"target": target_of(page), "accept_incomparable": "1"},
                token_from=url).status_code == 302
    assert pinned(app, council["round"])[0] == before[0] + 1


def test_what_was_not_looked_at_is_not_moved(app, client, council):
    publish_teens(app, CORE_TEENS.replace("What would make", "What could make"))
    sign_in(client, council["admin"])
    looked_at = target_of(move_page(client, council["round"]))
    publish_teens(app, CORE_TEENS.replace("What would make", "What might make"))
    before = pinned(app, council["round"])
    url = f"/admin/rounds/{council['round']}/move"
    stale = post(client, url, {"target": looked_at}, token_from=url)
    assert stale.status_code == 400 and "look at the changes again" in stale.get_data(
        as_text=True)
    assert pinned(app, council["round"]) == before


def test_another_council_and_a_closed_round_cannot_be_moved(app, client, council):
    publish_teens(app, CORE_TEENS.replace("What would make", "What could make"))
    before = pinned(app, council["round"])
    sign_in(client, council["other"])
    url = f"/admin/rounds/{council['round']}/move"
    assert client.get(url).status_code == 404
    assert post(client, url, {"target": "1:"}, token_from="/admin/").status_code == 404
    assert pinned(app, council["round"]) == before
    closed = app.test_cli_runner().invoke(main, ["rounds", "close", str(council["round"]),
                                                 "--yes"])
    assert closed.exit_code == 0, closed.output
    theirs = app.test_client()
    sign_in(theirs, council["admin"])
    assert "has closed" in move_page(theirs, council["round"])
    moved = app.test_cli_runner().invoke(main, ["rounds", "move", str(council["round"]),
                                                "--yes"])
    assert "nothing to move" in moved.output and pinned(app, council["round"]) == before


def test_a_council_s_new_local_questions_reach_its_open_round_when_moved(app, client, council):
    sign_in(client, council["admin"])
    publish_block(client, council["tenant"])
    assert pinned(app, council["round"])[1] is None
    page = client.get(f"/admin/councils/{council['tenant']}/local-questions").get_data(
        as_text=True)
    assert "Your rounds on an earlier version" in page and "Winter" in page
    page = move_page(client, council["round"])
    assert "Your council&#39;s local questions" in page and "local_youth_club" in page
    url = f"/admin/rounds/{council['round']}/move"
    assert post(client, url, {"target": target_of(page)}, token_from=url).status_code == 302
    assert pinned(app, council["round"])[1] == 1
    said = answer(app, start(app, council["round"]), TO_THE_OPEN_QUESTION)
    assert said[-1] == "Do you go to the youth club in Bchester?"
    assert BLOCK  # the same block the local questions' own tests publish


def test_the_command_line_moves_a_round_and_refuses_core_changes_unless_told(
        app, council):
    publish_teens(app, CORE_TEENS.replace("How happy did you feel", "How happy were you"))
    before = pinned(app, council["round"])
    runner = app.test_cli_runner()
    refused = runner.invoke(main, ["rounds", "move", str(council["round"]), "--yes"])
    assert refused.exit_code == 1 and "--accept-incomparable" in refused.output
    assert "its wording changed" in refused.output and pinned(app, council["round"]) == before
    moved = runner.invoke(main, ["rounds", "move", str(council["round"]), "--yes", "--diff",
                                 "--accept-incomparable"])
    assert moved.exit_code == 0, moved.output
    assert "+  happy: \"How happy were you" in moved.output
    assert pinned(app, council["round"])[0] == before[0] + 1
