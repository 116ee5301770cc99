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


def test_totals_alone_are_what_the_full_count_says(stored):
    from chatsurvey.reports.snapshot import count_in_python, count_totals

    totals, full = count_totals(stored), count_in_python(stored)
    for round_id in stored:
        mine, theirs = totals[round_id], full[round_id]
        assert mine.total == theirs.total > 0
        assert mine.by_channel == theirs.by_channel and mine.by_week == theirs.by_week
        assert {k: g.responses for k, g in mine.groups.items()} == \
            {k: g.responses for k, g in theirs.groups.items()}
        assert not any(g.values or g.skipped for g in mine.groups.values())


def test_the_round_index_reads_a_sealed_rounds_groups_from_its_kept_figures(stored):
    from chatsurvey.extensions import db
    from chatsurvey.reports.compute import RoundIndex
    from chatsurvey.reports.snapshot import seal_due
    from chatsurvey.responses.models import Response

    from_rows = RoundIndex()
    assert sorted(seal_due()) == sorted(stored)  # every demo round is sealed
    from_kept = RoundIndex()
    assert from_kept.surveys == from_rows.surveys and len(from_kept.surveys) == len(stored)
    assert from_kept.band_survey == from_rows.band_survey
    # The kept figures are what the index reads: it never goes back to a sealed round's rows.
    db.session.query(Response).filter(Response.round_id == stored[0]).delete()
    db.session.commit()
    assert RoundIndex().surveys[stored[0]] == from_rows.surveys[stored[0]]
