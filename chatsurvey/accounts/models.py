"""Staff accounts and their invitations to join the admin.

Staff are the only people who sign in; young people never do. Secrets are stored
only as hashes (passwords: argon2id; invitation tokens: SHA-256) or encrypted (the
TOTP seed, with the app's keys, see chatsurvey/crypto.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from chatsurvey.columns import EncryptedText, UTCDateTime, utcnow
from chatsurvey.councils.models import Tenant
from chatsurvey.extensions import db

ANALYST = "programme-analyst"
COUNCIL_ADMIN = "council-admin"
COUNCIL_VIEWER = "council-viewer"
ROLES = (ANALYST, COUNCIL_ADMIN, COUNCIL_VIEWER)
ROLE_NAMES = {ANALYST: "Programme analyst", COUNCIL_ADMIN: "Council admin",
              COUNCIL_VIEWER: "Council viewer"}


class User(db.Model):
    """A member of staff who signs in to the admin.

    Programme analysts belong to no council (``tenant_id`` is NULL) and see
    every council; council admins and viewers see only their own. Raising
    ``session_version`` ends every session the user has (disabling does too).
    """

    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    """Stored lower-case."""
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(24))
    tenant_id: Mapped[int | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    """argon2id; NULL until the invitation is accepted."""
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText)
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    """The time step of the last code accepted: a code works once (ASVS 6.5.1)."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    tenant: Mapped[Tenant | None] = relationship()

    @property
    def is_analyst(self) -> bool:
        return self.role == ANALYST

    @property
    def can_edit(self) -> bool:
        """Analysts and council admins change things; viewers only look."""
        return self.role in (ANALYST, COUNCIL_ADMIN)

    @property
    def role_name(self) -> str:
        return ROLE_NAMES.get(self.role, self.role)

    @property
    def needs_totp(self) -> bool:
        """Programme analysts must use a second factor (ASVS 6.3.3); others may."""
        return self.is_analyst or self.totp_enabled


class UserInvite(db.Model):
    """A person's one live invitation link to the admin: only the token's hash is kept.

    At most one per person (``user_id`` is unique): a new link replaces the old, and
    using it, disabling the account or changing the password deletes it
    (chatsurvey/accounts/actions.py).
    """

    __tablename__ = "admin_user_invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("admin_users.id", ondelete="CASCADE"),
                                         unique=True)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("admin_users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
