"""Pooled comparisons (other councils together) cannot be differenced down to a small council."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chatsurvey.reports.disclosure import pool_allowed
from chatsurvey.reports.rules import Rules

RULES = Rules()


@pytest.mark.parametrize(("parts", "allowed"), [
    ((1,), False),                 # one council's single respondent
    ((60, 3), False),              # two councils: each report's pool is the other plus the tiny one
    ((20, 20, 5), False),          # three councils but under 50 answers
    ((100, 30, 30), False),        # one council more than half the pool
    ((40, 30, 30), True),
    ((50, 25, 25), True),          # exactly half is allowed
    ((40, 30, 30, 0), True),       # a council with no answers to this question is not counted
    ((49, 1, 0), False),
])
def test_the_dominance_rule(parts, allowed):
    assert pool_allowed(parts, RULES) is allowed


# -- the attack: two councils' reports, subtracted ----------------------------------------

ANSWERS = {"yes": {"has_good_friend": "yes"}, "no": {"has_good_friend": "no"}}


@pytest.fixture
def three_councils(app):
    """Two councils of 60 care leavers and a tiny one whose 4 all have a good friend."""
    from chatsurvey.councils.models import Tenant
    from chatsurvey.extensions import db
    from chatsurvey.responses.models import Response
    from chatsurvey.rounds.models import SurveyRound
    from tests.helpers import publish_fixture_flows

    with app.app_context():
        version = next(iter(publish_fixture_flows().values()))
        now = datetime.now(UTC)
        made = {}
        for slug, yes, no in (("alpha", 40, 20), ("beta", 45, 15), ("tiny", 4, 0)):
            tenant = Tenant(slug=slug, name=f"{slug.title()} Council", country="england")
            survey_round = SurveyRound(tenant=tenant, name="Spring", flow_version=version,
                                       opens_at=now - timedelta(days=60),
                                       closes_at=now - timedelta(days=20),
                                       eligible={"16-25": 150})
            db.session.add(survey_round)
            db.session.flush()
            rows = [{"id": f"{slug[:4]}{i:028d}", "tenant_id": tenant.id,
                     "round_id": survey_round.id, "flow_id": "ylbc-16-25", "flow_version": 1,
                     "survey": "your-life-beyond-care", "age_band": "16-25", "locale": "en",
                     "channel": "web", "week": "2026-W40", "status": "complete",
                     "helped": None, "answers": ANSWERS["yes" if i < yes else "no"],
                     "skipped": []} for i in range(yes + no)]
            db.session.execute(Response.__table__.insert(), rows)
            made[slug] = (tenant, survey_round)
        db.session.commit()
        yield made


def _good_friend(pub):
    [band] = [b for b in pub.bands if b.band == "16-25"]
    return next(r for r in band.rows if r.key == "has_good_friend")


def test_two_reports_cannot_be_subtracted_to_a_tiny_councils_answers(three_councils):
    from chatsurvey.reports import council_report

    pubs = {slug: council_report(tenant, survey_round)
            for slug, (tenant, survey_round) in three_councils.items()}
    alpha, beta = _good_friend(pubs["alpha"]), _good_friend(pubs["beta"])
    assert alpha.council.percent.shown and beta.council.percent.shown  # each council's own
    # The attack: alpha's "other councils" is beta + tiny; beta's own figure is published.
    # Without the rule, (alpha.others - beta.council) is tiny's 4 young people: all "yes".
    for row in (alpha, beta):
        assert not row.others.percent.shown and row.others.percent.reason == "pool"
        assert row.others.answered is None and row.others.skipped is None
        assert row.flag_others == "not compared"
    tiny = _good_friend(pubs["tiny"])
    assert not tiny.others.percent.shown  # two others: still a pool of two
