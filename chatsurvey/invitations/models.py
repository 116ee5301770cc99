"""The SMS channel's tables: who said STOP, and who was invited to a round.

A phone number is never kept in clear. Both tables find a person by the
keyed hash the webhook computes (`crypto().phone_hash`); an invitation keeps
the number itself only encrypted, and only until its reminder window is over.
Their times are kept to the day (midnight UTC), never finer: an exact time
of an opt-out or an invitation would date a sender's conversation.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from chatsurvey.columns import EncryptedText, UTCDateTime, utcday
from chatsurvey.extensions import db

QUEUED, SENT, FAILED, SKIPPED = "queued", "sent", "failed", "skipped"
STATUSES = (QUEUED, SENT, FAILED, SKIPPED)


class OptOut(db.Model):
    """A sender who texted STOP to a council: nothing the council starts may reach them.

    Kept per council (Twilio blocks per sending number; a council may have
    several), so invitations and reminders skip them; START removes it.
    """

    __tablename__ = "sms_opt_outs"
    __table_args__ = (UniqueConstraint("tenant_id", "phone_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    phone_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcday)
    """The day (midnight UTC), never the time."""

    @classmethod
    def exists(cls, tenant_id: int, phone_hash: str) -> bool:
        return db.session.scalar(select(cls.id).where(
            cls.tenant_id == tenant_id, cls.phone_hash == phone_hash)) is not None


class Invitation(db.Model):
    """One number a council asked us to invite to a round, and what happened to it."""

    __tablename__ = "sms_invitations"
    __table_args__ = (UniqueConstraint("round_id", "phone_hash"),
                      Index("ix_sms_invitations_round_status", "round_id", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_rounds.id", ondelete="CASCADE"))
    phone_hash: Mapped[str] = mapped_column(String(64))
    number: Mapped[str | None] = mapped_column(EncryptedText)
    """E.164, encrypted; set to NULL once nothing more will be sent to it."""
    channel: Mapped[str] = mapped_column(String(8), default="sms")
    """How the invitation and reminder go: "sms" or "whatsapp" (an approved template)."""
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    """queued, sent, failed (Twilio refused it) or skipped (opted out, round closed ...)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(64))
    """Why it failed or was skipped: a Twilio error code or a short word, never Twilio's text
    (which can quote the number)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcday)
    """The day (midnight UTC), never the time."""
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """The day (midnight UTC) it was sent."""
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """The day (midnight UTC) its reminder was sent."""
