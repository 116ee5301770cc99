"""Web chat: the JSON API under /api/v1/, the chat page (/s/<link>) and the widget (/widget.js).

The shape follows OWASP ASVS (shared/reference/reliability-security.md §4). The page may
be framed only by the council's own sites (CSP ``frame-ancestors``). It sets no cookies
and stores nothing: the conversation id is the young person's bearer token, held in
page memory and sent in an ``Authorization`` header, never in a URL, so a shared phone
keeps nothing. Every API path carries the survey link, which names the council, so a
token of another council's conversation is simply not found. A message id makes every
request safe to retry after a lost response; ids are namespaced by conversation, so no
one can read another conversation's replies by guessing one.

Routes and shapes are documented in ``openapi.yaml`` (served at /api/v1/openapi.json);
the tests check real requests and responses against it.
"""

from __future__ import annotations

import contextlib
import functools
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import yaml
from flask import (
    Blueprint,
    Response,
    current_app,
    request,
)
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from chatsurvey import conversations
from chatsurvey.columns import utcnow
from chatsurvey.conversations import NotFound, Outcome, encoded
from chatsurvey.conversations.keyspace import Busy, LockLost, sessions
from chatsurvey.engine import QuickExit
from chatsurvey.engine.inputs import COMMANDS
from chatsurvey.extensions import db
from chatsurvey.flows.store import flow_store
from chatsurvey.rounds.models import SurveyRound
from chatsurvey.security import API_HEADERS, SecuredResponse, api_headers

HERE = Path(__file__).parent
API = "/api/v1"

bp = Blueprint("webapi", __name__)

LINK = re.compile(r"[A-Za-z0-9_-]{1,32}")
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
AGE_BAND = re.compile(r"[0-9]{1,2}-[0-9]{1,2}")
INBOUND = ("text", "value", "command")
MAX_CHOICES = 50
MAX_VALUE_CHARS = 200
INT_LIMIT = 2**31


class ApiError(Exception):
    """An API answer other than success: status, a stable code, and words for a developer."""

    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


def json_response(data: Any, status: int = 200, headers: dict | None = None) -> Response:
    return json_text_response(encoded(data), status, headers)


def json_text_response(body: str, status: int = 200, headers: dict | None = None) -> Response:
    """An API answer from JSON already encoded (a turn's outcome is encoded once)."""
    return SecuredResponse(body, status, api_headers() + list((headers or {}).items()),
                           content_type="application/json; charset=utf-8")


def _error(status: int, code: str, message: str, headers: dict | None = None) -> Response:
    return json_response({"error": {"code": code, "message": message}}, status, headers)


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return _error(exc.status, exc.code, exc.message, exc.headers)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> Response:
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    return _error(413, "too_large", f"The request body is larger than {limit} bytes.")


@bp.errorhandler(NotFound)
def _not_found(exc: NotFound) -> Response:
    return _error(404, "not_found", "There is no such conversation: it has finished, "
                  "timed out, or belongs to another survey.")


@bp.errorhandler(Busy)
@bp.errorhandler(LockLost)
def _busy(exc: Exception) -> Response:
    return _error(503, "busy", "The conversation is busy with another message. "
                  "Send the same message again (same message_id) in a moment.",
                  {"Retry-After": "1"})


@bp.after_request
def _security_headers(response: Response) -> Response:
    """Every API answer carries the API headers and is never cached anywhere."""
    if isinstance(response, SecuredResponse):
        return response  # built with API_HEADERS
    response.headers["Cache-Control"] = "no-store"
    for name, value in API_HEADERS:
        response.headers.setdefault(name, value)
    return response


# -- survey links and councils --

def find_round(link: str) -> SurveyRound | None:
    if not LINK.fullmatch(link):
        return None
    return db.session.scalars(select(SurveyRound).where(SurveyRound.link == link)).first()


def unavailable(survey_round: SurveyRound, now: datetime | None = None) -> ApiError | None:
    """Why a round cannot start a web conversation now, if it cannot."""
    now = now or utcnow()
    if "web" not in (survey_round.channels or ()):
        return ApiError(403, "web_not_offered", "This survey is not offered as a web chat.")
    if now < survey_round.opens_at:
        return ApiError(403, "survey_not_open", "This survey has not started yet.")
    if not survey_round.is_open(now):
        return ApiError(410, "survey_closed", "This survey has closed. Thank you for "
                        "wanting to take part.")
    return None


def _round_or_404(link: str) -> SurveyRound:
    found = find_round(link)
    if found is None:
        raise ApiError(404, "not_found", "There is no survey at this link.")
    return found


def _tenant_id_or_404(link: str) -> int:
    """The council a link belongs to, without a database query on every turn.

    A link never moves to another council, so a found link is remembered for the
    life of the process; unknown links are asked every time (they may be new).
    """
    known = current_app.extensions.setdefault("chatsurvey.link_tenants", {})
    tenant_id = known.get(link)
    if tenant_id is None:
        tenant_id = _round_or_404(link).tenant_id
        if len(known) > 10_000:
            known.clear()
        known[link] = tenant_id
    return tenant_id


def offered_locales(survey_round: SurveyRound) -> list[str]:
    """Languages the council offers that this round's flow is written in."""
    version = survey_round.flow_version
    flow_locales = flow_store().get(version.flow_id, version.version).locales
    return [loc for loc in survey_round.tenant.offered_locales() if loc in flow_locales]


def default_locale(survey_round: SurveyRound) -> str:
    version = survey_round.flow_version
    flow = flow_store().get(version.flow_id, version.version)
    return conversations.choose_locale(survey_round.tenant, flow.locales, None)




# -- the JSON API --

def _token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not TOKEN.fullmatch(token):
        raise ApiError(401, "unauthorized", "Send the conversation token as "
                       "'Authorization: Bearer <token>'.",
                       {"WWW-Authenticate": 'Bearer realm="chatsurvey"'})
    return token


def _body(allowed: tuple[str, ...]) -> dict:
    """The request's JSON object, refusing anything else with a reason a developer can act on."""
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type",
                       "Send a JSON body with 'Content-Type: application/json'.")
    raw = request.get_data(cache=False)  # raises 413 past MAX_CONTENT_LENGTH
    try:  # orjson refuses what JSON does not allow: NaN, lone surrogates, bad UTF-8
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ApiError(400, "bad_request", "The body is not valid UTF-8 JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "The body must be a JSON object.")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise ApiError(400, "bad_request", f"Unknown field: {unknown[0]}.")
    return body


def _message_id(value: Any) -> str:
    if not isinstance(value, str) or not MESSAGE_ID.fullmatch(value):
        raise ApiError(400, "bad_request", "message_id is required: 16 to 64 letters, digits, "
                       "'-' or '_', new for each message (a random id).")
    return value


def _inbound(body: dict) -> Any:
    """What the young person sent, in the form `conversations.reply` takes."""
    given = [k for k in INBOUND if k in body]
    if len(given) != 1:
        raise ApiError(400, "bad_request", "Send exactly one of text, value or command.")
    kind, value = given[0], body[given[0]]
    if kind == "text":
        if not isinstance(value, str):
            raise ApiError(400, "bad_request", "text must be a string.")
        return value
    if kind == "command":
        if value not in COMMANDS:
            raise ApiError(400, "bad_request", f"command must be one of {', '.join(COMMANDS)}.")
        return {"command": value}
    if not _valid_value(value):
        raise ApiError(400, "bad_request", "value must be a string, a whole number, or a list "
                       f"of at most {MAX_CHOICES} strings (each at most {MAX_VALUE_CHARS} "
                       "characters).")
    return {"value": int(value) if isinstance(value, float) else value}


def _valid_value(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return -INT_LIMIT <= value < INT_LIMIT
    if isinstance(value, str):
        return len(value) <= MAX_VALUE_CHARS
    return (isinstance(value, list) and len(value) <= MAX_CHOICES
            and all(isinstance(v, str) and len(v) <= MAX_VALUE_CHARS for v in value))


def _optional(body: dict, name: str, pattern: re.Pattern, offered: list[str] | None = None):
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ApiError(400, "bad_request", f"{name} is not valid.")
    if offered is not None and value not in offered:
        raise ApiError(400, "bad_request", f"{name} {value!r} is not offered for this survey "
                       f"(offered: {', '.join(offered)}).")
    return value


def start_key(message_id: str) -> str:
    return f"web:start:{message_id}"


def message_key(token: str, message_id: str) -> str:
    return f"web:{token}:{message_id}"


@bp.post(f"{API}/surveys/<link>/conversations")
def start_conversation(link: str) -> Response:
    """Start a conversation; a replayed message_id returns the same conversation."""
    survey_round = _round_or_404(link)
    problem = unavailable(survey_round)
    if problem:
        raise problem
    body = _body(("message_id", "locale", "age_band"))
    key = start_key(_message_id(body.get("message_id")))
    locale = _optional(body, "locale", re.compile(r"[a-z]{2,3}"), offered_locales(survey_round))
    age_band = _optional(body, "age_band", AGE_BAND)
    stored = sessions().outcome(survey_round.tenant_id, key)
    if stored is not None:
        outcome: Outcome | None = Outcome.load(stored)
    else:
        outcome = conversations.begin(survey_round, "web", locale=locale, age_band=age_band,
                                      message_id=key)
    if outcome is None:  # only an SMS sender can lose a start race; never expected here
        raise ApiError(503, "busy", "Please try again.", {"Retry-After": "1"})
    return json_text_response(outcome.dump(), 201)  # conversation, status, replies


@bp.post(f"{API}/surveys/<link>/conversation/messages")
def send_message(link: str) -> Response:
    """One message from the young person; the same message_id again changes nothing."""
    tenant_id = _tenant_id_or_404(link)
    token = _token()
    body = _body(("message_id", *INBOUND))
    message_id = _message_id(body.get("message_id"))
    outcome = conversations.reply(token, tenant_id, message_key(token, message_id),
                                  _inbound(body))
    return json_text_response(outcome.turn_json())


@bp.get(f"{API}/surveys/<link>/conversation")
def get_conversation(link: str) -> Response:
    """What one earlier message of this conversation produced (after a lost response).

    The engine cannot re-render a question, so this returns the stored outcome of a
    message id the client sent (its start or any later message), for DEDUP_TTL.
    """
    survey_round = _round_or_404(link)
    token = _token()
    message_id = _message_id(request.args.get("message_id"))
    store = sessions()
    for key in (message_key(token, message_id), start_key(message_id)):
        stored = store.outcome(survey_round.tenant_id, key)
        if stored is not None:
            outcome = Outcome.load(stored)
            if outcome.conversation == token:
                return json_text_response(outcome.turn_json())
    raise ApiError(404, "not_found", "This conversation has no message with that id (or it "
                   "was too long ago).")


@bp.post(f"{API}/surveys/<link>/conversation/exit")
def exit_conversation(link: str) -> Response:
    """Quick exit: end the conversation, keeping consented answers. Always 200 for a token.

    The same answer whether or not the conversation existed, so it reveals nothing.
    """
    survey_round = _round_or_404(link)
    token = _token()
    with contextlib.suppress(NotFound):
        conversations.close(token, survey_round.tenant_id, QuickExit())
    return json_response({"status": "closed"})


@bp.route(f"{API}/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def api_not_found(rest: str) -> Response:
    raise ApiError(404, "not_found", "There is no such API path. See /api/v1/openapi.json.")


@functools.cache
def openapi_document() -> dict:
    return yaml.safe_load((HERE / "openapi.yaml").read_text("utf-8"))


@bp.get(f"{API}/openapi.json")
def openapi() -> Response:
    return json_response(openapi_document())


# -- the chat page, its colours, and the widget --


























