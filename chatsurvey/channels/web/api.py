"""Web chat: the JSON API under /api/v1/, the chat page (/s/<link>) and the widget (/widget.js).

The shape follows OWASP ASVS (shared/reference/reliability-security.md §4). The page may
be framed only by the council's own sites (CSP ``frame-ancestors``). It sets no cookies
and stores nothing: the conversation id is the young person's bearer token, held in
page memory and sent in an ``Authorization`` header, never in a URL, so a shared phone
keeps nothing. Every API path carries the survey link, and a token works only on the
link (the round) its conversation was started on, and only while that round is open:
on any other link it is simply not found. A message id makes every request safe to
retry after a lost response; ids are namespaced by round and conversation, so no one
can read another conversation's replies by guessing one.

A start is replayed only to the client that made it: the start carries a
``start_secret`` the client keeps in memory, and the conversation's id is made from
the message id *and* that secret with the service's key. Someone who learns a start's
message id (it may sit in a log) and sends it again starts a conversation of their
own; the client whose answer was lost sends the same id and secret and gets its
conversation back.

Redis away: 503 with Retry-After, in JSON like every other answer.

Abuse: rate limits per client, per link and per conversation (limits.py) answer 429.

Routes and shapes are documented in ``openapi.yaml`` (served at /api/v1/openapi.json);
the tests check real requests and responses against it.
"""

from __future__ import annotations

import contextlib
import functools
import re
import time
from dataclasses import dataclass
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
from flask_limiter import RateLimitExceeded
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from chatsurvey import conversations
from chatsurvey.channels.web.limits import (
    conversation_key,
    limiter,
    link_key,
    retry_after,
    setting,
)
from chatsurvey.columns import utcnow
from chatsurvey.conversations import NotFound
from chatsurvey.conversations.keyspace import Busy
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
    return SecuredResponse(orjson.dumps(data), status,
                           api_headers() + list((headers or {}).items()),
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


@bp.errorhandler(RateLimitExceeded)
def _rate_limited(exc: RateLimitExceeded) -> Response:
    wait = retry_after()
    return _error(429, "rate_limited", f"Too many requests from here. Wait {wait} seconds and "
                  "try again.", {"Retry-After": str(wait)})


@bp.errorhandler(Busy)
def _busy(exc: Exception) -> Response:
    return _error(503, "busy", "The conversation is busy with another message. "
                  "Send the same message again (same message_id) in a moment.",
                  {"Retry-After": "1"})


@bp.errorhandler(RedisConnectionError)
@bp.errorhandler(RedisTimeoutError)
def _redis_away(exc: Exception) -> Response:
    current_app.logger.error("web api: Redis unavailable (503): %s", type(exc).__name__)
    return _error(503, "unavailable", "The service is unavailable for a moment. Send the "
                  "same request again (same message_id) in a few seconds.",
                  {"Retry-After": "5"})


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


@dataclass(frozen=True)
class Link:
    """What a turn needs to know of a survey link: its council, its round, when it closes."""

    tenant_id: int
    round_id: int
    closes_at: datetime
    known_until: float

    def refuse_if_closed(self) -> None:
        if utcnow() >= self.closes_at:
            raise ApiError(410, "survey_closed", "This survey has closed. Thank you for "
                           "taking part.")


def _link_or_404(link: str) -> Link:
    """The round behind a link, without a database query on every turn.

    A link never moves to another round, but its round's closing date may be
    edited, so a found link is remembered for WEB_LINK_CACHE_SECONDS; unknown
    links are asked every time (they may be new).
    """
    known = current_app.extensions.setdefault("chatsurvey.web_links", {})
    found = known.get(link)
    if found is None or found.known_until < time.monotonic():
        survey_round = _round_or_404(link)
        found = Link(survey_round.tenant_id, survey_round.id, survey_round.closes_at,
                     time.monotonic() + current_app.config["WEB_LINK_CACHE_SECONDS"])
        if len(known) > 10_000:
            known.clear()
        known[link] = found
    return found


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


@bp.post(f"{API}/surveys/<link>/conversations")
@limiter.limit(setting("WEB_LIMIT_START_PER_CLIENT"))
@limiter.limit(setting("WEB_LIMIT_START_PER_LINK"), key_func=link_key)
def start_conversation(link: str) -> Response:
    """Start a conversation; the same message_id and start_secret again return it."""
    survey_round = _round_or_404(link)
    problem = unavailable(survey_round)
    if problem:
        raise problem
    body = _body(("message_id", "start_secret", "locale", "age_band"))
    message_id = _message_id(body.get("message_id"))
    secret = _optional(body, "start_secret", MESSAGE_ID)
    locale = _optional(body, "locale", re.compile(r"[a-z]{2,3}"), offered_locales(survey_round))
    age_band = _optional(body, "age_band", AGE_BAND)
    # Without a secret a start cannot be replayed at all (each request starts afresh),
    # so knowing a message id is never enough to be handed a conversation.
    cid = conversations.start_token(survey_round.id, message_id, secret) if secret else None
    try:
        outcome = conversations.begin(survey_round, "web", locale=locale, age_band=age_band,
                                      message_id=message_id, cid=cid)
    except NotFound:
        raise ApiError(409, "start_used", "This start was used and its conversation has "
                       "moved on. Start again with a new message_id.") from None
    if outcome is None:  # only an SMS sender can lose a start race; never expected here
        raise ApiError(503, "busy", "Please try again.", {"Retry-After": "1"})
    return json_response(outcome.as_dict(), 201)  # conversation, status, replies


@bp.post(f"{API}/surveys/<link>/conversation/messages")
@limiter.limit(setting("WEB_LIMIT_TURNS_PER_CONVERSATION"), key_func=conversation_key)
def send_message(link: str) -> Response:
    """One message from the young person; the same message_id again changes nothing."""
    found = _link_or_404(link)
    token = _token()
    found.refuse_if_closed()
    body = _body(("message_id", *INBOUND))
    message_id = _message_id(body.get("message_id"))
    outcome = conversations.reply(token, found.tenant_id, message_id, _inbound(body),
                                  round_id=found.round_id)
    return json_response(outcome.turn_dict())


@bp.get(f"{API}/surveys/<link>/conversation")
@limiter.limit(setting("WEB_LIMIT_LOOKUPS_PER_CLIENT"))
def get_conversation(link: str) -> Response:
    """What one earlier message of this conversation produced (after a lost response).

    The engine cannot re-render a question, so this returns the stored outcome of a
    message the client sent after its start: the last one in full (a few before it
    answer with no replies), until ENDED_TTL after the day the conversation ended.
    (A lost start is sent again with its message id and start secret.)
    """
    found = _link_or_404(link)
    token = _token()
    message_id = _message_id(request.args.get("message_id"))
    outcome = conversations.replayed(token, found.tenant_id, message_id, found.round_id)
    if outcome is not None:
        return json_response(outcome.turn_dict())
    raise ApiError(404, "not_found", "This conversation has no message with that id (or it "
                   "was too long ago).")


@bp.post(f"{API}/surveys/<link>/conversation/exit")
@limiter.limit(setting("WEB_LIMIT_LOOKUPS_PER_CLIENT"))
def exit_conversation(link: str) -> Response:
    """Quick exit: end the conversation, keeping consented answers. Always 200 for a token.

    The same answer whether or not the conversation existed (or belongs to this
    link), so it reveals nothing; it works after the round has closed too.
    """
    found = _link_or_404(link)
    token = _token()
    with contextlib.suppress(NotFound):
        conversations.close(token, found.tenant_id, QuickExit(), round_id=found.round_id)
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


























