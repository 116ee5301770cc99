"""The SQL store: councils, their numbers, published flows, survey rounds, and responses.

Conversations in progress are not here (they live in Redis). Responses are
written by the workers once a conversation has finished, already anonymised:
no table below holds a phone number, a conversation or message id, an IP
address, a user agent, an exact time of answering or an exact age.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .crypto import crypto
from .extensions import db

COUNTRIES = ("england", "wales", "scotland")
DEFAULT_LOCALES = {"england": ["en"], "wales": ["cy", "en"], "scotland": ["en", "gd"]}
CHANNELS = ("web", "sms")


def utcnow() -> datetime:
    return datetime.now(UTC)


class EncryptedText(TypeDecorator):
    """Text stored encrypted with the app's keys (see chatsurvey/crypto.py)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else crypto().encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else crypto().decrypt(value)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("datetimes must be timezone-aware")
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Tenant(db.Model):
    """A council that runs surveys."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(16))
    locales: Mapped[list] = mapped_column(JSON, default=list)
    """Languages offered, the default first (from the country unless set)."""
    help_text: Mapped[str | None] = mapped_column(Text)
    """Reply to an SMS "HELP": who runs the survey and how to reach them."""
    twilio_account_sid: Mapped[str | None] = mapped_column(String(64))
    twilio_auth_token: Mapped[str | None] = mapped_column(EncryptedText)
    web_origins: Mapped[list] = mapped_column(JSON, default=list)
    """Sites allowed to embed the chat widget, e.g. https://www.council.gov.uk."""
    branding: Mapped[dict] = mapped_column(JSON, default=dict)
    """display_name, logo_url, colour (buttons), text_colour."""
    redact_terms: Mapped[list] = mapped_column(JSON, default=list)
    """Words always removed from free text: names of homes, schools, workers."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    numbers: Mapped[list[SmsNumber]] = relationship(
        back_populates="tenant", cascade="all, delete-orphan", order_by="SmsNumber.id")
    rounds: Mapped[list[SurveyRound]] = relationship(
        back_populates="tenant", cascade="all, delete-orphan", order_by="SurveyRound.id")

    @property
    def display_name(self) -> str:
        return self.branding.get("display_name") or self.name

    def offered_locales(self) -> list[str]:
        return list(self.locales or DEFAULT_LOCALES[self.country])


class SmsNumber(db.Model):
    """A phone number a council's young people text."""

    __tablename__ = "sms_numbers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(20), unique=True)
    """E.164, e.g. +447700900123."""
    per_second: Mapped[int] = mapped_column(Integer, default=10)
    """Messages per second Twilio allows from this number (10 for UK long codes)."""

    tenant: Mapped[Tenant] = relationship(back_populates="numbers")


class FlowVersion(db.Model):
    """An immutable published version of a flow; conversations pin the one they start on."""

    __tablename__ = "flow_versions"
    __table_args__ = (UniqueConstraint("flow_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flow_id: Mapped[str] = mapped_column(String(63), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    survey: Mapped[str] = mapped_column(String(63))
    source: Mapped[str] = mapped_column(Text)
    """The flow's YAML, exactly as published."""
    bundle: Mapped[dict] = mapped_column(JSON, default=dict)
    """Versions of the flows it enters, pinned when it was published: {flow id: version}."""
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @classmethod
    def latest(cls, flow_id: str) -> FlowVersion | None:
        return db.session.scalars(select(cls).where(cls.flow_id == flow_id)
                                  .order_by(cls.version.desc()).limit(1)).first()


def new_link() -> str:
    """A survey link token: unguessable, short enough for a QR code."""
    return secrets.token_urlsafe(9)


class SurveyRound(db.Model):
    """A council running a published flow for a while: the link and keyword young people use."""

    __tablename__ = "survey_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    flow_version_id: Mapped[int] = mapped_column(ForeignKey("flow_versions.id"))
    link: Mapped[str] = mapped_column(String(32), unique=True, default=new_link)
    keyword: Mapped[str | None] = mapped_column(String(16))
    """Word texted to start this round's survey, when a number has more than one open."""
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    channels: Mapped[list] = mapped_column(JSON, default=lambda: list(CHANNELS))
    eligible: Mapped[dict] = mapped_column(JSON, default=dict)
    """Young people who could take part, by age band: {"8-11": 120, ...}."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    tenant: Mapped[Tenant] = relationship(back_populates="rounds")
    flow_version: Mapped[FlowVersion] = relationship()

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.opens_at <= now < self.closes_at


class Response(db.Model):
    """One young person's anonymous answers to one survey."""

    __tablename__ = "responses"
    __table_args__ = (Index("ix_responses_round", "tenant_id", "round_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    """The random submission id made when the conversation finished; unique, so a
    response can never be stored twice."""
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
    status: Mapped[str] = mapped_column(String(10))
    """complete, or partial (stopped early, or abandoned after consenting)."""
    helped: Mapped[bool | None] = mapped_column(Boolean)
    """Whether someone helped them answer (never who exactly)."""
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    """Answers by question key (free text is in comments)."""
    skipped: Mapped[list] = mapped_column(JSON, default=list)

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
