"""The response store: anonymous answers and the free-text comments awaiting review.

Written only once a conversation has finished, already anonymised: no table here
holds a phone number, a conversation or message id, an IP address, a user agent,
a time of answering finer than the day, or an exact age.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from chatsurvey.extensions import db


class Response(db.Model):
    """One young person's anonymous answers to one survey."""

    __tablename__ = "responses"
    __table_args__ = (Index("ix_responses_round", "tenant_id", "round_id"),
                      Index("ix_responses_mixed", "mixed"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    """The random submission id made when the conversation finished (unique, so a
    response can never be stored twice); once its day is over, a new random id that
    nothing else names (chatsurvey/responses/mixing.py)."""
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_rounds.id", ondelete="CASCADE"))
    flow_id: Mapped[str] = mapped_column(String(63))
    flow_version: Mapped[int] = mapped_column(Integer)
    survey: Mapped[str] = mapped_column(String(63))
    age_band: Mapped[str | None] = mapped_column(String(8))
    locale: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(8))
    """sms, web or paper."""
    week: Mapped[str] = mapped_column(String(8))
    """ISO week of completion, e.g. 2026-W48: never the exact time."""
    day: Mapped[str | None] = mapped_column(String(10))
    """The day it finished (UTC, e.g. 2026-11-26), kept only while its round is open so an
    analyst can see and discard a burst of fake responses (chatsurvey/responses/bursts.py);
    forgotten (NULL) once the round has closed, leaving the week."""
    status: Mapped[str] = mapped_column(String(10))
    """complete, or partial (stopped early, or abandoned after consenting)."""
    helped: Mapped[bool | None] = mapped_column(Boolean)
    """Whether someone helped them answer (never who exactly)."""
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    """Answers by question key (free text is in comments)."""
    skipped: Mapped[list] = mapped_column(JSON, default=list)
    mixed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    """Its day is over and its round's responses of that day were rewritten in a random
    order under new ids (chatsurvey/responses/mixing.py)."""

    comments: Mapped[list[Comment]] = relationship(
        back_populates="response", cascade="all, delete-orphan", order_by="Comment.id")


REVIEW_STATUSES = ("pending", "approved", "rejected")


class Comment(db.Model):
    """A free-text answer, redacted, that a person must review before any report shows it."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_review", "status", "flagged"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[str] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(63))
    text: Mapped[str] = mapped_column(Text)
    found: Mapped[dict] = mapped_column(JSON, default=dict)
    """Kinds of identifier removed and how many, e.g. {"PERSON": 2}."""
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    """Looks like a safeguarding disclosure: first in the review queue."""
    status: Mapped[str] = mapped_column(String(10), default="pending")
    edited: Mapped[bool] = mapped_column(Boolean, default=False)
    """A reviewer changed the redaction."""

    response: Mapped[Response] = relationship(back_populates="comments")
