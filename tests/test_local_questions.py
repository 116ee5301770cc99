"""A council's own questions reach its own young people only, and change nothing else.

Written as the council admin of the attack report would try it: every trick
that once smuggled a question into another council's conversation, or changed
the programme's words, is tried here against the local questions, the only
thing about a conversation a council can change.
"""

from __future__ import annotations

import html

import pytest

from tests.admin_helpers import csrf_token, make_user, post, sign_in
from tests.helpers import open_round, publish_fixture_flows, seed_tenant

pytestmark = pytest.mark.redis

BLOCK = """\
slots:
  before_open_questions: [local_youth_club, local_how_often]
  local_contacts: [local_advocacy]
states:
  local_youth_club:
    type: question
    ask: yesno
    key: local_youth_club
    prompt: local_youth_club
  local_how_often:
    type: question
    ask: choice
    key: local_how_often
    prompt: local_how_often
    options: [local_weekly, local_monthly]
    when: {answer: local_youth_club, equals: "yes"}
  local_advocacy:
    type: message
    say: local_advocacy
messages:
  local_youth_club: "Do you go to the youth club in Bchester?"
  local_how_often: "How often do you go?"
  local_weekly: "Every week"
  local_monthly: "Every month"
  local_advocacy: "Bchester advocacy: call 01234 567 890."
translations:
  cy:
    local_youth_club: "Wyt ti'n mynd i'r clwb ieuenctid yn Bchester?"
"""


@pytest.fixture
def councils(app):
    """Aford (the victim) and Bchester (the attacker), the fixture flows, and their staff."""
    with app.app_context():
        aford = seed_tenant("aford", number="+447700900001")
        bchester = seed_tenant("bchester", number="+447700900002")
        aford.branding = {"display_name": "Aford"}
        from chatsurvey.extensions import db

        db.session.commit()
        publish_fixture_flows()
        people = {"a_admin": make_user("council-admin", aford, email="admin@aford.example"),
                  "b_admin": make_user("council-admin", bchester, email="admin@bchester.example"),
                  "b_viewer": make_user("council-viewer", bchester,
                                        email="viewer@bchester.example")}
        return {"aford": aford.id, "bchester": bchester.id,
                **{k: u.email for k, u in people.items()}}


def publish_block(client, tenant_id, source=BLOCK):
    return post(client, f"/admin/councils/{tenant_id}/local-questions", {"source": source},
                token_from=f"/admin/councils/{tenant_id}/local-questions")


def blocks(app):
    from chatsurvey.extensions import db
    from chatsurvey.flows.models import LocalQuestions

    with app.app_context():
        return [(b.tenant_id, b.version) for b in db.session.query(LocalQuestions)]


def new_round(app, tenant_id, name):
    """A round set up the way the admin sets one up: it pins the council's latest block."""
    from chatsurvey.councils.models import Tenant
    from chatsurvey.extensions import db
    from chatsurvey.flows.local import pin_latest
    from chatsurvey.flows.models import FlowVersion

    with app.app_context():
        tenant = db.session.get(Tenant, tenant_id)
        survey_round = open_round(tenant, FlowVersion.latest("router"), name=name)
        pin_latest(survey_round)
        db.session.commit()
        return survey_round.id


def chat(app, round_id, answers, locale="en"):
    """A teenager's web conversation on a round: every reply, question by question."""
    from chatsurvey import conversations
    from chatsurvey.extensions import db
    from chatsurvey.rounds.models import SurveyRound

    with app.app_context():
        survey_round = db.session.get(SurveyRound, round_id)
        outcome = conversations.begin(survey_round, "web", age_band="11-17", locale=locale)
        replies = list(outcome.replies)
        for n, answer in enumerate(answers):
            outcome = conversations.reply(outcome.conversation, survey_round.tenant_id,
                                          f"{outcome.conversation}-{n}", answer)
            replies += outcome.replies
        return replies


TO_THE_OPEN_QUESTION = ["English", "yes", "7", "never", "sport", "3"]


def test_a_council_publishes_its_own_questions_and_only_its_young_people_get_them(
        app, client, councils):
    sign_in(client, councils["b_admin"])
    page = client.get(f"/admin/councils/{councils['bchester']}/local-questions")
    assert page.status_code == 200 and "before_open_questions" in page.get_data(as_text=True)
    assert publish_block(client, councils["bchester"]).status_code == 302
    assert blocks(app) == [(councils["bchester"], 1)]
    theirs = new_round(app, councils["bchester"], "Bchester spring")
    victims = new_round(app, councils["aford"], "Aford spring")

    mine = chat(app, theirs, TO_THE_OPEN_QUESTION + ["yes"])
    texts = [r["text"] for r in mine]
    assert "Do you go to the youth club in Bchester?" in texts
    assert texts[-1] == "How often do you go?"  # asked because the answer was yes
    other = chat(app, victims, TO_THE_OPEN_QUESTION)
    assert "Bchester" not in str(other)
    assert other[-1]["text"] == "What would make your life better?"


def test_question_n_of_n_of_one_council_ignores_another_council_s_questions(
        app, client, councils):
    before = chat(app, new_round(app, councils["aford"], "Before"), TO_THE_OPEN_QUESTION)
    sign_in(client, councils["b_admin"])
    publish_block(client, councils["bchester"])
    after = chat(app, new_round(app, councils["aford"], "After"), TO_THE_OPEN_QUESTION)
    progress = [r.get("progress") for r in after]
    assert progress == [r.get("progress") for r in before]
    theirs = chat(app, new_round(app, councils["bchester"], "Theirs"), TO_THE_OPEN_QUESTION)
    # Bchester's own count includes its two questions (one not decided yet: counted)
    assert theirs[-1]["progress"]["total"] == after[-1]["progress"]["total"] + 2


def test_rounds_keep_the_version_they_pinned(app, client, councils):
    sign_in(client, councils["b_admin"])
    publish_block(client, councils["bchester"])
    first = new_round(app, councils["bchester"], "First")
    publish_block(client, councils["bchester"], BLOCK.replace("youth club in Bchester",
                                                              "youth centre in Bchester"))
    second = new_round(app, councils["bchester"], "Second")
    assert chat(app, first, TO_THE_OPEN_QUESTION)[-1]["text"] == \
        "Do you go to the youth club in Bchester?"
    assert chat(app, second, TO_THE_OPEN_QUESTION)[-1]["text"] == \
        "Do you go to the youth centre in Bchester?"


def test_a_council_s_welsh_words_are_its_own(app, client, councils):
    sign_in(client, councils["b_admin"])
    publish_block(client, councils["bchester"])
    round_id = new_round(app, councils["bchester"], "Welsh")
    welsh = chat(app, round_id, ["Cymraeg", "yes", "7", "never", "sport", "3"], locale="cy")
    assert welsh[-1]["text"] == "Wyt ti'n mynd i'r clwb ieuenctid yn Bchester?"


def test_the_council_s_contacts_come_after_the_programme_s_which_stay_as_they_are(
        app, client, councils):
    sign_in(client, councils["b_admin"])
    publish_block(client, councils["bchester"])
    round_id = new_round(app, councils["bchester"], "Help")
    said = [r["text"] for r in chat(app, round_id, ["English", "yes", "2"])]  # low: help
    childline = said.index("You can talk to Childline for free: call 0800 1111.")
    assert said.index("Bchester advocacy: call 01234 567 890.") == childline + 1
    plain = [r["text"] for r in chat(app, new_round(app, councils["aford"], "A"),
                                     ["English", "yes", "2"])]
    assert "You can talk to Childline for free: call 0800 1111." in plain
    assert "Bchester" not in str(plain)


def test_publishing_is_in_the_council_s_own_audit_log_only(app, client, councils):
    sign_in(client, councils["b_admin"])
    publish_block(client, councils["bchester"])
    log = client.get("/admin/audit").get_data(as_text=True)
    assert "local_questions.published" in log
    from chatsurvey.audit import AuditEntry
    from chatsurvey.extensions import db

    with app.app_context():
        entry = db.session.query(AuditEntry).filter_by(action="local_questions.published").one()
        assert entry.tenant_id == councils["bchester"]
    client.post("/admin/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    sign_in(client, councils["a_admin"])
    assert "local_questions.published" not in client.get("/admin/audit").get_data(as_text=True)


def test_viewers_read_but_do_not_publish(app, client, councils):
    sign_in(client, councils["b_viewer"])
    page = client.get(f"/admin/councils/{councils['bchester']}/local-questions")
    assert page.status_code == 200 and 'id="editor-form"' not in page.get_data(as_text=True)
    token = csrf_token(client, "/admin/")
    assert client.post(f"/admin/councils/{councils['bchester']}/local-questions",
                       data={"source": BLOCK, "csrf_token": token}).status_code == 403
    assert blocks(app) == []


def test_another_council_s_local_questions_are_not_found(app, client, councils):
    sign_in(client, councils["b_admin"])
    token = csrf_token(client, "/admin/")
    url = f"/admin/councils/{councils['aford']}/local-questions"
    assert client.get(url).status_code == 404
    assert client.post(url, data={"source": BLOCK, "csrf_token": token}).status_code == 404
    assert client.post(url + "/check", json={"source": BLOCK},
                       headers={"X-CSRFToken": token}).status_code == 404
    assert blocks(app) == []


# -- every trick, refused with a reason, and nothing published --

def _with(**changes: str) -> str:
    source = BLOCK
    for old, new in changes.values():
        assert old in source, old
        source = source.replace(old, new)
    return source


TRICKS = {
    "the council's name as a condition": (_with(c=(
        '    when: {answer: local_youth_club, equals: "yes"}',
        '    when: {param: council, equals: "Aford"}')), "the link's params"),
    "the name, hidden in any/not": (_with(c=(
        '    when: {answer: local_youth_club, equals: "yes"}',
        '    when: {any: [{not: {param: council, is: unset}}, {age_band: 4-7}]}')),
        "the link's params"),
    "a core question": (_with(c=("    key: local_youth_club\n",
                                 "    key: local_youth_club\n    core: true\n")), "core"),
    "consent": (_with(c=("    ask: yesno\n    key: local_youth_club",
                         "    ask: consent\n    key: local_youth_club")), "consent"),
    "setting the age band": (_with(c=("    key: local_how_often\n",
                                      "    key: local_how_often\n    sets: age_band\n")),
                             "age band"),
    "a key of the programme's": (_with(c=("    key: local_youth_club\n",
                                          "    key: feels_safe\n")), "starting 'local_'"),
    "a state of the programme's name": (_with(
        a=("[local_youth_club, local_how_often]", "[better, local_how_often]"),
        b=("  local_youth_club:\n    type: question", "  better:\n    type: question")),
        "must start with 'local_'"),
    "a message of the programme's": (_with(c=(
        '  local_advocacy: "Bchester', '  childline: "Bchester')), "must start with 'local_'"),
    "a question among the contacts": (_with(c=(
        "local_contacts: [local_advocacy]", "local_contacts: [local_advocacy, local_youth_club]"),
        a=("[local_youth_club, local_how_often]", "[local_how_often]")), "messages only"),
    "jumping past the rest of the survey": (_with(c=(
        "    prompt: local_youth_club\n", "    prompt: local_youth_club\n    next: end\n")),
        "remove 'next'"),
    "a sub-flow": (_with(c=("  local_advocacy:\n    type: message\n    say: local_advocacy",
                            "  local_advocacy:\n    type: subflow\n    flow: support")),
                   "not a subflow"),
    "an end": (_with(c=("  local_advocacy:\n    type: message\n    say: local_advocacy",
                        "  local_advocacy:\n    type: end\n    status: complete")),
               "not a end"),
    "a branch": (_with(c=("  local_advocacy:\n    type: message\n    say: local_advocacy",
                          "  local_advocacy:\n    type: branch\n    cases: []\n"
                          "    otherwise: better")), "not a branch"),
    "a slot the programme has not offered": (_with(c=(
        "  local_contacts: [local_advocacy]", "  before_consent: [local_advocacy]")),
        "no slot 'before_consent'"),
    "a helpline number lost in translation": (_with(c=(
        "translations:\n  cy:\n",
        "translations:\n  cy:\n    local_advocacy: \"Eiriolaeth Bchester.\"\n")),
        "01234567890"),
    "an alias bomb": ("a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                      "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n",
                      "aliases"),
    "5,000 levels of nesting": ("slots: " + "[" * 5000 + "]" * 5000, "nest"),
    "a block too long to check quickly": ("# " + "x" * 20_000 + "\n" + BLOCK, "too long"),
    "too many states to check quickly": (
        "slots: {before_open_questions: []}\nmessages: {}\nstates:\n" + "".join(
            f"  local_{n}: {{type: message, say: local_{n}}}\n" for n in range(41)),
        "at most 40 states"),
    "something else in the block": (BLOCK + "flow: support\n", "nothing else"),
    "a block without states": ("slots: {before_open_questions: []}\nmessages: {}\n",
                               "needs 'states'"),
}


@pytest.mark.parametrize("trick", list(TRICKS))
def test_every_trick_is_refused_with_a_reason(app, client, councils, trick):
    source, words = TRICKS[trick]
    sign_in(client, councils["b_admin"])
    token = csrf_token(client, "/admin/")
    checked = client.post(f"/admin/councils/{councils['bchester']}/local-questions/check",
                          json={"source": source}, headers={"X-CSRFToken": token})
    assert checked.status_code == 200
    result = checked.get_json()
    assert not result["ok"]
    assert any(words in p["message"] for p in result["problems"]), result["problems"]
    refused = publish_block(client, councils["bchester"], source)
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "Not published" in page
    assert source.splitlines()[0][:20] in html.unescape(page)  # what was typed is not lost
    assert blocks(app) == []


def test_a_renamed_council_cannot_smuggle_a_question_into_its_victim(app, client, councils):
    """The report's second attack, as it would be tried now: take the victim's name, publish."""
    from chatsurvey.councils.models import Tenant
    from chatsurvey.extensions import db

    with app.app_context():
        db.session.get(Tenant, councils["bchester"]).branding = {"display_name": "Aford"}
        db.session.commit()
    sign_in(client, councils["b_admin"])
    smuggled = TRICKS["the council's name as a condition"][0].replace(
        "    ask: choice\n", "    ask: text\n").replace(
        "    options: [local_weekly, local_monthly]\n", "")
    assert publish_block(client, councils["bchester"], smuggled).status_code == 400
    without_condition = BLOCK.replace("Do you go to the youth club in Bchester?",
                                      "What is your name and address?")
    assert publish_block(client, councils["bchester"], without_condition).status_code == 302
    victim = chat(app, new_round(app, councils["aford"], "Victim's next round"),
                  TO_THE_OPEN_QUESTION)
    assert "name and address" not in str(victim)
    assert victim[-1]["text"] == "What would make your life better?"


def test_a_round_cannot_pin_another_council_s_block(app, client, councils):
    """pin_latest reads the round's own council; the database refuses the pair anyway."""
    from chatsurvey.rounds.models import SurveyRound

    sign_in(client, councils["b_admin"])
    publish_block(client, councils["bchester"])
    round_id = new_round(app, councils["aford"], "Aford")
    with app.app_context():
        from chatsurvey.extensions import db

        assert db.session.get(SurveyRound, round_id).local_questions_id is None
    constraint = next(c for c in SurveyRound.__table__.foreign_key_constraints
                      if c.name == "fk_survey_rounds_local_questions_own_council")
    assert [c.name for c in constraint.columns] == ["local_questions_id", "tenant_id"]
    assert [e.target_fullname for e in constraint.elements] == ["local_questions.id",
                                                                "local_questions.tenant_id"]


def test_try_it_plays_the_survey_with_the_draft_in_it(app, client, councils):
    sign_in(client, councils["b_admin"])
    token = csrf_token(client, "/admin/")
    url = f"/admin/councils/{councils['bchester']}/local-questions/simulator"

    def say(body, source=BLOCK):
        return client.post(url, json={"source": source, "flow_id": "router", **body},
                           headers={"X-CSRFToken": token})

    turn = say({"age_band": "11-17"}).get_json()
    for answer in TO_THE_OPEN_QUESTION:
        turn = say({"state": turn["state"], "message": answer}).get_json()
    assert turn["replies"][-1]["text"] == "Do you go to the youth club in Bchester?"
    assert blocks(app) == []  # nothing is published or stored
    refused = say({}, source=TRICKS["the council's name as a condition"][0])
    assert refused.status_code == 422 and "params" in refused.get_json()["error"]
    broken = say({"state": turn["state"], "message": "yes"}, source="slots: 3\n")
    assert broken.status_code == 422
    assert say({}, source=BLOCK).status_code == 200
    assert client.post(url, json={"source": BLOCK, "flow_id": "nope"},
                       headers={"X-CSRFToken": token}).status_code == 400


def test_a_round_set_up_in_the_admin_pins_the_latest_local_questions(app, client, councils):
    from chatsurvey.extensions import db
    from chatsurvey.flows.models import FlowVersion
    from chatsurvey.rounds.models import SurveyRound

    sign_in(client, councils["b_admin"])
    publish_block(client, councils["bchester"])
    with app.app_context():
        router = FlowVersion.latest("router").id
    made = post(client, "/admin/rounds/new", {
        "flow_version_id": router, "name": "Spring 2027", "opens": "2027-03-01",
        "closes": "2027-04-30", "channel_web": "1", "confirm_minimum": "1"})
    assert made.status_code == 302, made.get_data(as_text=True)[:500]
    page = client.get(made.location).get_data(as_text=True)
    assert "local questions</a> version 1" in page
    with app.app_context():
        survey_round = db.session.query(SurveyRound).filter_by(name="Spring 2027").one()
        assert survey_round.local_questions.tenant_id == councils["bchester"]


def test_a_round_is_not_set_up_with_local_questions_its_survey_cannot_take(app, client,
                                                                          councils):
    """The programme made a slot messages-only after the council put a question there."""
    from chatsurvey.extensions import db
    from chatsurvey.flows.models import FlowVersion
    from chatsurvey.flows.publish import publish_flow
    from chatsurvey.rounds.models import SurveyRound

    sign_in(client, councils["b_admin"])
    publish_block(client, councils["bchester"])
    with app.app_context():
        teens = FlowVersion.latest("teens").source
        publish_flow(teens.replace("    slot: before_open_questions\n",
                                   "    slot: before_open_questions\n    questions: false\n"),
                     "teens")
        db.session.commit()
        router = FlowVersion.latest("router").id
    refused = post(client, "/admin/rounds/new", {
        "flow_version_id": router, "name": "Spring 2027", "opens": "2027-03-01",
        "closes": "2027-04-30", "channel_web": "1", "confirm_minimum": "1"})
    assert refused.status_code == 400
    assert "Your local questions do not fit this survey" in refused.get_data(as_text=True)
    assert "takes messages only" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(SurveyRound).count() == 0
