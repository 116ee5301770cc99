"""Counting in the database gives exactly what reading every response gives."""

from __future__ import annotations

import pytest
from sqlalchemy import select


@pytest.fixture
def stored(app):
    from chatsurvey.extensions import db
    from chatsurvey.rounds.models import SurveyRound
    from devtools.demo_data import generate

    with app.app_context():
        generate(councils=3, seed=9, responses=1500)
        yield [r.id for r in db.session.scalars(select(SurveyRound))]


def test_the_database_counts_what_python_counts(stored):
    from chatsurvey.reports.compute import catalogue
    from chatsurvey.reports.snapshot import count_in_database, count_in_python
    from chatsurvey.reports.tally import Judge

    in_db, in_python = count_in_database(stored), count_in_python(stored)
    assert in_db is not None and in_db.keys() == in_python.keys()
    judge = Judge(catalogue())
    for round_id in stored:
        mine, theirs = in_db[round_id], in_python[round_id]
        assert mine.total == theirs.total > 0
        assert mine.by_channel == theirs.by_channel and mine.by_week == theirs.by_week
        assert mine.groups.keys() == theirs.groups.keys()
        for (survey, band), group in mine.groups.items():
            other = theirs.groups[(survey, band)]
            assert group.skipped == other.skipped
            a, b = group.tally(judge, survey, band), other.tally(judge, survey, band)
            assert (a.responses, a.present, a.answered, a.positive) == \
                (b.responses, b.present, b.answered, b.positive), (survey, band)
