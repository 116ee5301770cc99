"""A round's report is final at its seal: late finishers before it, nothing after it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from chatsurvey import conversations
from chatsurvey.conversations.keyspace import sessions
from chatsurvey.extensions import db, redis_client
from chatsurvey.responses.models import Response
from chatsurvey.sweeper import sweep
from tests.helpers import store_waiting

pytestmark = pytest.mark.redis

ANSWERS = ("English", "yes", "12", "7", "never", "2", "1", "no thanks", "no")


def finish(survey_round, channel, *messages):
    outcome = conversations.begin(survey_round, channel)
    for i, message in enumerate(messages):
        outcome = conversations.reply(outcome.conversation, survey_round.tenant_id,
                                      f"{outcome.conversation}-{i}", message)
    return outcome


def work():
    store_waiting()


def closed(survey_round, days_ago: float) -> None:
    now = datetime.now(UTC)
    survey_round.opens_at = now - timedelta(days=30)
    survey_round.closes_at = now - timedelta(days=days_ago)
    db.session.commit()


def stored() -> int:
    return db.session.query(Response).count()


def test_a_late_sms_finisher_within_the_grace_period_is_stored(survey, app):
    assert app.config["REPORT_GRACE_DAYS"] == 3
    finish(survey, "sms", *ANSWERS)
    closed(survey, days_ago=1)  # it finished after closing, before the seal
    work()
    assert stored() == 1


def test_a_late_sms_finisher_after_the_seal_is_not_stored_and_not_left_waiting(survey):
    finish(survey, "sms", *ANSWERS)
    closed(survey, days_ago=3.5)
    work()
    assert stored() == 0
    assert sessions().waiting() == (0, 0)  # dropped, not retried for ever nor set aside


def test_a_conversation_the_sweeper_closes_after_the_seal_is_not_stored(survey):
    kept = conversations.begin(survey, "web")
    for i, m in enumerate(["English", "yes", "12", "6"]):
        conversations.reply(kept.conversation, survey.tenant_id, f"k{i}", m)
    closed(survey, days_ago=4)
    store = sessions()
    for key in (k for batch in store.records() for k in batch):
        redis_client().expire(key, store.grace - 1)  # idle past its timeout
    assert sweep()["closed"] == 1
    work()
    assert stored() == 0


# -- the differencing attack on a care-leaver report -----------------------------------


@pytest.fixture
def demo(app):
    from chatsurvey.councils.models import Tenant
    from devtools.demo_data import generate

    with app.app_context():
        truth = generate(councils=4, seed=11, responses=1600)
        council = truth.councils[0]
        tenant = db.session.scalars(select(Tenant).where(Tenant.slug == council.slug)).one()
        yield tenant, council


def _care_leaver_row(survey_round, band="16-25"):
    """One more care leaver, all answers positive-looking: what a late finisher would add."""
    row = db.session.scalars(select(Response).where(Response.round_id == survey_round.id,
                                                    Response.age_band == band)).first()
    return {"id": "late" + "0" * 28, "tenant_id": row.tenant_id, "round_id": row.round_id,
            "flow_id": row.flow_id, "flow_version": row.flow_version, "survey": row.survey,
            "age_band": band, "locale": "en", "channel": "sms", "week": row.week,
            "status": "complete", "helped": False, "answers": dict(row.answers),
            "skipped": []}


def _figures(pub):
    return dataclasses.replace(pub, generated_at=datetime(2000, 1, 1, tzinfo=UTC))


def test_a_report_at_the_seal_and_after_a_late_finisher_give_identical_figures(demo):
    from chatsurvey.reports import council_report
    from chatsurvey.responses.anonymise import AnonymousResponse
    from chatsurvey.responses.store import insert_responses
    from chatsurvey.rounds.models import SurveyRound

    tenant, council = demo
    survey_round = db.session.get(SurveyRound, council.rounds["current"])
    at_seal = council_report(tenant, survey_round)
    assert at_seal.final and at_seal.bands and any(b.rows for b in at_seal.bands)

    # The late finisher's way in refuses it ...
    late = _care_leaver_row(survey_round)
    assert insert_responses([AnonymousResponse(**late, day=None, comments=[])]) == 0
    db.session.commit()
    assert db.session.get(Response, late["id"]) is None
    # ... and even a row written behind the store's back cannot change the sealed figures.
    db.session.execute(insert(Response), [late])
    db.session.commit()
    later = council_report(tenant, survey_round)
    assert _figures(later) == _figures(at_seal)


def test_before_the_seal_only_the_total_is_shown_so_there_is_nothing_to_difference(demo):
    from chatsurvey.reports import council_report
    from chatsurvey.rounds.models import SurveyRound

    tenant, council = demo
    survey_round = db.session.get(SurveyRound, council.rounds["current"])
    closed(survey_round, days_ago=1)
    during = council_report(tenant, survey_round)
    assert not during.final and not during.is_open
    assert all(not b.rows and b.responses is None for b in during.bands)
    assert during.tables == () and during.bright_spots == () and during.improvements == ()
    after = council_report(tenant, survey_round, now=datetime.now(UTC) + timedelta(days=3))
    assert after.final and any(b.rows for b in after.bands)


def test_a_round_taking_late_finishers_is_in_no_other_councils_comparison(demo):
    from chatsurvey.reports.compute import RoundIndex
    from chatsurvey.rounds.models import SurveyRound

    tenant, council = demo
    survey_round = db.session.get(SurveyRound, council.rounds["current"])
    closed(survey_round, days_ago=1)
    pool = RoundIndex().latest_sealed("your-life-beyond-care", datetime.now(UTC))
    assert pool[tenant.id].id == council.rounds["previous"]


def test_report_seal_keeps_each_sealed_rounds_figures_once(demo, app):
    from chatsurvey.reports.models import SealedFigures
    from chatsurvey.rounds.models import SurveyRound

    tenant, council = demo
    survey_round = db.session.get(SurveyRound, council.rounds["current"])
    closed(survey_round, days_ago=1)  # still taking late finishers: not sealed
    from chatsurvey.cli import main

    runner = app.test_cli_runner()
    result = runner.invoke(main, ["report-seal"])
    assert result.exit_code == 0, result.output
    kept = set(db.session.scalars(select(SealedFigures.round_id)))
    assert survey_round.id not in kept and council.rounds["previous"] in kept
    assert len(kept) == 7  # four councils' two rounds, less the one in its grace period
    assert runner.invoke(main, ["report-seal"]).output.startswith("0 rounds sealed")


def test_the_sweeper_keeps_each_sealed_rounds_figures_once(demo):
    from chatsurvey.reports.models import SealedFigures
    from chatsurvey.reports.snapshot import Figures, count_in_python
    from chatsurvey.rounds.models import SurveyRound

    tenant, council = demo
    survey_round = db.session.get(SurveyRound, council.rounds["current"])
    closed(survey_round, days_ago=1)  # still taking late finishers: not sealed
    assert sweep()["sealed"] == 7
    kept = dict(db.session.execute(select(SealedFigures.round_id, SealedFigures.figures)).all())
    assert survey_round.id not in kept and len(kept) == 7
    previous = council.rounds["previous"]
    mine, truth = Figures.from_json(kept[previous]), count_in_python([previous])[previous]
    assert mine.total == truth.total > 0  # the counting itself: tests/test_reports_counting.py
    assert (mine.by_channel, mine.by_week) == (truth.by_channel, truth.by_week)
    assert sweep()["sealed"] == 0
    closed(survey_round, days_ago=3.5)  # its seal has passed: the next sweep keeps it
    assert sweep()["sealed"] == 1


def test_a_report_before_the_seal_counts_only_how_many_answered(demo, monkeypatch):
    from chatsurvey.reports import council_report, snapshot
    from chatsurvey.rounds.models import SurveyRound

    def no_answers(*_):
        raise AssertionError("answers counted for a report that shows only the total")

    tenant, council = demo
    survey_round = db.session.get(SurveyRound, council.rounds["current"])
    monkeypatch.setattr(snapshot, "count_in_database", no_answers)
    monkeypatch.setattr(snapshot, "count_in_python", no_answers)
    stored_in_round = db.session.query(Response).filter_by(round_id=survey_round.id).count()
    for days_ago in (-5, 1):  # open, then closed and taking late finishers
        closed(survey_round, days_ago=days_ago)
        report = council_report(tenant, survey_round)
        assert not report.final and report.total == stored_in_round > 0
        assert all(b.responses is None and not b.rows for b in report.bands) and report.bands
