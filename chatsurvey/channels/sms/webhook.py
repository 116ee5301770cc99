"""SMS through Twilio: `POST /sms/inbound`, answered in TwiML.

Order matters, and each step is cheap so Twilio gets its answer fast:

1. The form must carry From, To, MessageSid and Body (else 400; too big: 413).
2. The council is the one that owns the `To` number (unknown: 404, nothing kept).
3. The signature must be Twilio's, made with *that council's* auth token over
   the public URL (`request.url`, behind a proxy thanks to ProxyFix from
   PROXY_X_*); otherwise 403 and nothing is kept.
4. Opt-out words (one word on its own, any case, as Twilio reads them) end the
   conversation and discard its answers, and put the sender on the council's
   opt-out list; HELP answers with the council's help text.
5. Anything else is a turn of the sender's conversation, found by a keyed hash
   of the number, or starts one on an open round.

The sender's number is hashed at once and never kept or logged; logs name the
council and the MessageSid only.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, request
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from twilio.request_validator import RequestValidator, compare
from twilio.twiml.messaging_response import MessagingResponse

from chatsurvey import conversations, texts
from chatsurvey.channels.sms import throttle
from chatsurvey.conversations import Outcome
from chatsurvey.conversations.keyspace import Busy, pointer_key, sessions
from chatsurvey.councils.models import SmsNumber, Tenant
from chatsurvey.crypto import crypto, normalise_number
from chatsurvey.extensions import db
from chatsurvey.invitations.models import Invitation, OptOut
from chatsurvey.rounds.models import SurveyRound
from chatsurvey.security import SecuredResponse, plain_headers
from chatsurvey.texts import sms_text

bp = Blueprint("sms", __name__)
log = logging.getLogger(__name__)

REQUIRED = ("From", "To", "MessageSid", "Body")
_SID = re.compile(r"^[A-Za-z0-9]{2,64}$")
_STRIP = " \t\r\n.,!?;:'\"()[]{}*_~"
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")
MAX_MESSAGE = 1600
"""Twilio refuses a longer body; longer turns are split between replies."""

# Single words, as Twilio reads them. Twilio itself knows only the English ones
# (and answers them itself); the Welsh and Gaelic ones are ours, so we confirm them.
STOP_WORDS = {"en": ("stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke",
                     "optout"),
              "cy": ("stopio",), "gd": ("stad", "sguir")}
START_WORDS = {"en": ("start", "yes", "unstop"), "cy": ("dechrau",),
               "gd": ("tòisich", "toisich")}
HELP_WORDS = {"en": ("help", "info"), "cy": ("cymorth",), "gd": ("cuideachadh",)}
TWILIO_STOP = frozenset(STOP_WORDS["en"])

def single_word(body: str) -> str:
    """The message as one lower-case word ("" if it is more than one word)."""
    text = unicodedata.normalize("NFKC", body).strip(_STRIP).casefold()
    return "" if not text or any(ch.isspace() for ch in text) else text


def keyword(body: str) -> tuple[str | None, str | None]:
    """(stop | start | help, the word's language) if the message is one of those words."""
    word = single_word(body)
    for kind, table in (("stop", STOP_WORDS), ("start", START_WORDS), ("help", HELP_WORDS)):
        for locale, words in table.items():
            if word in words:
                return kind, locale
    return None, None


def twiml(texts: list[str] | tuple[str, ...] = (), status: int = 200) -> Response:
    """One <Message> per turn (fewer texts, always in order), split only past Twilio's limit."""
    response = MessagingResponse()
    current = ""
    for text in (t for t in texts if t):
        if current and len(current) + 2 + len(text) > MAX_MESSAGE:
            response.message(current)
            current = ""
        current = f"{current}\n\n{text}" if current else text
    if current:
        response.message(current)
    return SecuredResponse(str(response), status, plain_headers(), mimetype="text/xml")


def reply_texts(outcome: Outcome) -> list[str]:
    return [r["text"] for r in outcome.replies if r.get("text")]


class CouncilByNumber:
    """The council behind one of our numbers, as a turn in progress needs it.

    A turn needs only the council's id and Twilio credentials, so those are kept
    per process for SMS_NUMBER_CACHE_SECONDS; anything else (help text, languages)
    loads the council's row on first use, as if this were the row itself.
    """

    def __init__(self, tenant_id: int, slug: str, token: str | None, account: str | None,
                 expires: float) -> None:
        self.id, self.slug, self.expires = tenant_id, slug, expires
        self.twilio_auth_token, self.twilio_account_sid = token, account
        self._row: Tenant | None = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._row is None:
            self._row = db.session.get(Tenant, self.id)
        return getattr(self._row, name)


def _number_cache() -> dict[str, tuple]:
    """`To` number -> (tenant id, slug, auth token, account SID, expiry), per process."""
    return current_app.extensions.setdefault("chatsurvey.sms_numbers", {})


def tenant_for(to: str, fresh: bool = False) -> CouncilByNumber | None:
    """The council a message was sent to, by the `To` number (None: not one of ours)."""
    cache = _number_cache()
    known = None if fresh else cache.get(to)
    if known is not None and known[-1] > time.monotonic():
        return CouncilByNumber(*known)  # a new one each request: its row belongs to one session
    try:
        number = normalise_number(to)
    except ValueError:
        return None
    row = db.session.scalars(select(SmsNumber).where(SmsNumber.number == number)).first()
    if row is None:
        cache.pop(to, None)
        return None
    tenant = row.tenant
    known = (tenant.id, tenant.slug, tenant.twilio_auth_token, tenant.twilio_account_sid,
             time.monotonic() + current_app.config["SMS_NUMBER_CACHE_SECONDS"])
    if len(cache) > 1000:
        cache.clear()
    cache[to] = known
    found = CouncilByNumber(*known)
    found._row = tenant
    return found


def signed(tenant: Tenant | CouncilByNumber) -> bool:
    """Did Twilio sign this request with the council's own auth token?"""
    token = tenant.twilio_auth_token
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    account = request.form.get("AccountSid")
    if account and tenant.twilio_account_sid and account != tenant.twilio_account_sid:
        return False
    validator = RequestValidator(token)
    url, form = request.url, request.form
    # validate() signs the URL with and without its port and compares both; the URL as
    # received is one of the two, and the one Twilio signs nearly always: try it alone first.
    return (compare(validator.compute_signature(url, form), signature)
            or validator.validate(url, form, signature))


def phone_hash(sender: str) -> str:
    """The keyed hash a sender is known by (Twilio sends E.164; anything else as given)."""
    if _E164.fullmatch(sender):  # already what normalise_number would make of it
        return crypto().phone_hash(sender)
    try:
        number = normalise_number(sender)
    except ValueError:
        number = sender.strip()
    return crypto().phone_hash(number)


@bp.post("/sms/inbound")
def inbound() -> Response:
    """200 with TwiML; 400 malformed, 404 not our number, 403 not signed, 503 busy or
    Redis away (nothing was kept: Twilio sends it again if the webhook URL asks for
    retries, see docs/deploying.md)."""
    form = request.form  # a body over MAX_CONTENT_LENGTH stops here with 413
    if any(name not in form for name in REQUIRED) or not _SID.match(form["MessageSid"]):
        return twiml(status=400)
    sid = form["MessageSid"]
    tenant = tenant_for(form["To"])
    if tenant is None:
        log.info("sms inbound %s: not one of our numbers", sid)
        return twiml(status=404)
    if not signed(tenant):
        slug = tenant.slug
        tenant = tenant_for(form["To"], fresh=True)  # the council may have just changed its token
        if tenant is None or not signed(tenant):
            log.warning("sms inbound %s %s: signature does not match (403)", slug, sid)
            return twiml(status=403)
    try:
        texts, what = handle(tenant, sid, phone_hash(form["From"]), form["Body"])
    except Busy:
        log.warning("sms inbound %s %s: conversation busy (503, Twilio may retry)",
                    tenant.slug, sid)
        return _unavailable(1)
    except (RedisConnectionError, RedisTimeoutError):
        log.error("sms inbound %s %s: Redis unavailable (503, Twilio may retry)",
                  tenant.slug, sid)
        return _unavailable(5)
    log.info("sms inbound %s %s: %s", tenant.slug, sid, what)
    return twiml(texts)


def _unavailable(seconds: int) -> Response:
    response = twiml(status=503)
    response.headers["Retry-After"] = str(seconds)
    return response


def handle(tenant: Tenant, sid: str, phone: str, body: str) -> tuple[list[str], str]:
    """The texts to answer with, and a word for the log."""
    kind, locale = keyword(body)
    if kind == "stop":
        return stop(tenant, sid, phone, body, locale), "opted out"
    if throttle.flooding(tenant.id, phone):
        return [], "flooding: not answered"
    if kind == "help":
        return [tenant.help_text or sms_text(tenant, texts.HELP, None if locale == "en" else locale)
                ], "help"
    if kind == "start":
        opt_in(tenant, phone)
    return converse(tenant, sid, phone, body)


def stop(tenant: Tenant, sid: str, phone: str, body: str, locale: str | None) -> list[str]:
    """End the conversation (the engine withdraws it: nothing kept) and remember the opt-out.

    Twilio answers its own STOP words and blocks our reply, so those get empty
    TwiML; a word only we know (Welsh, Gaelic, or STOP with punctuation) gets
    our confirmation.
    """
    opt_out(tenant, phone)  # first: if Redis is away (503), the opt-out still holds
    outcome = conversations.reply_to_sender(pointer_key(tenant.id, phone), tenant.id, sid,
                                            "stop")
    if outcome is not None and outcome.status != "withdrawn" and not outcome.replayed:
        log.error("sms %s %s: STOP left the conversation %s", tenant.slug, sid, outcome.status)
    if body.strip().casefold() in TWILIO_STOP:
        return []
    return [sms_text(tenant, texts.STOPPED, None if locale == "en" else locale)]


def opt_out(tenant: Tenant, phone: str) -> None:
    if OptOut.exists(tenant.id, phone):
        return
    db.session.add(OptOut(tenant_id=tenant.id, phone_hash=phone))
    try:
        db.session.commit()
    except IntegrityError:  # the same STOP, delivered twice at once
        db.session.rollback()


def opt_in(tenant: Tenant, phone: str) -> None:
    """START (or YES, as Twilio reads it): reachable again. A read first: YES is common."""
    if OptOut.exists(tenant.id, phone):
        db.session.execute(delete(OptOut).where(OptOut.tenant_id == tenant.id,
                                                OptOut.phone_hash == phone))
        db.session.commit()


def converse(tenant: Tenant, sid: str, phone: str, body: str) -> tuple[list[str], str]:
    """A turn of the sender's conversation, or the start of a new one."""
    pointer = pointer_key(tenant.id, phone)
    for _ in range(3):
        outcome = conversations.reply_to_sender(pointer, tenant.id, sid, body)
        if outcome is not None:
            return reply_texts(outcome), "replayed" if outcome.replayed else "answered"
        if OptOut.exists(tenant.id, phone):
            return [sms_text(tenant, texts.OPTED_OUT)], "opted out earlier"
        chosen = choose_round(tenant, body, phone)
        if isinstance(chosen, str):
            return [chosen], "no round chosen"
        if sessions().finished(pointer, chosen.id):
            return [sms_text(tenant, texts.ALREADY_DONE)], "finished this round before"
        outcome = conversations.begin(chosen, "sms", message_id=sid, pointer=pointer)
        if outcome is not None:
            return reply_texts(outcome), f"started round {chosen.id}"
        # Another message from this phone started a conversation first: answer it there.
    raise Busy("the conversation kept changing under this message")


def open_rounds(tenant: Tenant) -> list[SurveyRound]:
    now = datetime.now(UTC)
    rounds = db.session.scalars(
        select(SurveyRound).where(SurveyRound.tenant_id == tenant.id,
                                  SurveyRound.opens_at <= now, SurveyRound.closes_at > now)
        .order_by(SurveyRound.opens_at, SurveyRound.id))
    return [r for r in rounds if "sms" in (r.channels or ())]


def choose_round(tenant: Tenant, body: str, phone: str) -> SurveyRound | str:
    """The round a first message starts, or what to say instead.

    One open round: that one, whatever was texted. Several: the one whose
    keyword is the first word, else the one this phone was invited to, else
    ask which (or, if none has a keyword, the newest).
    """
    rounds = open_rounds(tenant)
    if not rounds:
        text = sms_text(tenant, texts.NO_SURVEY)
        return f"{text} {tenant.help_text}" if tenant.help_text else text
    if len(rounds) == 1:
        return rounds[0]
    words = body.split()
    first = words[0].strip(_STRIP).casefold() if words else ""
    for survey_round in rounds:
        if survey_round.keyword and survey_round.keyword.casefold() == first:
            return survey_round
    by_id = {r.id: r for r in rounds}
    invited = db.session.scalars(
        select(Invitation.round_id).where(Invitation.phone_hash == phone,
                                          Invitation.round_id.in_(by_id))
        .order_by(Invitation.id.desc()).limit(1)).first()
    if invited is not None:
        return by_id[invited]
    keywords = [r.keyword.upper() for r in rounds if r.keyword]
    if keywords:
        return sms_text(tenant, texts.WHICH, keywords=", ".join(keywords))
    return rounds[-1]


