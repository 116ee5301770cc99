"""Survey rounds through `chatsurvey.rounds.actions`: the admin and `chatsurvey rounds` alike.

A round reads Scheduled, Open or Closed wherever it is shown; it can be opened,
closed and extended from both doors; once closed it stays closed (its report is
final); and the same bad settings are refused with the same words from both.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chatsurvey.cli import main
from tests.admin_helpers import make_user, post, sign_in
from tests.helpers import open_round, publish_fixture_flows, seed_tenant

DAY = timedelta(days=1)


@pytest.fixture
def rounds(app):
    """A council with a scheduled, an open and a closed round, and its admin."""
    now = datetime.now(UTC)
    with app.app_context():
        tenant = seed_tenant()
        router = publish_fixture_flows()["router"]
        made = {
            "scheduled": open_round(tenant, router, name="Spring", opens_at=now + 10 * DAY,
                                    closes_at=now + 40 * DAY),
            "open": open_round(tenant, router, name="Winter"),
            "closed": open_round(tenant, router, name="Summer", opens_at=now - 90 * DAY,
                                 closes_at=now - 60 * DAY),
        }
        admin = make_user("council-admin", tenant)
        return {**{k: r.id for k, r in made.items()}, "email": admin.email,
                "router": router.id, "tenant_id": tenant.id}


def _round(app, round_id):
    from chatsurvey.extensions import db
    from chatsurvey.rounds.models import SurveyRound

    with app.app_context():
        survey_round = db.session.get(SurveyRound, round_id)
        return survey_round.status(), survey_round.opens_at, survey_round.closes_at


def _cli(app, *args, **kwargs):
    return app.test_cli_runner().invoke(main, args=["rounds", *args], **kwargs)


def test_states_read_scheduled_open_closed_in_the_command_line_and_the_admin(
        app, client, rounds):
    listed = _cli(app, "list").output
    assert "Spring" in listed and "(Scheduled)" in listed.split("Spring")[1].split("\n")[0]
    assert "(Open)" in listed.split("Winter")[1].split("\n")[0]
    assert "(Closed)" in listed.split("Summer")[1].split("\n")[0]
    sign_in(client, rounds["email"])
    page = client.get("/admin/rounds").get_data(as_text=True)
    for name, label in (("Spring", "Scheduled"), ("Winter", "Open"), ("Summer", "Closed")):
        row = page.split(f">{name}</a>")[1].split("</tr>")[0]
        assert f">{label}</span>" in row, (name, row)
    assert "Not open" not in page


def test_open_close_and_extend_from_the_command_line(app, rounds):
    opened = _cli(app, "open", str(rounds["scheduled"]))
    assert opened.exit_code == 0, opened.output
    assert "(Open)" in opened.output and _round(app, rounds["scheduled"])[0] == "open"

    before = _round(app, rounds["open"])[2]
    later = (before + 14 * DAY).date().isoformat()
    extended = _cli(app, "extend", str(rounds["open"]), "--closes", later)
    assert extended.exit_code == 0, extended.output
    assert _round(app, rounds["open"])[2].date().isoformat() == later
    earlier = _cli(app, "extend", str(rounds["open"]), "--closes", before.date().isoformat())
    assert earlier.exit_code == 2 and "is not later than the round's closing day" in earlier.output

    asked = _cli(app, "close", str(rounds["open"]), input="n\n")
    assert asked.exit_code == 1 and _round(app, rounds["open"])[0] == "open"
    closed = _cli(app, "close", str(rounds["open"]), input="y\n")
    assert closed.exit_code == 0 and "(Closed)" in closed.output
    assert _round(app, rounds["open"])[0] == "closed"

    from chatsurvey.audit import AuditEntry
    from chatsurvey.extensions import db

    with app.app_context():
        actions = [e.action for e in db.session.query(AuditEntry).order_by(AuditEntry.id)
                   if e.action.startswith("round.")]
    assert actions == ["round.opened", "round.extended", "round.closed"]


def test_a_closed_round_stays_closed(app, client, rounds):
    closed = str(rounds["closed"])
    before = _round(app, rounds["closed"])
    for args, words in ((["open", closed], "only a scheduled round can be opened"),
                        (["close", closed, "--yes"], "has already closed"),
                        (["extend", closed, "--closes", "2099-01-01"], "report is final")):
        result = _cli(app, *args)
        assert result.exit_code != 0 and words in result.output, (args, result.output)
    sign_in(client, rounds["email"])
    page = post(client, f"/admin/rounds/{closed}/edit", {
        "name": "Summer", "opens": "2026-01-01", "closes": "2099-01-01", "channel_web": "1"})
    assert page.status_code == 400 and "its report is final" in page.get_data(as_text=True)
    post(client, f"/admin/rounds/{closed}/open")
    assert _round(app, rounds["closed"]) == before
    renamed = post(client, f"/admin/rounds/{closed}/edit", {
        "name": "Summer 2026", "opens": before[1].date().isoformat(),
        "closes": before[2].date().isoformat(), "channel_web": "1"})
    assert renamed.status_code == 302 and _round(app, rounds["closed"]) == before


def test_open_and_close_from_the_admin(app, client, rounds):
    sign_in(client, rounds["email"])
    page = client.get(f"/admin/rounds/{rounds['scheduled']}").get_data(as_text=True)
    assert "Open the round now" in page and "Close the round now" in page
    assert post(client, f"/admin/rounds/{rounds['scheduled']}/open").status_code == 302
    assert _round(app, rounds["scheduled"])[0] == "open"
    assert post(client, f"/admin/rounds/{rounds['scheduled']}/close").status_code == 302
    assert _round(app, rounds["scheduled"])[0] == "closed"
    page = client.get(f"/admin/rounds/{rounds['scheduled']}").get_data(as_text=True)
    assert "Open the round now" not in page and "Close the round now" not in page
    assert ">Closed</span>" in page


def test_a_viewer_cannot_close_a_round(app, client, rounds):
    from chatsurvey.councils.models import Tenant
    from chatsurvey.extensions import db

    with app.app_context():
        email = make_user("council-viewer", db.session.get(Tenant, rounds["tenant_id"])).email
    sign_in(client, email)
    assert post(client, f"/admin/rounds/{rounds['open']}/close").status_code == 403
    assert _round(app, rounds["open"])[0] == "open"


# -- one validation, two doors ------------------------------------------------------------

REFUSED = [
    # (CLI options, admin form fields, words both must say)
    ({"--keyword": "two words"}, {"keyword": "two words"}, "A keyword is one word"),
    ({"--closes": "2027-02-01"}, {"closes": "2027-02-01"}, "must close after it opens"),
    ({"--opens": "soon"}, {"opens": "soon"}, "soon is not a date"),
    ({"--eligible": "8-11=120"}, {"eligible_8-11": "120"},
     "8-11 is not an age band of the published surveys"),
    ({"--eligible": "11-17=lots"}, {"eligible_11-17": "lots"},
     "Enter a whole number of young people aged 11-17"),
    ({"--eligible": "11-17=20"}, {"eligible_11-17": "20"},
     "The eligible population is below the programme"),
]


@pytest.mark.parametrize(("options", "form", "words"), REFUSED, ids=[r[2][:30] for r in REFUSED])
def test_the_form_and_the_command_refuse_the_same_round_in_the_same_words(
        app, client, rounds, options, form, words):
    base = {"--name": "Autumn", "--opens": "2027-03-01", "--closes": "2027-01-01",
            "--flow": "router", "--eligible": "11-17=200"}
    base["--closes"] = "2027-04-01"
    base.update(options)
    flat = [x for pair in base.items() for x in pair]
    result = app.test_cli_runner().invoke(main, args=["rounds", "add", "testshire", *flat])
    assert result.exit_code != 0 and words in result.output, result.output

    sign_in(client, rounds["email"])
    fields = {"name": "Autumn", "flow_version_id": str(rounds["router"]), "opens": "2027-03-01",
              "closes": "2027-04-01", "channel_web": "1", "eligible_11-17": "200", **form}
    page = post(client, "/admin/rounds/new", fields)
    assert page.status_code == 400 and words in page.get_data(as_text=True).replace(
        "&#39;", "'")

    from chatsurvey.extensions import db
    from chatsurvey.rounds.models import SurveyRound

    with app.app_context():
        assert db.session.query(SurveyRound).filter_by(name="Autumn").first() is None


def test_below_the_minimum_is_set_up_when_the_person_says_so(app, rounds):
    result = app.test_cli_runner().invoke(main, args=[
        "rounds", "add", "testshire", "--name", "Small", "--flow", "router", "--opens",
        "2027-03-01", "--closes", "2027-04-01", "--eligible", "11-17=20", "--below-minimum"])
    assert result.exit_code == 0 and "(Scheduled)" in result.output, result.output
