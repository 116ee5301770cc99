"""chatsurvey: conversational well-being surveys for young people in care and care leavers.

``create_app`` builds the web application. Flask is imported only when it is
called, so the flow engine (``chatsurvey.engine``) can be used and tested
without any web, Redis or database library installed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: Mapping[str, Any] | None = None, *,
               require_services: bool = True) -> Flask:
    """Build the chatsurvey Flask application (see chatsurvey/app.py)."""
    from chatsurvey.app import create_app as _create_app

    return _create_app(config, require_services=require_services)
