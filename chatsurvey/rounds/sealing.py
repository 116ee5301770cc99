"""When a round's answers become final: late finishers, then the seal.

A conversation begun before a round closes may finish after it (a young person
answering by SMS over a few days), and the sweeper closes abandoned ones
later still. Such late finishers are stored until ``REPORT_GRACE_DAYS`` after
the round closes; from then on the round is **sealed**: no response is stored
into it by any path (:func:`accepts_responses` is checked where responses are
inserted), and its report's figures are final (``chatsurvey.reports.snapshot``
keeps them). Until the seal the report shows only the number who answered, so
no two versions of a round's results can be compared to learn what one late
finisher said.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from chatsurvey.columns import utcnow
from chatsurvey.extensions import db
from chatsurvey.rounds.models import SurveyRound


def grace() -> timedelta:
    """How long after closing late finishers are still stored."""
    return timedelta(days=float(current_app.config["REPORT_GRACE_DAYS"]))


def seals_at(survey_round: SurveyRound) -> datetime:
    """When the round is sealed: its closing time plus the grace period."""
    return survey_round.closes_at + grace()


def is_sealed(survey_round: SurveyRound, now: datetime | None = None) -> bool:
    """Whether the round's responses are final (nothing more can be stored into it)."""
    return (now or utcnow()) >= seals_at(survey_round)


def accepts_responses(round_id: int, now: datetime | None = None) -> bool:
    """Whether a finished conversation may still be stored into round ``round_id``."""
    closes_at = db.session.scalar(select(SurveyRound.closes_at).where(SurveyRound.id == round_id))
    if closes_at is None:
        return True  # no such round: the foreign key refuses the insert, visibly
    return (now or utcnow()) < closes_at + grace()
