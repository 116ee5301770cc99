"""App-wide browser security: CSRF on every unsafe request, security headers, rate limits.

* **CSRF** (ASVS 3.5.1): Flask-WTF's ``CSRFProtect`` checks a token on every POST,
  PUT, PATCH and DELETE in the app, so a new form is protected without anyone
  remembering to. Two blueprints opt out by name, because they have their own
  authentication and no cookies: ``sms`` (Twilio's signature) and ``webapi``
  (the web chat's JSON API: a bearer token in a header, JSON only). The token's secret lives in the
  server-side admin session (chatsurvey/accounts/logins.py).
* **Headers** (ASVS 3.4): every response gets HSTS, nosniff, a Referrer-Policy and a
  CSP that forbids framing, unless a blueprint already set its own: the chat page
  sets a CSP whose ``frame-ancestors`` lists the council's sites, and that is kept.
  Admin pages get the full strict CSP (no inline script or style). Chat API answers
  and Twilio's TwiML replies are built as `SecuredResponse`, with their whole header
  set worked out once per process (`API_HEADERS`, `PLAIN_HEADERS`), and the hooks
  pass them by: a chat turn is a few hundred
  microseconds, and checking each header twice per request was a visible part of it.
* **Rate limits** (ASVS 2.4.1, 6.3.1): a fixed-window counter in Redis,
  ``hit(name, key, limit, window)``; used for sign-in per account and per IP.

Redis keys: ``cs:rl:{name}:{sha256(key)[:24]}:{window number}``, an integer that
expires with its window. Keys are hashed so no e-mail address or IP sits in Redis.
"""

from __future__ import annotations

import hashlib
import time

from flask import Flask, Response, current_app, request
from flask_wtf.csrf import CSRFProtect

from chatsurvey.extensions import redis_client

csrf = CSRFProtect()

EXEMPT_BLUEPRINTS = ("sms", "webapi")
"""Blueprints with their own request authentication (Twilio signature, bearer token)."""

ADMIN_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
             "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
DEFAULT_CSP = "frame-ancestors 'none'"
LARGE_BODY_ENDPOINTS: set[str] = set()
"""Endpoints allowed ADMIN_MAX_UPLOAD_BYTES instead of MAX_CONTENT_LENGTH (the flow editor,
CSV and catalogue uploads); filled by the admin blueprint with `allow_large_body`."""


def allow_large_body(endpoint: str) -> None:
    """Let ``endpoint`` take a body up to ADMIN_MAX_UPLOAD_BYTES."""
    LARGE_BODY_ENDPOINTS.add(endpoint)


def _raise_body_limit() -> None:
    # Runs before CSRFProtect reads the form, so the bigger limit applies to that read too.
    if request.endpoint in LARGE_BODY_ENDPOINTS:
        request.max_content_length = current_app.config["ADMIN_MAX_UPLOAD_BYTES"]
        request.max_form_memory_size = current_app.config["ADMIN_MAX_UPLOAD_BYTES"]


class SecuredResponse(Response):
    """A response that carries every security header it needs from the start."""


API_HEADERS = (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"),
               ("Cache-Control", "no-store"),
               ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"))
"""What a JSON API answer carries besides HSTS: never cached, never framed, never sniffed."""
PLAIN_HEADERS = (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"),
                 ("Content-Security-Policy", DEFAULT_CSP))
"""What any other answer carries besides HSTS (an admin page gets ADMIN_CSP and more)."""


def hsts(app: Flask) -> str:
    return f"max-age={int(app.config['ADMIN_HSTS_MAX_AGE'])}; includeSubDomains"


def api_headers() -> list[tuple[str, str]]:
    """Every security header of a JSON API answer (a new list: the caller may add to it)."""
    return _with_hsts("chatsurvey.api_headers", API_HEADERS)


def plain_headers() -> list[tuple[str, str]]:
    """What ``_headers`` gives an answer outside the admin, for a `SecuredResponse` (TwiML)."""
    return _with_hsts("chatsurvey.plain_headers", PLAIN_HEADERS)


def _with_hsts(name: str, headers: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    found = current_app.extensions.get(name)
    if found is None:
        found = current_app.extensions[name] = (
            ("Strict-Transport-Security", hsts(current_app)), *headers)
    return list(found)


def _headers(response: Response) -> Response:
    """Security headers, never replacing one a blueprint set (the chat page's own CSP)."""
    if isinstance(response, SecuredResponse):
        return response
    headers = response.headers
    admin = request.blueprint == "admin" or request.path.startswith("/admin")
    for name, value in plain_headers():
        if name == "Content-Security-Policy" and admin:
            value = ADMIN_CSP
        headers.setdefault(name, value)
    if admin:
        headers.setdefault("Cache-Control", "no-store")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    return response


def init_app(app: Flask) -> None:
    """CSRF everywhere but the two self-authenticating blueprints; headers on every response."""
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the session
    app.config.setdefault("WTF_CSRF_SSL_STRICT", True)
    app.before_request(_raise_body_limit)
    csrf.init_app(app)
    for name in EXEMPT_BLUEPRINTS:
        blueprint = app.blueprints.get(name)
        if blueprint is None:
            raise RuntimeError(f"security.init_app must run after the {name} blueprint is"
                               " registered (channels.init_app)")
        csrf.exempt(blueprint)
    app.after_request(_headers)


# -- rate limits ------------------------------------------------------------------


def _key(name: str, key: str, window: int, now: float) -> str:
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
    return f"cs:rl:{name}:{digest}:{int(now // window)}"


def hit(name: str, key: str, limit: int, window: int, now: float | None = None) -> int | None:
    """Count one attempt; None if allowed, else the seconds until the window ends."""
    now = time.time() if now is None else now
    redis_key = _key(name, key, window, now)
    pipe = redis_client().pipeline()
    pipe.incr(redis_key)
    pipe.expire(redis_key, window + 1)
    count = pipe.execute()[0]
    if count > limit:
        return max(1, int(window - now % window))
    return None


def forgive(name: str, key: str, window: int, now: float) -> None:
    """Take back one `hit` made at ``now`` (an attempt that turned out to be allowed)."""
    redis_key = _key(name, key, window, now)
    pipe = redis_client().pipeline()
    pipe.decr(redis_key)
    pipe.expire(redis_key, window + 1)  # never a key without an end, even if it just expired
    pipe.execute()


def blocked(name: str, key: str, limit: int, window: int, now: float | None = None) -> int | None:
    """Like `hit` without counting: the seconds left if ``key`` is over its limit."""
    now = time.time() if now is None else now
    count = int(redis_client().get(_key(name, key, window, now)) or 0)
    return max(1, int(window - now % window)) if count >= limit else None
