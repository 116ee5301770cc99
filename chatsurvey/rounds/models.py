"""A survey round: a council running a published flow for a while, and its details."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import (
    JSON,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from chatsurvey.columns import UTCDateTime, utcnow
from chatsurvey.councils.models import Tenant
from chatsurvey.extensions import db
from chatsurvey.flows.models import FlowVersion, LocalQuestions

CHANNELS = ("web", "sms", "whatsapp")
DEFAULT_CHANNELS = ("web", "sms")
"""A new round's, unless chosen: WhatsApp needs the council's own set-up first."""
SCHEDULED, OPEN, CLOSED = "scheduled", "open", "closed"
STATUS_LABELS = {SCHEDULED: "Scheduled", OPEN: "Open", CLOSED: "Closed"}


def new_link() -> str:
    """A survey link token: unguessable, short enough for a QR code."""
    return secrets.token_urlsafe(9)


class SurveyRound(db.Model):
    """A council running a published flow for a while: the link and keyword young people use."""

    __tablename__ = "survey_rounds"
    __table_args__ = (ForeignKeyConstraint(
        ["local_questions_id", "tenant_id"], ["local_questions.id", "local_questions.tenant_id"],
        name="fk_survey_rounds_local_questions_own_council"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    flow_version_id: Mapped[int] = mapped_column(ForeignKey("flow_versions.id"))
    local_questions_id: Mapped[int | None] = mapped_column(Integer)
    """The council's local questions this round plays (its latest when the round was set up);
    the database refuses another council's (a foreign key on the pair with ``tenant_id``)."""
    link: Mapped[str] = mapped_column(String(32), unique=True, default=new_link)
    keyword: Mapped[str | None] = mapped_column(String(16))
    """Word texted to start this round's survey, when a number has more than one open."""
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    channels: Mapped[list] = mapped_column(JSON, default=lambda: list(DEFAULT_CHANNELS))
    eligible: Mapped[dict] = mapped_column(JSON, default=dict)
    """Young people who could take part, by age band: {"8-11": 120, ...}."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    tenant: Mapped[Tenant] = relationship()
    flow_version: Mapped[FlowVersion] = relationship()
    local_questions: Mapped[LocalQuestions | None] = relationship(
        primaryjoin="SurveyRound.local_questions_id == LocalQuestions.id",
        foreign_keys=[local_questions_id], viewonly=True)

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.opens_at <= now < self.closes_at

    def status(self, now: datetime | None = None) -> str:
        """"scheduled" before it opens, "open", then "closed" for good."""
        now = now or utcnow()
        if now < self.opens_at:
            return SCHEDULED
        return OPEN if now < self.closes_at else CLOSED

    def status_label(self, now: datetime | None = None) -> str:
        """Scheduled, Open or Closed, as staff read it."""
        return STATUS_LABELS[self.status(now)]


class RoundDetails(db.Model):
    """What the admin keeps about a round beyond SurveyRound: local support contacts."""

    __tablename__ = "admin_round_details"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("survey_rounds.id", ondelete="CASCADE"), primary_key=True)
    support_contacts: Mapped[str] = mapped_column(Text, default="")
    """Who young people can contact locally (the participation team, the advocacy service);
    printed on the links page and the QR posters."""
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("admin_users.id", ondelete="SET NULL"))
