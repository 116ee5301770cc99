"""Small things that said more than they should: who answered, while a round is open."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.admin_helpers import add_response

pytestmark = pytest.mark.redis


@pytest.fixture
def open_round_with_a_care_leaver(app):
    """An open round counting only children in care, that one care leaver has answered."""
    from chatsurvey.extensions import db
    from chatsurvey.responses.models import Response
    from tests.helpers import open_round, publish_fixture_flows, seed_tenant

    with app.app_context():
        tenant = seed_tenant()
        survey_round = open_round(tenant, publish_fixture_flows()["router"],
                                  eligible={"8-11": 60, "11-18": 120})
        for _ in range(12):
            add_response(survey_round, age_band="11-18")
        leaver = add_response(survey_round, age_band="16-25")
        db.session.query(Response).filter(Response.id == leaver.id).update(
            {"survey": "your-life-beyond-care"})
        db.session.query(Response).filter(Response.id != leaver.id).update(
            {"survey": "your-life-your-care"})
        db.session.commit()
        yield tenant, survey_round


def test_an_open_report_does_not_say_a_care_leaver_answered(open_round_with_a_care_leaver):
    from chatsurvey.reports import council_report

    tenant, survey_round = open_round_with_a_care_leaver
    pub = council_report(tenant, survey_round)
    assert pub.is_open and pub.total == 13
    assert not any("care leavers" in w for w in pub.warnings), pub.warnings
    assert "16-25" not in [b.band for b in pub.bands]


def test_how_many_finished_waits_for_the_seal(open_round_with_a_care_leaver):
    from chatsurvey.admin.rates import response_rates
    from chatsurvey.extensions import db

    _, survey_round = open_round_with_a_care_leaver
    add_response(survey_round, status="partial")
    assert response_rates(survey_round)["complete"] is None
    survey_round.opens_at = datetime.now(UTC) - timedelta(days=40)
    survey_round.closes_at = datetime.now(UTC) - timedelta(days=1)
    db.session.commit()
    assert response_rates(survey_round)["complete"] is None  # closed, late finishers may come
    survey_round.closes_at = datetime.now(UTC) - timedelta(days=4)
    db.session.commit()
    assert response_rates(survey_round)["complete"] == 15  # 13 of 14, rounded to 5


def test_who_helped_is_kept_only_as_yes_or_no():
    from chatsurvey.responses.anonymise import anonymise

    transcript = {
        "flow": "your-life", "version": 1, "survey": "your-life-your-care", "status": "complete",
        "channel": "web", "locale": "en", "age_band": "11-18", "submission_id": "a" * 32,
        "tenant_id": 1, "round_id": 1, "finished_at": 1_780_000_000,
        "answers": {"feels_safe": "always", "helped_by": "trusted_adult"}, "skipped": [],
        "questions": {"feels_safe": {"ask": "choice"}, "helped_by": {"ask": "choice"}}}
    record = anonymise(transcript)
    assert record.helped is True and "helped_by" not in record.answers
    transcript["answers"]["helped_by"] = "no_one"
    assert anonymise(transcript).helped is False
