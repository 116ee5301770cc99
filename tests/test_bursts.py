"""A burst of fake responses can be seen and discarded, without keeping who sent them.

Ballot stuffing that gets past the rate limits shows as an unusual number of complete
web responses on one day in one round. A programme analyst sees those days (only
those: a small day's count is never shown) and may discard that day's web responses
of the round while it is open, before its report is final. The response store keeps
the day for this while the round is open, and nothing finer; once the round has
closed the day is forgotten and only the ISO week stays.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.admin_helpers import add_response, make_user, post, sign_in
from tests.helpers import open_round, publish_fixture_flows, seed_tenant

NORMAL_DAYS = ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"]
BURST_DAY = "2026-11-26"


@pytest.fixture
def stuffed(app):
    """An open round: a few responses a day, and one day with a burst of complete web ones."""
    with app.app_context():
        tenant = seed_tenant()
        survey_round = open_round(tenant, publish_fixture_flows()["router"], name="Autumn")
        for day in NORMAL_DAYS:
            for channel in ("web", "web", "sms"):
                add_response(survey_round, channel=channel, day=day)
        for _ in range(40):
            add_response(survey_round, channel="web", day=BURST_DAY)
        add_response(survey_round, channel="web", day=BURST_DAY, status="partial")
        analyst = make_user("programme-analyst", None, email="analyst@example.org", totp=True)
        admin = make_user("council-admin", tenant, email="admin@testshire.example")
        return {"round_id": survey_round.id, "analyst": (analyst.email, analyst.totp_secret),
                "admin": admin.email}


def _count(app, round_id, **where) -> int:
    from chatsurvey.extensions import db
    from chatsurvey.responses.models import Response

    with app.app_context():
        return db.session.query(Response).filter_by(round_id=round_id, **where).count()


def _as_analyst(client, stuffed):
    email, secret = stuffed["analyst"]
    assert sign_in(client, email, totp_secret=secret).status_code == 302


def test_a_burst_shows_as_an_unusual_day_and_only_it_is_shown(client, stuffed):
    _as_analyst(client, stuffed)
    page = client.get(f"/admin/rounds/{stuffed['round_id']}/bursts")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "26 November 2026" in body and "42" in body  # complete web responses that day
    for quiet in ("23 November", "24 November", "25 November", "27 November"):
        assert quiet not in body, "a day with few responses is never shown on its own"


def test_an_analyst_discards_the_burst_and_nothing_else(app, client, stuffed):
    from chatsurvey.audit import AuditEntry
    from chatsurvey.extensions import db

    _as_analyst(client, stuffed)
    before = _count(app, stuffed["round_id"])
    unconfirmed = post(client, f"/admin/rounds/{stuffed['round_id']}/bursts",
                       {"day": BURST_DAY, "channel": "web"})
    assert unconfirmed.status_code == 400 and _count(app, stuffed["round_id"]) == before
    done = post(client, f"/admin/rounds/{stuffed['round_id']}/bursts",
                {"day": BURST_DAY, "channel": "web", "confirm": "1"})
    assert done.status_code == 302
    assert _count(app, stuffed["round_id"], day=BURST_DAY, channel="web") == 0
    assert _count(app, stuffed["round_id"], day=BURST_DAY, channel="sms") == 1
    assert _count(app, stuffed["round_id"]) == before - 43, "the day's web responses only"
    with app.app_context():
        entry = db.session.query(AuditEntry).filter_by(action="responses.discarded").one()
        assert entry.details == {"day": "26 November 2026", "channel": "web", "discarded": 43}
        assert entry.object_type == "SurveyRound"


@pytest.mark.parametrize("role", ["council-admin", "council-viewer"])
def test_a_council_cannot_see_or_discard_days(app, client, stuffed, role):
    from chatsurvey.extensions import db
    from chatsurvey.rounds.models import SurveyRound

    with app.app_context():
        tenant = db.session.get(SurveyRound, stuffed["round_id"]).tenant
        email = make_user(role, tenant, email=f"{role}@own-council.example").email
    sign_in(client, email)
    assert client.get(f"/admin/rounds/{stuffed['round_id']}/bursts").status_code == 403
    page = client.get(f"/admin/rounds/{stuffed['round_id']}").get_data(as_text=True)
    assert "/bursts" not in page, "the round page offers the review to analysts only"
    refused = post(client, f"/admin/rounds/{stuffed['round_id']}/bursts",
                   {"day": BURST_DAY, "channel": "web", "confirm": "1"})
    assert refused.status_code == 403
    assert _count(app, stuffed["round_id"], day=BURST_DAY) == 44


@pytest.mark.parametrize("form", [
    {"day": "2026-11-26T10:00", "channel": "web"}, {"day": "yesterday", "channel": "web"},
    {"day": BURST_DAY, "channel": "carrier-pigeon"}, {"day": "2026-02-30", "channel": "web"},
])
def test_a_malformed_discard_changes_nothing(app, client, stuffed, form):
    _as_analyst(client, stuffed)
    response = post(client, f"/admin/rounds/{stuffed['round_id']}/bursts",
                    {**form, "confirm": "1"})
    assert response.status_code == 400
    assert _count(app, stuffed["round_id"]) == 56


def test_a_closed_round_s_responses_cannot_be_discarded(app, client, stuffed):
    from chatsurvey.extensions import db
    from chatsurvey.rounds.models import SurveyRound

    with app.app_context():
        db.session.get(SurveyRound, stuffed["round_id"]).closes_at = \
            datetime.now(UTC) - timedelta(seconds=1)
        db.session.commit()
    _as_analyst(client, stuffed)
    refused = post(client, f"/admin/rounds/{stuffed['round_id']}/bursts",
                   {"day": BURST_DAY, "channel": "web", "confirm": "1"})
    assert refused.status_code == 409
    assert _count(app, stuffed["round_id"]) == 56, "a closed round's report is final"


def test_the_store_keeps_the_day_and_nothing_finer(app):
    from chatsurvey.responses.anonymise import anonymise

    moment = datetime(2026, 11, 26, 23, 59, 58, tzinfo=UTC).timestamp()
    record = anonymise({
        "submission_id": "a" * 32, "tenant_id": 1, "round_id": 1, "flow": "f", "version": 1,
        "survey": "s", "locale": "en", "channel": "web", "status": "complete",
        "answers": {}, "skipped": [], "questions": {}, "started_at": moment - 300,
        "finished_at": moment})
    assert record.day == "2026-11-26" and record.week == "2026-W48"
    assert not [v for v in vars(record).values() if isinstance(v, (int, float))
                and not isinstance(v, bool) and abs(v - moment) < 86400]


def test_days_are_forgotten_once_the_round_closes(app, stuffed):
    from chatsurvey.extensions import db
    from chatsurvey.responses.bursts import forget_days
    from chatsurvey.rounds.models import SurveyRound

    with app.app_context():
        tenant = db.session.get(SurveyRound, stuffed["round_id"]).tenant
        still_open = open_round(tenant, db.session.get(SurveyRound, stuffed["round_id"])
                                .flow_version, name="Still open")
        add_response(still_open, day=BURST_DAY)
        still_open_id = still_open.id
        db.session.get(SurveyRound, stuffed["round_id"]).closes_at = \
            datetime.now(UTC) - timedelta(seconds=1)
        db.session.commit()
        assert forget_days() == 56
        assert forget_days() == 0
    assert _count(app, stuffed["round_id"], day=None) == 56
    assert _count(app, still_open_id, day=BURST_DAY) == 1


def test_the_sweeper_forgets_the_days(app, stuffed):
    from chatsurvey.extensions import db
    from chatsurvey.rounds.models import SurveyRound
    from chatsurvey.sweeper import sweep

    with app.app_context():
        db.session.get(SurveyRound, stuffed["round_id"]).closes_at = \
            datetime.now(UTC) - timedelta(seconds=1)
        db.session.commit()
        sweep()
    assert _count(app, stuffed["round_id"], day=None) == 56


def test_the_round_page_links_analysts_to_the_review(client, stuffed):
    _as_analyst(client, stuffed)
    page = client.get(f"/admin/rounds/{stuffed['round_id']}").get_data(as_text=True)
    assert re.search(rf'href="/admin/rounds/{stuffed["round_id"]}/bursts"', page)


def test_a_whatsapp_burst_is_shown_and_discarded_like_the_others(app):
    from chatsurvey.admin.bursts import CHANNEL_NAMES
    from chatsurvey.extensions import db
    from chatsurvey.responses.bursts import bursts, discard_day

    with app.app_context():
        survey_round = open_round(seed_tenant(), publish_fixture_flows()["router"])
        for day in NORMAL_DAYS:
            add_response(survey_round, channel="whatsapp", day=day)
        for _ in range(40):
            add_response(survey_round, channel="whatsapp", day=BURST_DAY)
        [burst] = bursts(survey_round)
        assert (burst.channel, burst.day.isoformat(), burst.complete) == (
            "whatsapp", BURST_DAY, 41)
        assert CHANNEL_NAMES[burst.channel] == "WhatsApp"
        assert discard_day(survey_round, BURST_DAY, "whatsapp") == 41
        db.session.commit()
        round_id = survey_round.id
    assert _count(app, round_id, channel="whatsapp") == 4
