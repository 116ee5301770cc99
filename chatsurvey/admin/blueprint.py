"""The admin blueprint and what every admin view shares: the signed-in user and roles."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, g, request

from chatsurvey.accounts.models import ANALYST, COUNCIL_ADMIN, User
from chatsurvey.audit import denied

STATIC = Path(__file__).resolve().parent.parent / "static" / "admin"

bp = Blueprint("admin", __name__, url_prefix="/admin", static_folder=str(STATIC),
               static_url_path="/static")

PUBLIC: set[str] = set()
"""Endpoints open without signing in (the sign-in steps, invitations, static files)."""


def public(view: Callable) -> Callable:
    """Mark a view as reachable without signing in."""
    PUBLIC.add(f"admin.{view.__name__}")
    return view


def current_user() -> User:
    """The signed-in user (every non-public admin view has one)."""
    return g.user


def roles(*allowed: str) -> Callable:
    """Only these roles may use the view; others get 403 (and it is logged)."""
    def wrap(view: Callable) -> Callable:
        @wraps(view)
        def inner(*args: Any, **kwargs: Any) -> Any:
            if current_user().role not in allowed:
                denied("role", view.__name__)
                abort(403)
            return view(*args, **kwargs)
        inner.allowed_roles = allowed  # type: ignore[attr-defined]  (read by the tests)
        return inner
    return wrap


def require(*allowed: str) -> None:
    """Inside a view: 403 unless the user has one of these roles (logged)."""
    if current_user().role not in allowed:
        denied("role", request.endpoint or "")
        abort(403)


analyst_only = roles(ANALYST)
editors = roles(ANALYST, COUNCIL_ADMIN)
