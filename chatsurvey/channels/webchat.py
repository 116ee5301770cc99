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
    Flask,
    Response,
    current_app,
    make_response,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from .. import conversations
from ..conversations import NotFound, Outcome, encoded
from ..engine import QuickExit
from ..engine.catalogue import text_direction
from ..engine.inputs import COMMANDS
from ..extensions import db
from ..flowstore import flow_store
from ..i18n import page_text
from ..models import SurveyRound, Tenant, utcnow
from ..security import API_HEADERS, SecuredResponse, api_headers
from ..sessions import Busy, LockLost, sessions

HERE = Path(__file__).parent
STATIC = HERE.parent / "static" / "chat"
API = "/api/v1"

bp = Blueprint("webchat", __name__, static_folder=str(STATIC), static_url_path="/chat/static")

LINK = re.compile(r"[A-Za-z0-9_-]{1,32}")
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
AGE_BAND = re.compile(r"[0-9]{1,2}-[0-9]{1,2}")
INBOUND = ("text", "value", "command")
MAX_CHOICES = 50
MAX_VALUE_CHARS = 200
INT_LIMIT = 2**31
# Embedding sites: https anywhere; plain http only on this machine (development).
ORIGIN = re.compile(r"https://[a-z0-9.-]+(:[0-9]{1,5})?"
                    r"|http://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?")
PAGE_BG = "#f4f6f8"


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
    """Headers every web chat response carries; API answers are never cached anywhere."""
    if isinstance(response, SecuredResponse):
        return response  # built with API_HEADERS
    headers = response.headers
    if request.path.startswith(API + "/"):
        headers["Cache-Control"] = "no-store"
        for name, value in API_HEADERS:
            headers.setdefault(name, value)
        return response
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
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

def _hex(colour: Any) -> str | None:
    if isinstance(colour, str) and re.fullmatch(r"#[0-9a-fA-F]{6}", colour.strip()):
        return colour.strip().lower()
    if isinstance(colour, str) and re.fullmatch(r"#[0-9a-fA-F]{3}", colour.strip()):
        return "#" + "".join(c * 2 for c in colour.strip()[1:]).lower()
    return None


def luminance(colour: str) -> float:
    """WCAG relative luminance of a #rrggbb colour."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable_on(background: str, wanted: str | None = None) -> str:
    """The council's text colour if it can be read on ``background`` (AA), else black or white."""
    if wanted and contrast(background, wanted) >= 4.5:
        return wanted
    return max(("#ffffff", "#0b0c0c"), key=lambda c: contrast(background, c))


def ink(colour: str, background: str = PAGE_BG) -> str:
    """``colour``, darkened until it reads as text on the page background (AA)."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    for _ in range(40):
        shown = f"#{r:02x}{g:02x}{b:02x}"
        if contrast(shown, background) >= 4.5:
            return shown
        r, g, b = int(r * 0.9), int(g * 0.9), int(b * 0.9)
    return "#0b0c0c"


def theme_css(branding: dict) -> str:
    brand = _hex(branding.get("colour")) or current_app.config["WEB_DEFAULT_COLOUR"]
    on_brand = readable_on(brand, _hex(branding.get("text_colour")))
    return (f":root{{--brand:{brand};--on-brand:{on_brand};--brand-ink:{ink(brand)};"
            f"--page-bg:{PAGE_BG}}}\n")


def logo_url(branding: dict) -> str | None:
    """A logo the page's CSP lets it show: a path on this site or a small data: image."""
    url = branding.get("logo_url")
    if not isinstance(url, str):
        return None
    if url.startswith("/") and not url.startswith("//"):
        return url
    if re.match(r"data:image/(png|jpeg|gif|webp);base64,", url) and len(url) <= 20000:
        return url
    return None


def page_csp(tenant: Tenant | None) -> str:
    """No inline script or style, nothing from elsewhere; framed only by the council's sites."""
    ancestors = " ".join(frame_origins(tenant)) if tenant else ""
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; form-action 'none'; "
            "frame-ancestors " + (ancestors or "'none'"))


def _page(template: str, status: int, tenant: Tenant | None, **context: Any) -> Response:
    response = make_response(render_template(template, **context), status)
    response.headers["Content-Security-Policy"] = page_csp(tenant)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/s/<link>")
def chat_page(link: str) -> Response:
    """The chat page for one survey link (also what the widget's iframe shows)."""
    survey_round = find_round(link)
    lang = (request.args.get("lang") or "").strip()
    if survey_round is None:
        return _unavailable_page(None, 404, "not_found", "en")
    tenant = survey_round.tenant
    lang = lang if lang in offered_locales(survey_round) else default_locale(survey_round)
    problem = unavailable(survey_round)
    if problem:
        return _unavailable_page(tenant, problem.status, problem.code, lang, link)
    age = request.args.get("age")
    age = age if age and AGE_BAND.fullmatch(age) else None
    embed = request.args.get("embed") == "1"
    parent = (request.args.get("parent") or "").rstrip("/").lower()
    parent = parent if embed and parent in frame_origins(tenant) else None
    text = page_text(lang)
    config = {
        "api": f"{API}/surveys/{link}",
        "locale": lang if request.args.get("lang") == lang else None,
        "ageBand": age, "embed": embed, "parentOrigin": parent,
        "exitUrl": current_app.config["QUICK_EXIT_URL"], "uiLang": text.lang,
        "uiDir": text_direction(text.lang),
    }
    return _page("chat/page.html", 200, tenant, _=text, ui_lang=text.lang,
                 ui_dir=text_direction(text.lang), lang=lang,
                 dir=text_direction(lang), title=tenant.display_name, embed=embed,
                 logo=logo_url(tenant.branding or {}), config=config,
                 theme=url_for("webchat.theme", link=link))


def _unavailable_page(tenant: Tenant | None, status: int, code: str, lang: str,
                      link: str | None = None) -> Response:
    text = page_text(lang)
    theme = url_for("webchat.theme", link=link) if link else None
    return _page("chat/unavailable.html", status, tenant, _=text, ui_lang=text.lang,
                 ui_dir=text_direction(text.lang), lang=lang,
                 dir=text_direction(lang), code=code,
                 title=tenant.display_name if tenant else None, theme=theme,
                 exit_url=current_app.config["QUICK_EXIT_URL"])


@bp.get("/s/<link>/theme.css")
def theme(link: str) -> Response:
    """The council's colours as CSS custom properties (no inline styles under the CSP)."""
    survey_round = find_round(link)
    branding = (survey_round.tenant.branding or {}) if survey_round else {}
    response = Response(theme_css(branding), 200 if survey_round else 404, mimetype="text/css")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/widget.js")
def widget() -> Response:
    """The one script a council's site includes to offer the chat in a floating panel."""
    response = send_from_directory(STATIC, "widget.js",
                                   max_age=current_app.config["WEB_WIDGET_MAX_AGE"])
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
