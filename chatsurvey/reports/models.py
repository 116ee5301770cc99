"""What reports keep: councils' pledges to young people ("You said, we will") and sealed figures."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chatsurvey.columns import UTCDateTime, utcnow
from chatsurvey.extensions import db


class Pledge(db.Model):
    """One promise a council makes in answer to what its young people said in a round.

    Shown in the young people's summary as "You said ... We will ...", in
    ``position`` order; ``age_band`` narrows it to one band's summary (None: all).
    """

    __tablename__ = "pledges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"),
                                           index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_rounds.id", ondelete="CASCADE"),
                                          index=True)
    age_band: Mapped[str | None] = mapped_column(String(8))
    you_said: Mapped[str] = mapped_column(Text)
    we_will: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SealedFigures(db.Model):
    """A sealed round's counted answers, stored once: every later report reads these.

    Made by the sweeper soon after the round's seal (chatsurvey/rounds/sealing.py), or by
    a report asked for before that sweep. Nothing can be stored into a sealed round,
    so the figures are final; keeping them means a report made at the seal and
    one made a year later give the same numbers, and pooled comparisons read a
    few hundred counts per round instead of every answer.
    """

    __tablename__ = "sealed_figures"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("survey_rounds.id", ondelete="CASCADE"), primary_key=True)
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """When the round was sealed (its closing time plus the grace period)."""
    figures: Mapped[dict] = mapped_column(JSON)
    """The round's answers counted (chatsurvey/reports/snapshot.py ``Figures.to_json``)."""
