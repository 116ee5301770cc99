"""A council's tables: the council itself and the numbers its young people text."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    select,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from chatsurvey.columns import EncryptedText, UTCDateTime, utcnow
from chatsurvey.extensions import db

COUNTRIES = ("england", "wales", "scotland")
DEFAULT_LOCALES = {"england": ["en"], "wales": ["cy", "en"], "scotland": ["en", "gd"]}


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
    twilio_auth_token: Mapped[str | None] = mapped_column(EncryptedText, deferred=True)
    """Read (and decrypted) only when used, so listing councils needs no secret key."""
    web_origins: Mapped[list] = mapped_column(JSON, default=list)
    """Sites allowed to embed the chat widget, e.g. https://www.council.gov.uk."""
    branding: Mapped[dict] = mapped_column(JSON, default=dict)
    """display_name, colour (buttons), text_colour. The logo is a `CouncilLogo`."""
    redact_terms: Mapped[list] = mapped_column(JSON, default=list)
    """Words always removed from free text: names of homes, schools, workers."""
    delete_sms_from_provider: Mapped[bool] = mapped_column(Boolean, default=True,
                                                           server_default=true())
    """Delete each finished SMS thread from the council's Twilio account
    (chatsurvey/channels/sms/deletion.py). On unless the council turns it off."""
    whatsapp_templates: Mapped[dict] = mapped_column(JSON, default=dict)
    """The council's WhatsApp templates approved by WhatsApp, by what they are for:
    {"invite": Content SID, "reminder": Content SID} (see docs/whatsapp.md)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    numbers: Mapped[list[SmsNumber]] = relationship(
        back_populates="tenant", cascade="all, delete-orphan", order_by="SmsNumber.id")

    @property
    def display_name(self) -> str:
        return self.branding.get("display_name") or self.name

    def has_auth_token(self) -> bool:
        """Whether a Twilio auth token is set, without decrypting it."""
        return bool(db.session.scalar(select(Tenant.id).where(
            Tenant.id == self.id, Tenant.twilio_auth_token.is_not(None))))

    def offered_locales(self) -> list[str]:
        return list(self.locales or DEFAULT_LOCALES[self.country])


class CouncilLogo(db.Model):
    """A council's logo as chatsurvey re-drew it from the upload: a PNG no bigger than
    LOGO_MAX_SIDE, with nothing of the uploaded file kept (no metadata, no hidden payload).
    It lives here, not at a web address, so every page and PDF shows it from our own site."""

    __tablename__ = "council_logos"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"),
                                           primary_key=True)
    png: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    """SHA-256 of ``png``: part of its address, so a new logo is never an old cached one."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SmsNumber(db.Model):
    """A phone number a council's young people text (or write to on WhatsApp)."""

    __tablename__ = "sms_numbers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(20), unique=True)
    """E.164, e.g. +447700900123."""
    per_second: Mapped[int] = mapped_column(Integer, default=10)
    """Messages per second Twilio allows from this number (10 for UK long codes)."""
    whatsapp: Mapped[bool] = mapped_column(Boolean, default=False)
    """Also a WhatsApp sender (approved by WhatsApp in the council's Twilio account): WhatsApp
    invitations go out from it. Messages to it on WhatsApp are answered either way."""

    tenant: Mapped[Tenant] = relationship(back_populates="numbers")


# Embedding sites: https anywhere; plain http only on this machine (development).
ORIGIN = re.compile(r"https://[a-z0-9.-]+(:[0-9]{1,5})?"
                    r"|http://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?")


def frame_origins(tenant: Tenant) -> list[str]:
    """The council's sites allowed to embed the chat; malformed entries are left out.

    They go into a CSP header, so anything that is not exactly an origin (a stray
    ``;`` or space would add directives) is dropped rather than trusted.
    """
    found = []
    for origin in tenant.web_origins or ():
        origin = str(origin).strip().rstrip("/").lower()
        if ORIGIN.fullmatch(origin) and origin not in found:
            found.append(origin)
    return found
