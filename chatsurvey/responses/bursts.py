"""Bursts of fake responses: seen by day, discarded by day, and no identifier kept to do it.

The survey is anonymous, so a script that gets past the web API's rate limits and
fills in the survey again and again cannot be told apart from young people by who
it is: nothing in the response store says who, or when to the second. What it
cannot hide is how many: a burst shows as an unusual number of complete responses
on one day, for one round and one channel.

So a response keeps the UTC day it finished (``Response.day``) while its round is
open, and nothing finer. A programme analyst sees the unusual days of a round (a
day is unusual when it has at least RESPONSES_BURST_MIN complete responses on a
channel and at least RESPONSES_BURST_FACTOR times the round's usual day on that
channel; a quiet day's count is never shown, so no one can watch a small group
day by day), and may discard that day's responses of that channel, after looking.
Discarding is allowed only while the round is open and only for an unusual day,
and is audited with the day, the channel and how many. Once the round has closed
its report is final: `forget_days` (run by the sweeper) then sets every day of
its responses to NULL, and only the ISO week stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from statistics import median
from typing import cast

from flask import current_app
from sqlalchemy import CursorResult, case, delete, func, select, update

from chatsurvey.audit import record
from chatsurvey.columns import utcnow
from chatsurvey.extensions import db
from chatsurvey.responses.models import Comment, Response
from chatsurvey.rounds.models import SurveyRound

CHANNELS = ("web", "sms", "whatsapp")
"""Channels a burst can come from (paper is typed in by the council's own staff)."""


class DiscardRefused(ValueError):
    """Why a day's responses cannot be discarded, in words for the analyst."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


@dataclass(frozen=True)
class Burst:
    """A day on which one channel of a round had unusually many complete responses."""

    day: date
    channel: str
    complete: int
    """Complete responses that day on that channel."""
    responses: int
    """Every response that day on that channel (what discarding removes)."""
    usual: float
    """The round's median complete responses a day on that channel, that day aside."""


def _per_day(survey_round: SurveyRound) -> dict[tuple[str, str], tuple[int, int]]:
    """(channel, day) -> (complete, all) responses of the round."""
    complete = func.sum(case((Response.status == "complete", 1), else_=0))
    rows = db.session.execute(
        select(Response.channel, Response.day, complete, func.count())
        .where(Response.round_id == survey_round.id, Response.day.is_not(None),
               Response.channel.in_(CHANNELS))
        .group_by(Response.channel, Response.day)).all()
    return {(channel, day): (int(done or 0), total) for channel, day, done, total in rows
            if day is not None}


def bursts(survey_round: SurveyRound) -> list[Burst]:
    """The round's unusual days, per channel, oldest first."""
    config = current_app.config
    counts = _per_day(survey_round)
    found = []
    for (channel, day), (done, total) in counts.items():
        others = [c for (ch, d), (c, _) in counts.items() if ch == channel and d != day]
        usual = float(median(others)) if others else 0.0
        if done >= config["RESPONSES_BURST_MIN"] and \
                done >= config["RESPONSES_BURST_FACTOR"] * max(usual, 1.0):
            found.append(Burst(date.fromisoformat(day), channel, done, total, usual))
    return sorted(found, key=lambda b: (b.day, b.channel))


def discard_day(survey_round: SurveyRound, day: str, channel: str) -> int:
    """Delete one unusual day's responses of one channel of an open round; how many went."""
    try:
        wanted = date.fromisoformat(day) if len(day) == 10 else None
    except ValueError:
        wanted = None
    if wanted is None or channel not in CHANNELS:
        raise DiscardRefused("Choose one of the unusual days shown.")
    if not survey_round.is_open(utcnow()):
        raise DiscardRefused("This round has closed, so its report is final: its responses "
                             "can no longer be discarded.", 409)
    if not any(b.day == wanted and b.channel == channel for b in bursts(survey_round)):
        raise DiscardRefused("That day shows nothing unusual on that channel.")
    those = (Response.round_id == survey_round.id, Response.day == wanted.isoformat(),
             Response.channel == channel)
    db.session.execute(delete(Comment).where(
        Comment.response_id.in_(select(Response.id).where(*those))))
    gone = cast(CursorResult, db.session.execute(delete(Response).where(*those))).rowcount
    record("responses.discarded", survey_round, day=f"{wanted:%-d %B %Y}", channel=channel,
           discarded=gone)
    return gone


def forget_days() -> int:
    """Forget the day of every response whose round has closed; how many were forgotten."""
    closed = select(SurveyRound.id).where(SurveyRound.closes_at <= utcnow())
    forgotten = cast(CursorResult, db.session.execute(update(Response).where(
        Response.day.is_not(None), Response.round_id.in_(closed)).values(day=None))).rowcount
    if forgotten:
        db.session.commit()
    else:
        db.session.rollback()  # nothing changed: end the transaction without a write
    return forgotten
