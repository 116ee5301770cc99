"""Published flow versions and the drafts staff are editing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from chatsurvey.columns import UTCDateTime, utcnow
from chatsurvey.extensions import db


class FlowVersion(db.Model):
    """An immutable published version of a flow; conversations pin the one they start on.

    A version is one unit: the YAML, the translations of every locale it declares
    and the versions of the flows it enters. Every process compiles it from this
    row alone, so all of them say the same words for it (chatsurvey/flows/publish.py).
    """

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
    translations: Mapped[dict] = mapped_column(JSON, default=dict)
    """Its translated messages, and the engine's, in the locales it declares:
    {locale: {gettext context: {"id": English, "str": translation, ...}}}
    (``Catalogue.as_data``)."""
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @classmethod
    def latest(cls, flow_id: str) -> FlowVersion | None:
        return db.session.scalars(select(cls).where(cls.flow_id == flow_id)
                                  .order_by(cls.version.desc()).limit(1)).first()


def latest_versions() -> dict[str, FlowVersion]:
    """The latest published version of every flow, by flow id."""
    newest = select(FlowVersion.flow_id, func.max(FlowVersion.version).label("v")).group_by(
        FlowVersion.flow_id).subquery()
    rows = db.session.scalars(select(FlowVersion).join(
        newest, (FlowVersion.flow_id == newest.c.flow_id)
        & (FlowVersion.version == newest.c.v)).order_by(FlowVersion.flow_id))
    return {row.flow_id: row for row in rows}


class FlowDraft(db.Model):
    """One person's unpublished edit of a flow, kept until it is published or discarded."""

    __tablename__ = "admin_flow_drafts"
    __table_args__ = (UniqueConstraint("user_id", "flow_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("admin_users.id", ondelete="CASCADE"))
    flow_id: Mapped[str] = mapped_column(String(63))
    base_version: Mapped[int | None] = mapped_column(Integer)
    """The published version the draft started from (None for a new flow)."""
    source: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class LocalQuestions(db.Model):
    """One published version of a council's local questions: its own, for its own rounds.

    A council's block of questions and messages (YAML, with its own
    translations), played at the slots the programme's flows declare. A round
    pins the version that was the council's latest when it was set up, so the
    block can only ever reach that council's young people, and a round's
    conversations never change under them. Rules: chatsurvey/flows/lock.py.
    """

    __tablename__ = "local_questions"
    __table_args__ = (UniqueConstraint("tenant_id", "version"),
                      UniqueConstraint("id", "tenant_id"))  # for the rounds' foreign key

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"),
                                           index=True)
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    """The block's YAML, exactly as published."""
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by: Mapped[int | None] = mapped_column(
        ForeignKey("admin_users.id", ondelete="SET NULL"))

    @classmethod
    def latest(cls, tenant_id: int) -> LocalQuestions | None:
        return db.session.scalars(select(cls).where(cls.tenant_id == tenant_id)
                                  .order_by(cls.version.desc()).limit(1)).first()
