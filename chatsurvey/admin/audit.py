"""The audit log page.

Entries are written by ``chatsurvey.audit.record``, from views and commands alike.
"""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from chatsurvey.admin.blueprint import bp, current_user
from chatsurvey.audit import AuditEntry
from chatsurvey.councils.models import Tenant
from chatsurvey.extensions import db


@bp.get("/audit")
def audit_log():
    """The audit log: every council's for analysts, one's own for council staff."""
    user = current_user()
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(200)
    if not user.is_analyst:
        query = query.where(AuditEntry.tenant_id == user.tenant_id)
    entries = db.session.scalars(query).all()
    tenants = {t.id: t for t in db.session.scalars(select(Tenant))}
    return render_template("admin/audit.html", entries=entries, tenants=tenants)
