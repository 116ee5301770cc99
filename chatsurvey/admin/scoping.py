"""THE way an admin view loads anything a council owns: ``for_tenant(Model, id)``.

It returns the object only if the signed-in user may see it: programme
analysts see every council's, everyone else only their own council's. In
every other case it is a 404, the same answer as for an id that does not
exist, so nothing tells another council's user what exists (ASVS 8.2.2,
8.4.1). A refusal of an object that does exist is logged as a failed
authorisation. ``scope(query, Model)`` narrows a list the same way.

tests/test_admin_isolation.py walks every admin URL as a user of another council.
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import abort
from sqlalchemy import Select, select

from chatsurvey.accounts.models import User
from chatsurvey.admin.blueprint import current_user
from chatsurvey.audit import AuditEntry, denied
from chatsurvey.councils.models import Tenant
from chatsurvey.extensions import db
from chatsurvey.invitations.models import Invitation
from chatsurvey.responses.models import Comment, Response
from chatsurvey.rounds.models import SurveyRound

T = TypeVar("T")


def tenant_column(model: type) -> Any:
    """The column that says which council owns a row of ``model``."""
    if model is Tenant:
        return Tenant.id
    if model is Comment:
        return Response.tenant_id
    if model is Invitation:
        return SurveyRound.tenant_id
    column = getattr(model, "tenant_id", None)
    if column is None:
        raise TypeError(f"{model.__name__} is not owned by a council")
    return column


def _joined(query: Select, model: type) -> Select:
    if model is Comment:
        return query.join(Response, Comment.response_id == Response.id)
    if model is Invitation:
        return query.join(SurveyRound, Invitation.round_id == SurveyRound.id)
    return query


def scope(query: Select, model: type) -> Select:
    """``query`` (over ``model``) limited to what the current user may see."""
    user = current_user()
    if user.is_analyst:
        return query
    return _joined(query, model).where(tenant_column(model) == user.tenant_id)


def for_tenant(model: type[T], ident: Any) -> T:
    """The ``model`` row with this id if the current user may see it; else 404."""
    primary = model.__mapper__.primary_key[0]  # type: ignore[attr-defined]
    try:
        ident = primary.type.python_type(ident)
    except (TypeError, ValueError):
        abort(404)
    found = db.session.scalars(scope(select(model), model).where(primary == ident)).first()
    if found is None:
        if db.session.get(model, ident) is not None:
            denied("council", f"{model.__name__} {ident}")
        abort(404)
    return found


__all__ = ["AuditEntry", "User", "for_tenant", "scope", "tenant_column"]
