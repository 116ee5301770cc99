"""The web admin at /admin: server-rendered pages for programme analysts and council staff.

One blueprint, one module per area (the file names say which); every page
goes through templates/admin/base.html. Who may do what:

* programme analyst — every council: councils, users, flows (anything, core
  questions too), translations, rounds, invitations, paper entry, comments review;
* council admin — their own council: rounds, invitations, paper entry, users of
  the council, and its local questions (local.py; the flows are the programme's);
* council viewer — their own council, read only: rounds and their response rates.

Anything a council owns is loaded through ``scoping.for_tenant`` (404 otherwise).

Views only: a change goes through its domain's actions. May import: the domains
(actions and models), reports, flows, the engine (previews), conversations (the
simulator, nothing stored), security, extensions. Never a channel, the command
line or `workers`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, g, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException

from chatsurvey import security
from chatsurvey.accounts import logins

# The views register their routes on the blueprint as they are imported.
from chatsurvey.admin import (  # noqa: F401
    audit,
    auth,
    bursts,
    comments,
    flowmap,
    flows,
    invitations,
    local,
    local_form,
    paper,
    rates,
    reports,
    rounds,
    simulator,
    tenants,
    translations,
    users,
)
from chatsurvey.admin.blueprint import PUBLIC, bp, current_user
from chatsurvey.admin.scoping import scope
from chatsurvey.councils.models import Tenant
from chatsurvey.extensions import db
from chatsurvey.responses.models import Comment
from chatsurvey.rounds.models import SurveyRound

PUBLIC.add("admin.static")

MESSAGES = {
    400: ("Something in the form was not right", "Go back, check the form and try again."),
    401: ("Please sign in", "Your session has ended. Sign in again to carry on."),
    403: ("You cannot do this", "Your role does not allow this. Ask a programme analyst if you"
          " need it."),
    404: ("Page not found", "There is nothing here, or it belongs to another council."),
    405: ("Not allowed", "This address cannot be used like that."),
    413: ("That file is too big", "Split it into smaller files and upload each."),
    429: ("Too many attempts", "Wait a few minutes and try again."),
}


@bp.get("/")
def home():
    """The start page: what needs doing."""
    user = current_user()
    recent = db.session.scalars(scope(select(SurveyRound), SurveyRound)
                                .order_by(SurveyRound.opens_at.desc()).limit(10)).all()
    pending = flagged = 0
    if user.is_analyst:
        pending = db.session.scalar(select(func.count()).where(Comment.status == "pending"))
        flagged = db.session.scalar(select(func.count()).where(
            Comment.status == "pending", Comment.flagged.is_(True)))
    councils = db.session.scalar(select(func.count(Tenant.id))) if user.is_analyst else None
    return render_template("admin/home.html", rounds=recent, pending=pending, flagged=flagged,
                           councils=councils)


def _error_page(status: int, title: str | None = None,
                text: str | None = None) -> ResponseReturnValue:
    default_title, default_text = MESSAGES.get(status, ("Something went wrong", ""))
    return render_template("admin/error.html", status=status, title=title or default_title,
                           text=text or default_text), status


@bp.app_errorhandler(CSRFError)
def _csrf_error(exc: CSRFError) -> ResponseReturnValue:
    if request.path.startswith("/admin"):
        return _error_page(400, "This form has expired",
                           "For your safety, forms stop working after a while or when you sign "
                           "in again. Go back, reload the page and send the form again.")
    return exc.description or "Bad request", 400


def _admin_http_error(exc: HTTPException) -> ResponseReturnValue:
    if isinstance(exc, CSRFError):  # the blueprint's 400 handler is found before the app's
        return _csrf_error(exc)
    if request.accept_mimetypes.best == "application/json" and request.path.startswith(
            "/admin") and request.method == "POST":
        return {"error": MESSAGES.get(exc.code or 500, ("Error", ""))[0]}, exc.code or 500
    return _error_page(exc.code or 500)


for _code in (400, 401, 403, 404, 405, 413, 429):
    bp.register_error_handler(_code, _admin_http_error)


def _timestamp(epoch: float | None) -> str:
    """Seconds since the epoch as "23 Nov 2026, 12:54 UTC" (the sessions lists)."""
    if not epoch:
        return "–"
    return datetime.fromtimestamp(epoch, UTC).strftime("%-d %b %Y, %H:%M UTC")


def init_app(app: Flask) -> None:
    """Server-side sessions, the admin pages, and their error pages."""
    logins.init_app(app)
    for endpoint in ("admin.flow_edit", "admin.flow_check", "admin.flow_publish",
                     "admin.simulate", "admin.round_invitations", "admin.translation_upload",
                     "admin.tenant_logo"):
        security.allow_large_body(endpoint)
    app.register_blueprint(bp)

    app.add_template_filter(_timestamp, "timestamp")

    @app.context_processor
    def _admin_globals():
        if not request.path.startswith("/admin"):
            return {}
        return {"user": g.get("user")}
