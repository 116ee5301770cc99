"""The audit log: who changed what, when, and for which council.

``record(action, ...)`` adds an AuditEntry in the current transaction (it is
committed with the change it describes) and writes one log line naming only
the action, the user id, the council id and the object id. ``details`` is
cleaned first: keys that name secrets are dropped and anything that looks like
a phone number or an e-mail address in a value is replaced, so the log never
holds a password, token, TOTP seed, phone number or a young person's words.
Admin views and commands alike record through it.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from flask import g, has_request_context, request
from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from chatsurvey.columns import UTCDateTime, utcnow
from chatsurvey.councils.models import Tenant
from chatsurvey.extensions import db

log = logging.getLogger("chatsurvey.audit")

SECRET_KEYS = re.compile(r"pass|secret|token|totp|code|number|phone|csv|auth|text", re.I)
PHONE = re.compile(r"\+?\d[\d ()-]{7,}\d")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")



class AuditEntry(db.Model):
    """One change (or sign-in event) made through the admin: who, when, what, which council.

    ``details`` never holds a secret, a phone number or a young person's words:
    ``record`` cleans it.
    """

    __tablename__ = "admin_audit"
    __table_args__ = (Index("ix_admin_audit_tenant_at", "tenant_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(254))
    """The e-mail address of who did it (kept if the account is removed), or "cli"."""
    tenant_id: Mapped[int | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(63))
    object_type: Mapped[str | None] = mapped_column(String(63))
    object_id: Mapped[str | None] = mapped_column(String(63))
    details: Mapped[dict] = mapped_column(JSON, default=dict)


def clean(value: Any, depth: int = 0) -> Any:
    """``value`` with secrets dropped and phone numbers and e-mail addresses masked."""
    if depth > 4:
        return "…"
    if isinstance(value, dict):
        return {str(k): clean(v, depth + 1) for k, v in value.items()
                if not SECRET_KEYS.search(str(k))}
    if isinstance(value, list | tuple):
        return [clean(v, depth + 1) for v in value[:50]]
    if isinstance(value, str):
        return EMAIL.sub("[e-mail]", PHONE.sub("[number]", value))[:300]
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)[:100]


def safe_for_log(text: str) -> str:
    """One line, no control characters (ASVS 16.4.1: no log injection)."""
    return CONTROL.sub("?", str(text))[:120]


def record(action: str, obj: Any = None, *, tenant_id: int | None = None,
           actor: str | None = None, user_id: int | None = None, **details: Any) -> AuditEntry:
    """Add an audit entry for ``action`` on ``obj`` (committed with the caller's change)."""
    user = g.get("user") if has_request_context() else None
    if user is not None:
        user_id = user.id if user_id is None else user_id
        actor = actor or user.email
    if tenant_id is None and obj is not None:
        tenant_id = obj.id if isinstance(obj, Tenant) else getattr(obj, "tenant_id", None)
    object_id = None
    if obj is not None:
        ident = getattr(obj, "id", None)
        object_id = str(ident) if ident is not None else None
    entry = AuditEntry(user_id=user_id, actor=actor or "cli", tenant_id=tenant_id,
                       action=action, object_type=type(obj).__name__ if obj is not None else None,
                       object_id=object_id, details=clean(details))
    db.session.add(entry)
    log.info("audit %s by user %s council %s object %s %s", safe_for_log(action), user_id,
             tenant_id, entry.object_type or "-", safe_for_log(object_id or "-"))
    return entry


def denied(kind: str, what: str) -> None:
    """Log a refused authorisation (ASVS 16.3.2): cross-council attempts above all."""
    user = g.get("user") if has_request_context() else None
    log.warning("authorisation refused (%s): user %s council %s wanted %s at %s",
                kind, user.id if user else None, user.tenant_id if user else None,
                safe_for_log(what), safe_for_log(request.path) if has_request_context() else "")
