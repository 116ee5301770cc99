"""SMS and WhatsApp through Twilio: `POST /sms/inbound` (and `/whatsapp/inbound`), in TwiML.

WhatsApp is the same webhook with ``whatsapp:`` before both numbers; the
channel is read from that prefix, the number behind it is hashed as an SMS
sender's is. Every reply is in the webhook's answer, so always inside WhatsApp's
24-hour window; what we start (templates) is in `chatsurvey.invitations.whatsapp`.

Order matters, and each step is cheap so Twilio gets its answer fast:

1. The form must carry From, To, MessageSid and Body (else 400; too big: 413).
2. The council is the one that owns the `To` number (unknown: 404, nothing kept).
3. The signature must be Twilio's, made with *that council's* auth token over
   the public URL (`request.url`, behind a proxy thanks to ProxyFix from
   PROXY_X_*); otherwise 403 and nothing is kept.
4. Opt-out words (one word on its own, any case, as Twilio reads them) end the
   conversation and discard its answers, and put the sender on the council's
   opt-out list (for SMS and WhatsApp alike); HELP answers with the council's
   help text.
5. Anything else is a turn of the sender's conversation, found by a keyed hash
   of the number, or starts one on an open round. A new conversation's first
   texts say that the thread stays on the young person's phone.

Once a conversation ends (or a text started none), its thread is deleted from
the council's Twilio account a few minutes later (chatsurvey/channels/sms/deletion.py).

The sender's number is hashed at once and never kept or logged; logs name the
council and the MessageSid only.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from flask import Blueprint, Response, current_app, request
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from twilio.request_validator import RequestValidator, compare
from twilio.twiml.messaging_response import MessagingResponse

from chatsurvey import conversations, jobs, texts
from chatsurvey.channels.sms import throttle
from chatsurvey.channels.sms.languages import chosen_language, language_offer, offered_languages
from chatsurvey.conversations import Outcome
from chatsurvey.conversations.keyspace import Busy, pointer_key, sessions
from chatsurvey.councils.models import SmsNumber, Tenant
from chatsurvey.crypto import crypto, normalise_number
from chatsurvey.engine.languages import WordTable, by_keyword
from chatsurvey.extensions import db
from chatsurvey.invitations import whatsapp
from chatsurvey.invitations.models import Invitation, OptOut
from chatsurvey.rounds.models import SurveyRound
from chatsurvey.security import SecuredResponse, plain_headers
from chatsurvey.texts import sms_text

bp = Blueprint("sms", __name__)
log = logging.getLogger(__name__)

REQUIRED = ("From", "To", "MessageSid", "Body")
OUTSIDE_CONVERSATIONS = frozenset({"opted out", "help", "no round chosen",
                                   "finished this round before", "opted out earlier"})
"""What a text that starts no conversation was answered with (see `handle`)."""
_SID = re.compile(r"^[A-Za-z0-9]{2,64}$")
_STRIP = " \t\r\n.,!?;:'\"()[]{}*_~"
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")
MAX_MESSAGE = 1600
"""Twilio refuses a longer body; longer turns are split between replies."""

# Words people text, as they would type them in each language chatsurvey speaks (Latin-
# script forms too: many type Arabic, Persian or Pashto in Latin letters). Twilio itself
# knows only the English STOP words (and answers them itself); the others are ours, so we
# confirm them. Matched as `WordTable` reads them: any case; without accents if typed
# without any ("dung" is "dừng"), but a word typed with its accents must be that word.
# HELP words are each language's word for the engine's "help", never its "support" word
# (which shows who to talk to and must reach the conversation).
STOP_WORDS = {
    "en": ("stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"),
    "cy": ("stopio",),
    "gd": ("stad", "sguir"),
    "ar": ("توقف", "قف", "أوقف", "ايقاف", "إيقاف", "إلغاء", "الغاء", "tawaqaf", "wa2ef"),
    "fa": ("توقف", "بس", "لغو", "tavaghof", "tavaqof", "bas"),
    "ps": ("بس", "ودرېږه", "ودریږه", "bas", "wadregha"),
    "prs": ("توقف", "بس", "لغو", "tawaqof", "bas"),
    "ti": ("ኣቋርጽ", "ደው በል", "aqurts"),
    "ckb": ("وەستان", "بوەستە", "ڕاگرتن", "rawestan", "bwesta"),
    "vi": ("dừng", "dừng lại", "ngừng", "hủy", "hủy bỏ"),
    "sq": ("ndal", "ndalo", "anulo"),
}
START_WORDS = {
    "en": ("start", "yes", "unstop"),
    "cy": ("dechrau",),
    "gd": ("tòisich",),
    "ar": ("ابدأ", "ابدا", "ebda2"),
    "fa": ("شروع", "shoroo", "shoru"),
    "ps": ("پیل", "peil"),
    "prs": ("شروع", "shuru"),
    "ti": ("ጀምር", "jemr"),
    "ckb": ("دەستپێبکە", "dest pe bka"),
    "vi": ("bắt đầu",),
    "sq": ("fillo", "nis"),
}
HELP_WORDS = {
    "en": ("help", "info"),
    "cy": ("cymorth",),
    "gd": ("cuideachadh",),
    "ar": ("مساعدة", "مساعده", "musa3ada"),
    "fa": ("راهنما", "rahnama"),
    "ps": ("لارښود", "larkhod"),
    "prs": ("رهنما", "rahnama"),
    "ti": ("መምርሒ",),
    "ckb": ("ڕێنمایی", "renmayi"),
    "vi": ("hướng dẫn", "trợ giúp"),
    "sq": ("udhëzime", "ndihmë"),
}
TWILIO_STOP = frozenset(STOP_WORDS["en"])
_KEYWORDS = {kind: WordTable([(word, locale) for locale, words in table.items() for word in words])
             for kind, table in (("stop", STOP_WORDS), ("start", START_WORDS),
                                 ("help", HELP_WORDS))}


def keyword(body: str, preferred: Sequence[str] | Callable[[], Sequence[str]] = ()
            ) -> tuple[str | None, str | None]:
    """(stop | start | help, the word's language) if the whole message is one of those words.

    A word of several languages ("بس" is Farsi, Dari and Pashto) is taken in the first
    of ``preferred`` (the council's languages) it belongs to.
    """
    text = unicodedata.normalize("NFKC", body).strip(_STRIP)
    if not text or len(text) > 40:
        return None, None
    for kind, table in _KEYWORDS.items():
        locales = table.all(text)
        if len(locales) == 1:
            return kind, locales[0]
        if locales:  # the council's row (``preferred`` may read it) only when it decides
            wanted = preferred() if callable(preferred) else preferred
            return kind, next((loc for loc in wanted if loc in locales), locales[0])
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
    """The keyed hash a sender is known by (Twilio sends E.164; anything else as given).

    The same for a number by SMS and on WhatsApp (``whatsapp:+44...``): one person,
    one conversation, one opt-out, and one "in a conversation" test for deletion.
    """
    sender = whatsapp.split_address(sender)[1]
    if _E164.fullmatch(sender):  # already what normalise_number would make of it
        return crypto().phone_hash(sender)
    try:
        number = normalise_number(sender)
    except ValueError:
        number = sender.strip()
    return crypto().phone_hash(number)


@bp.post("/sms/inbound")
@bp.post("/whatsapp/inbound")
def inbound() -> Response:
    """200 with TwiML; 400 malformed, 404 not our number, 403 not signed, 503 busy or
    Redis away (nothing was kept: Twilio sends it again if the webhook URL asks for
    retries, see docs/deploying.md)."""
    form = request.form  # a body over MAX_CONTENT_LENGTH stops here with 413
    if any(name not in form for name in REQUIRED) or not _SID.match(form["MessageSid"]):
        return twiml(status=400)
    sid = form["MessageSid"]
    channel, sender = whatsapp.split_address(form["From"])
    to_channel, to = whatsapp.split_address(form["To"])
    if channel != to_channel:
        return twiml(status=400)
    tenant = tenant_for(to)
    if tenant is None:
        log.info("%s inbound %s: not one of our numbers", channel, sid)
        return twiml(status=404)
    if not signed(tenant):
        slug = tenant.slug
        tenant = tenant_for(to, fresh=True)  # the council may have just changed its token
        if tenant is None or not signed(tenant):
            log.warning("%s inbound %s %s: signature does not match (403)", channel, slug, sid)
            return twiml(status=403)
    try:
        # The cached council reads as its row (CouncilByNumber.__getattr__).
        texts, what = handle(cast(Tenant, tenant), sid, phone_hash(sender), form["Body"],
                             channel)
    except Busy:
        log.warning("%s inbound %s %s: conversation busy (503, Twilio may retry)",
                    channel, tenant.slug, sid)
        return _unavailable(1)
    except (RedisConnectionError, RedisTimeoutError):
        log.error("%s inbound %s %s: Redis unavailable (503, Twilio may retry)",
                  channel, tenant.slug, sid)
        return _unavailable(5)
    log.info("%s inbound %s %s: %s", channel, tenant.slug, sid, what)
    if what in OUTSIDE_CONVERSATIONS:  # nothing to wait for: the thread can go at Twilio
        jobs.queue_provider_deletion(tenant.id)
    return twiml(texts)


def _unavailable(seconds: int) -> Response:
    response = twiml(status=503)
    response.headers["Retry-After"] = str(seconds)
    return response


def handle(tenant: Tenant, sid: str, phone: str, body: str,
           channel: str = "sms") -> tuple[list[str], str]:
    """The texts to answer with, and a word for the log."""
    kind, locale = keyword(body, tenant.offered_locales)
    if kind == "stop":
        return stop(tenant, sid, phone, body, locale, channel), "opted out"
    if throttle.flooding(tenant.id, phone):
        return [], "flooding: not answered"
    if kind == "help":
        return [tenant.help_text or sms_text(tenant, texts.HELP, None if locale == "en" else locale)
                ], "help"
    if kind == "start":
        opt_in(tenant, phone)
    return converse(tenant, sid, phone, body, channel)


def stop(tenant: Tenant, sid: str, phone: str, body: str, locale: str | None,
         channel: str = "sms") -> list[str]:
    """End the conversation (the engine withdraws it: nothing kept) and remember the opt-out.

    By SMS, Twilio answers its own STOP words and blocks our reply, so those get
    empty TwiML; a word only we know (Welsh, Gaelic, or STOP with punctuation)
    gets our confirmation. Twilio does not answer STOP on WhatsApp: we always do.
    """
    opt_out(tenant, phone)  # first: if Redis is away (503), the opt-out still holds
    outcome = conversations.reply_to_sender(pointer_key(tenant.id, phone), tenant.id, sid,
                                            "stop")
    if outcome is not None and outcome.status != "withdrawn" and not outcome.replayed:
        log.error("sms %s %s: STOP left the conversation %s", tenant.slug, sid, outcome.status)
    if channel == "sms" and body.strip().casefold() in TWILIO_STOP:
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


def converse(tenant: Tenant, sid: str, phone: str, body: str,
             channel: str = "sms") -> tuple[list[str], str]:
    """A turn of the sender's conversation, or the start of a new one.

    A number has one conversation with a council, whichever of SMS and WhatsApp
    it writes on: each message is answered on the channel it came by, and the
    response counts on the channel the conversation started on.
    """
    pointer = pointer_key(tenant.id, phone)
    # A language's keyword (most messages are not: then no read of the council's row).
    language = chosen_language(body, tenant.offered_locales()) if by_keyword(body) else None
    for _ in range(3):
        outcome = conversations.reply_to_sender(pointer, tenant.id, sid, body, language)
        if outcome is not None:
            return reply_texts(outcome), "replayed" if outcome.replayed else "answered"
        if OptOut.exists(tenant.id, phone):
            return [sms_text(tenant, texts.OPTED_OUT)], "opted out earlier"
        chosen = choose_round(tenant, body, phone, channel)
        if isinstance(chosen, str):
            return [chosen], "no round chosen"
        if sessions().finished(pointer, chosen.id):
            return [sms_text(tenant, texts.ALREADY_DONE)], "finished this round before"
        offered = offered_languages(chosen)
        language = chosen_language(body, offered)  # of the languages this round's flow speaks
        outcome = conversations.begin(chosen, channel, locale=language, message_id=sid,
                                      pointer=pointer,
                                      notice=lambda locale: thread_notice(tenant, locale))
        if outcome is not None:
            offer = language_offer(tenant, offered, language or (offered[0] if offered else ""))
            return [offer, *reply_texts(outcome)] if offer else reply_texts(outcome), \
                f"started round {chosen.id}"
        # Another message from this phone started a conversation first: answer it there.
    raise Busy("the conversation kept changing under this message")


def thread_notice(tenant: Tenant, locale: str | None) -> str:
    """Told with a new conversation's first texts: the thread stays on the young person's
    phone (and we delete ours, if the council does)."""
    return sms_text(tenant, texts.THREAD_DELETED if tenant.delete_sms_from_provider
                    else texts.THREAD_KEPT, locale)


def open_rounds(tenant: Tenant, channel: str = "sms") -> list[SurveyRound]:
    now = datetime.now(UTC)
    rounds = db.session.scalars(
        select(SurveyRound).where(SurveyRound.tenant_id == tenant.id,
                                  SurveyRound.opens_at <= now, SurveyRound.closes_at > now)
        .order_by(SurveyRound.opens_at, SurveyRound.id))
    return [r for r in rounds if channel in (r.channels or ())]


def choose_round(tenant: Tenant, body: str, phone: str,
                 channel: str = "sms") -> SurveyRound | str:
    """The round a first message starts, or what to say instead.

    One open round: that one, whatever was texted. Several: the one whose
    keyword is the first word, else the one this phone was invited to, else
    ask which (or, if none has a keyword, the newest).
    """
    rounds = open_rounds(tenant, channel)
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


