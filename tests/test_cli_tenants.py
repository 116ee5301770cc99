"""Setting up councils and rounds from the command line."""

from chatsurvey.cli import main
from chatsurvey.councils.models import Tenant
from chatsurvey.extensions import db
from chatsurvey.rounds.models import SurveyRound
from tests.helpers import FIXTURE_FLOWS


def test_add_list_and_show_a_council(app):
    runner = app.test_cli_runner()
    result = runner.invoke(main, args=[
        "tenants", "add", "powys", "--name", "Powys County Council", "--country", "wales",
        "--number", "07700 900123", "--twilio-sid", "AC" + "1" * 32, "--origin",
        "https://www.powys.gov.uk", "--display-name", "Powys", "--colour", "#123456"],
        input="secret-token\n")
    assert result.exit_code == 0, result.output
    assert "secret-token" not in result.output
    with app.app_context():
        tenant = db.session.query(Tenant).one()
        assert tenant.twilio_auth_token == "secret-token"
        assert tenant.numbers[0].number == "+447700900123"
    shown = runner.invoke(main, args=["tenants", "show", "powys"]).output
    assert "auth token set" in shown and "secret-token" not in shown
    assert "cy, en" in shown and "+447700900123 (10/s)" in shown
    assert "powys" in runner.invoke(main, args=["tenants", "list"]).output
    again = runner.invoke(main, args=["tenants", "add", "powys", "--name", "X", "--country", "wales"])
    assert again.exit_code == 2 and "already has the short name powys" in again.output
    bad = runner.invoke(main, args=["tenants", "add", "x", "--name", "X", "--country", "england",
                              "--number", "not-a-number"])
    assert bad.exit_code == 2 and "is not a phone number" in bad.output
    missing = runner.invoke(main, args=["tenants", "show", "nobody"])
    assert missing.exit_code == 1 and "no council called 'nobody'" in missing.output


def test_publish_and_open_a_round(app):
    runner = app.test_cli_runner()
    runner.invoke(main, args=["tenants", "add", "fife", "--name", "Fife Council", "--country",
                        "scotland"])
    published = runner.invoke(main, args=["flows", "publish", str(FIXTURE_FLOWS)])
    assert published.exit_code == 0 and "router v1" in published.output
    result = runner.invoke(main, args=[
        "rounds", "add", "fife", "--flow", "router", "--name", "Winter", "--opens",
        "2026-11-01", "--closes", "2027-02-01", "--keyword", "chat", "--eligible", "11-17=120",
        "--below-minimum"])
    assert result.exit_code == 0, result.output
    assert "router v1" in result.output and "/s/" in result.output
    with app.app_context():
        survey_round = db.session.query(SurveyRound).one()
        assert survey_round.keyword == "CHAT" and survey_round.eligible == {"11-17": 120}
    assert "Winter" in runner.invoke(main, args=["rounds", "list", "fife"]).output
    assert "Winter" in runner.invoke(main, args=["rounds", "list"]).output
    for args, words in [
        (["--flow", "nope"], "is not published"),
        (["--flow", "kids"], "does not ask for consent first"),
        (["--flow", "router", "--closes", "2026-10-01"], "must close after it opens"),
        (["--flow", "router", "--opens", "soon"], "is not a date"),
        (["--flow", "router", "--eligible", "11-17"], "is not BAND=COUNT"),
    ]:
        base = {"--name": "R", "--opens": "2026-11-01", "--closes": "2027-01-01"}
        for i in range(0, len(args), 2):
            base[args[i]] = args[i + 1]
        flat = [x for pair in base.items() for x in pair]
        result = runner.invoke(main, args=["rounds", "add", "fife", *flat])
        assert result.exit_code != 0 and words in result.output, (args, result.output)


def test_publishing_broken_flows_is_refused(app, tmp_path):
    (tmp_path / "bad.yaml").write_text("id: [\n")
    result = app.test_cli_runner().invoke(main, args=["flows", "publish", str(tmp_path)])
    assert result.exit_code == 1 and "not published, the flows have errors" in result.output
