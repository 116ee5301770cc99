"""Every setting chatsurvey reads, with its default and what it means.

Each can be set from the environment as ``CHATSURVEY_<NAME>`` (values are
read as JSON where they parse, so ``CHATSURVEY_SESSION_TTL_SMS=604800`` is a
number). ``DATABASE_URL`` and ``REDIS_URL`` are also read without the prefix.
Tests pass a mapping to ``create_app``, which wins over both.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

PROJECT_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = None
"""Signs cookies and tokens. Required unless TESTING or DEMO is on."""

TESTING = False
"""Flask's testing mode (set by the test suite)."""

DEMO = False
"""Set by `chatsurvey demo`: allows a generated SECRET_KEY and an embedded Redis."""

SQLALCHEMY_DATABASE_URI = "sqlite:///chatsurvey.db"
"""The response store. A relative SQLite path is inside the instance folder."""

SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
"""Check pooled connections before use, so a restarted database is not an error."""

REDIS_URL = None
"""Conversation sessions and job queues. None: only `chatsurvey demo` may start an
embedded Redis server; anything else refuses to start without one."""

FLOWS_DIR = str(PROJECT_DIR / "flows")
"""Where the built-in flows are read from."""

LOCALES_DIR = str(PROJECT_DIR / "locales")
"""Where gettext catalogues (`<locale>/LC_MESSAGES/flows.po`) are read from."""

TEXTS_DIR = str(Path(__file__).resolve().parent / "locales")
"""The service's own words (the chat page's buttons, the SMS keyword replies): gettext
catalogues shipped inside the package, so an installed service needs no source checkout."""

ENGINE_MAX_STEPS = 100
"""States one turn may visit without waiting for an answer (stops runaway flows)."""

ENGINE_MAX_TURNS = 500
"""Messages one conversation may take."""

ENGINE_MAX_INBOUND_CHARS = 2000
"""Inbound messages are cut to this length before they are read."""

ENGINE_MAX_ANSWER_CHARS = 1000
"""Longest free-text answer kept."""

SESSION_TTL_SMS = 7 * 24 * 3600
"""Seconds an SMS conversation may pause before it counts as abandoned (young people
answer over days)."""

SESSION_TTL_WEB = 2 * 3600
"""Seconds a web chat may sit idle before it counts as abandoned (shared devices)."""

SESSION_GRACE = 24 * 3600
"""Seconds an abandoned conversation is kept so the sweeper can store its answers."""

ENDED_TTL = 3600
"""Seconds the outcomes of a conversation's last messages are kept after it ends, so a
message sent again (Twilio's retry, the widget after a lost answer) is answered the same."""

ENCRYPTION_KEYS = None
"""Comma-separated Fernet keys for secrets at rest; the first encrypts. Default: derived
from SECRET_KEY (set this to rotate keys independently)."""

PHONE_HASH_KEY = None
"""Key for the hashes that find a sender's conversation. Default: derived from SECRET_KEY."""

JOBS_ASYNC = True
"""False runs background jobs at once, inside the request (for some tests only)."""

PUBLIC_BASE_URL = "http://127.0.0.1:5000"
"""Where young people reach this service: used to print survey links and QR codes."""

MAX_CONTENT_LENGTH = 64 * 1024
"""Largest request body accepted, in bytes; bigger ones get 413."""

PROXY_X_FOR = 0
"""Trusted reverse proxies setting X-Forwarded-For (0: not behind a proxy). Twilio signs the
public URL, so behind a proxy set these to the number of proxies in front of the app."""

PROXY_X_PROTO = 0
"""Trusted proxies setting X-Forwarded-Proto."""

PROXY_X_HOST = 0
"""Trusted proxies setting X-Forwarded-Host."""

PROXY_X_PREFIX = 0
"""Trusted proxies setting X-Forwarded-Prefix."""

# -- SMS channel (chatsurvey/channels/sms/, invitations) --

TWILIO_API_BASE_URL = None
"""Base URL of Twilio's REST API; None for Twilio itself (tests point it at a stand-in)."""

TIMEZONE = "Europe/London"
"""Local time for quiet hours."""

QUIET_HOURS = (21, 8)
"""No invitations or reminders from 21:00 until 08:00 local time."""

REMINDER_AFTER_HOURS = 48
"""A young person who started but stopped replying gets one reminder after this long."""

REMINDER_CHECK_MINUTES = 60
"""While a round is open, how often the reminder job looks for conversations gone quiet
(each look is one Redis read per invitation still waiting)."""

TWILIO_TIMEOUT_SECONDS = 10
"""A Twilio REST call that takes longer is abandoned and retried later, so one slow
request cannot hold up a whole round's invitations."""

SMS_NUMBER_CACHE_SECONDS = 30
"""Seconds each web process remembers which council a number belongs to (and its Twilio
credentials); a message whose signature fails is checked again against the database."""

PROVIDER_DELETE_AFTER = 120
"""Seconds after an SMS conversation ends before its thread is deleted at Twilio (Twilio
refuses to delete a message it is still processing, error 20009, for about a minute)."""

PROVIDER_DELETE_RETRY_INTERVALS = (60, 300, 900, 3600, 3600)
"""Seconds between tries of a deletion job that failed (Twilio down, busy or refusing)."""

PROVIDER_DELETE_LATER = 600
"""Seconds to wait before trying again to delete messages Twilio was still processing."""

SMS_FINISHED_AFTER_CLOSE = 30 * 24 * 3600
"""Seconds after a round closes to remember which (hashed) numbers finished it, so texting
again afterwards gets a thank-you instead of the survey a second time. The whole round's
markers go at once, at a midnight (UTC), so the moment says nothing about when anyone
finished."""

SMS_FLOOD_LIMIT = (15, 30)
"""(messages, seconds): what one number may text in a window and still be answered. Past it
each text gets no reply (each reply is on the council's bill) and is not read as an answer."""

SMS_FLOOD_CALM = 30
"""Seconds a number must stay quiet, once over SMS_FLOOD_LIMIT, before it is answered again."""

# -- web chat (chatsurvey/channels/web/, the widget) --

QUICK_EXIT_URL = "https://www.bbc.co.uk/weather"
"""Where the quick-exit button takes a young person: an ordinary, harmless page."""

WEB_DEFAULT_COLOUR = "#1d5d90"
"""Button colour for a council that has not chosen one (a calm blue that white text reads on)."""

WEB_LIMIT_START_PER_CLIENT = "5 per 10 seconds;60 per hour"
"""Conversations one client (an IP address) may start: enough for a few young people
behind one care home's connection starting together, too few to stuff the ballot box.
Flask-Limiter's notation; past it the API answers 429 with Retry-After."""

WEB_LIMIT_START_PER_LINK = "300 per hour"
"""Conversations one survey link may start, from all clients together. With
WEB_START_MAX_BYTES and the idle time plus grace (26 hours) it bounds the Redis memory
one link can take (300 x 26 x 4 KB, about 32 MB; a start really takes about 1.5 KB)."""

WEB_LIMIT_TURNS_PER_CONVERSATION = "30 per minute"
"""Messages one conversation may take: faster than anyone reads and taps. (How many
conversations a client may have is WEB_LIMIT_START_PER_CLIENT, so one check a turn does.)"""

WEB_LIMIT_LOOKUPS_PER_CLIENT = "60 per minute"
"""Look-ups of an earlier answer and quick exits from one client (each names a token, so
this is what holds back someone trying tokens at random)."""

WEB_LINK_CACHE_SECONDS = 30
"""Seconds each web process remembers a survey link's round and closing time, so a turn
needs no database query; a round closed early stops taking turns within this time."""

WEB_START_MAX_BYTES = 4096
"""The most Redis memory a web start may leave behind (its conversation record and its
stored answer), whatever the client sends; a test holds every start to it."""

RATELIMIT_ENABLED = True
"""Flask-Limiter's switch for the web API's limits (load tests may turn it off)."""

RATELIMIT_STRATEGY = "sliding-window-counter"
"""How Flask-Limiter counts: a window that slides, so a burst at a window's edge is counted."""

WEB_WIDGET_MAX_AGE = 3600
"""Seconds browsers may cache /widget.js: councils' pages load it on every view, and a fix
should still reach them within the hour."""

# -- storing responses (chatsurvey/responses/store.py, chatsurvey/sweeper.py) --

STORE_BATCH = 50
"""Most finished conversations a worker anonymises and stores in one transaction."""

STORE_HOLD = 1.0
"""Seconds a worker waits for a batch to fill before storing what it has (rows of one
batch go in shuffled, so their order says nothing about when each finished)."""

STORE_RETRY_SECONDS = 2.0
"""Seconds a worker waits before trying a batch again that could not be stored (the
database away). Its entries stay in the outbox meanwhile."""

STORE_CLAIM_AFTER = 15
"""Seconds a batch may stay unstored by the worker that took it before another worker
takes it over (the first one died). Storing is idempotent, so a slow worker that is
overtaken stores nothing twice."""

SWEEP_INTERVAL = 30
"""Seconds between sweeps: abandoned conversations closed, closed rounds' days forgotten."""

REQUIRE_REDIS_AOF = True
"""Refuse to serve (and fail /healthz) when Redis keeps no append-only file: conversations
in progress and finished ones not yet stored live only in Redis, and a restart without
AOF loses them all. Off only for the demo and the tests."""

RESPONSES_BURST_MIN = 20
"""Fewest complete responses on one day, one channel, for that day to be shown to analysts as
a possible burst of fake responses (chatsurvey/responses/bursts.py). Quieter days are never
shown on their own, so no one can watch a small group answer day by day."""

RESPONSES_BURST_FACTOR = 5
"""How many times the round's usual day (the median, on that channel) a day must reach to be
shown as a possible burst."""

# -- admin (chatsurvey/admin/, chatsurvey/security.py) --

ADMIN_SESSION_COOKIE = "__Host-chatsurvey-admin"
"""Name of the admin session cookie: a random id only (the session itself is in Redis).
The __Host- prefix makes browsers insist on Secure, Path=/ and no Domain."""

ADMIN_SESSION_COOKIE_SECURE = True
"""Send the admin cookie over HTTPS only. Browsers also accept it on http://localhost."""

ADMIN_SESSION_IDLE = 30 * 60
"""Seconds without a request after which an admin session ends (ASVS 7.3.1)."""

ADMIN_SESSION_ABSOLUTE = 12 * 3600
"""Seconds after signing in at which an admin session ends whatever happens (ASVS 7.3.2)."""

ADMIN_SESSION_ANONYMOUS = 3600
"""Seconds a not-yet-signed-in session (it holds only the form token) is kept."""

ADMIN_LOGIN_PENDING = 5 * 60
"""Seconds between a correct password and the TOTP code before the password is asked again."""

ADMIN_LOGIN_LIMIT_ACCOUNT = (10, 15 * 60)
"""(attempts, seconds): sign-in attempts allowed for one e-mail address per window."""

ADMIN_LOGIN_LIMIT_IP = (50, 15 * 60)
"""(attempts, seconds): sign-in attempts allowed from one IP address per window."""

ADMIN_TOTP_ISSUER = "chatsurvey"
"""The name authenticator apps show beside the account."""

ADMIN_PASSWORD_MIN = 12
"""Shortest password accepted (ASVS 6.2.1 asks 8 at least, 15 recommended)."""

ADMIN_PASSWORD_MAX = 256
"""Longest password accepted (ASVS 6.2.9: at least 64 must be allowed)."""

ADMIN_INVITE_TTL = 7 * 24 * 3600
"""Seconds an invitation link to the admin stays valid."""

ADMIN_HSTS_MAX_AGE = 365 * 24 * 3600
"""Strict-Transport-Security max-age in seconds (with includeSubDomains)."""

ADMIN_MAX_UPLOAD_BYTES = 2 * 1024 * 1024
"""Largest body the flow editor and the uploads (CSV of numbers, .po catalogues) accept;
every other request keeps MAX_CONTENT_LENGTH."""

ADMIN_PROGRAMME_MINIMUM = {"children": 150, "care_leavers": 100}
"""The programme's minimum eligible population for a meaningful survey: children in care
(the Your Life, Your Care bands together) and care leavers. Below it the round form warns."""

# -- reports (chatsurvey/reports/) --

REPORT_MIN_CELL = 10
"""Fewest answers behind any published percentage, chart bar, skip rate or quote (UK LLC and
ONS secure-research practice): below it a cell says "not enough answers" instead."""

REPORT_MIN_FLAG = 20
"""Fewest answers on the council's side (and on the comparison's) before a result may be
called a Bright Spot or an area for improvement; below it the interval is too wide to mean much."""

REPORT_SMALL_COUNT = 9
"""Counts from 1 up to this are never published; other cells are hidden too (secondary
suppression) so no total can give them away."""

REPORT_ROUND_TO = 5
"""Published counts below the council's own total are rounded to the nearest this (NHS Digital
practice), so tables cannot be differenced to single young people."""

REPORT_EXTREME_MIN = 20
"""A 0% or 100% (everyone gave the same answer) is only shown with at least this many answers;
on a smaller group it would tell anyone who knows a member what they said."""

REPORT_K_ANONYMITY = 10
"""Exports: every combination of age band, gender and placement type (and of any other
background answer kept) must be shared by at least this many young people."""

REPORT_MIN_ELIGIBLE = {"your-life-your-care": 150, "your-life-beyond-care": 100}
"""Programme minimum eligible population per survey (children in care; care leavers): below it
the report warns that results will be too thin to compare."""

REPORT_QUOTES_PER_QUESTION = 3
"""Most approved quotes shown per open question and age band (chosen the same way each time)."""

REPORT_POOL_MIN_COUNCILS = 3
"""A pooled figure (other councils together) is shown and compared only when at least this many
councils answered the question: with fewer, one council's report minus another's would show a
small council's answers."""

REPORT_POOL_MIN_ANSWERS = 50
"""...and only when the pool holds at least this many answers."""

REPORT_POOL_MAX_SHARE = 0.5
"""...and only when no one council gives more than this share of the pool's answers (the
dominance rule); otherwise the report says "not compared"."""

REPORT_GRACE_DAYS = 3
"""Days after a round closes during which late finishers (a conversation begun before closing,
or closed by the sweeper) are still stored. Then the round is sealed: nothing more is stored
into it, and its report's figures are final. Until then the report shows only the number who
answered, so two versions of the results can never be compared."""

REPORT_CATALOGUE = None
"""Path of the indicator catalogue; None: indicators.yaml in FLOWS_DIR."""

REPORT_QUASI_IDENTIFIERS = ["gender", "placement_type", "disability", "time_in_care",
                            "living_situation", "is_parent", "age_group"]
"""Background answers that could single a young person out when combined (reference §6.3).
Raw-data exports keep them (in this order of priority) only where every combination of them with
the age band is shared by at least REPORT_K_ANONYMITY young people; rarer answers are broadened
(REPORT_GENERALISE) or left blank."""

REPORT_GENERALISE = {"placement_type": {
    "foster_care": "family-based", "kinship_care": "family-based", "with_parents": "family-based",
    "residential": "other", "supported_accommodation": "other", "somewhere_else": "other"}}
"""Broader categories a raw-data export falls back to before dropping a background column."""


def _database_url(url: str) -> str:
    """Use the psycopg 3 driver for PostgreSQL URLs written without one."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class MissingSetting(RuntimeError):
    """A setting this use of chatsurvey needs is not set; the message says what to set."""

    @classmethod
    def secret_key(cls) -> MissingSetting:
        return cls("CHATSURVEY_SECRET_KEY is not set. Set it to a long random value "
                   "(python -c 'import secrets; print(secrets.token_urlsafe(48))').")

    @classmethod
    def redis_url(cls) -> MissingSetting:
        return cls("REDIS_URL is not set. Point it at a Redis server (redis://host:6379/0), "
                   "or run `chatsurvey demo`, which starts an embedded one.")


def load(app: Flask, overrides: Mapping[str, Any] | None, require_secret: bool = True) -> None:
    """The settings above, then the environment, then ``overrides`` (tests).

    Without ``require_secret`` (the command line), a missing SECRET_KEY stays
    None and the first thing that needs it raises MissingSetting.
    """
    app.config.from_object(__name__)
    for plain, name in (("DATABASE_URL", "SQLALCHEMY_DATABASE_URI"), ("REDIS_URL", "REDIS_URL")):
        if os.environ.get(plain):
            app.config[name] = os.environ[plain]
    app.config.from_prefixed_env("CHATSURVEY")
    if "CHATSURVEY_DATABASE_URL" in os.environ:
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["CHATSURVEY_DATABASE_URL"]
    if overrides:
        app.config.update(overrides)
    app.config["SQLALCHEMY_DATABASE_URI"] = _database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if not app.config.get("SECRET_KEY"):
        if app.config["TESTING"] or app.config["DEMO"]:
            app.config["SECRET_KEY"] = secrets.token_urlsafe(48)
        elif require_secret:
            raise MissingSetting.secret_key()
