"""RQ jobs that text invitations and one reminder through Twilio's REST API.

``send_invitations(round_id)`` and ``send_reminders(round_id)`` take only a
round id and are safe to run twice: a per-round Redis lock lets one run work
at a time, and every text is committed as sent before the next one goes.

When a job may not text, it schedules itself for later (`Queue.enqueue_at`;
run workers with the scheduler, as `chatsurvey worker` does) rather than
relying on cron:

* quiet hours (QUIET_HOURS in TIMEZONE, 21:00-08:00): at the end of them;
* a round not open yet: when it opens;
* Twilio busy (429 after a few tries) or unreachable: in RETRY_MINUTES;
* more to send than one run takes (two minutes' worth): straight away;
* all invitations sent: reminders REMINDER_AFTER_HOURS later, then every
  REMINDER_CHECK_MINUTES until nothing more can be reminded or the round closes.

Pace: each sending number may send SmsNumber.per_second segments a second;
a Redis "next free slot" per number (GCRA) holds that across every worker.

An invitation or reminder by WhatsApp goes from the council's WhatsApp sender as
its approved template (`chatsurvey.invitations.whatsapp`), never as free text;
nothing at all goes without a template.

A number is deleted (set to NULL) once nothing more will be sent to it: after
its reminder, when its text failed or was skipped, on opt-out, and for
everyone when the round closes. Twilio's error text is never stored or
logged, as it can quote the number; only its code.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import cast

import requests
from flask import current_app
from rq.exceptions import DuplicateJobError
from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from chatsurvey import jobs, texts
from chatsurvey.columns import day_of
from chatsurvey.conversations.keyspace import Conversation, pointer_key, sessions
from chatsurvey.councils.models import SmsNumber, Tenant
from chatsurvey.engine.sms import segments
from chatsurvey.extensions import db, redis_client
from chatsurvey.invitations import whatsapp
from chatsurvey.invitations.models import FAILED, QUEUED, SENT, SKIPPED, Invitation, OptOut
from chatsurvey.invitations.schedule import quiet, quiet_ends, sending_number, wording
from chatsurvey.rounds.models import SurveyRound

log = logging.getLogger(__name__)

OPTED_OUT = 21610
"""Twilio: the recipient texted STOP to this number."""
BUSY = 20429
"""Twilio: too many requests (also HTTP 429)."""
QUIET = "quiet"
REFUSED = "refused"
"""Twilio refused the council's credentials: stop, and send nothing until they are fixed."""
MAX_ATTEMPTS = 5
RETRY_MINUTES = 5
BACKOFF = (1, 2, 4)
"""Seconds to wait before trying again after Twilio says 429."""
RUN_SECONDS = 120
"""One run sends at most this many seconds' worth of texts, then hands on to a new job."""
LOCK_SECONDS = 120
CREDENTIALS = ("Twilio refused the council's account SID or auth token: fix them, then run "
               "`chatsurvey invitations send ROUND_ID`")

_RESERVE = """
local now = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
if free < now then free = now end
redis.call('SET', KEYS[1], free + cost, 'PX', math.floor(free + cost - now) + 1000)
return math.floor(free - now)
"""


def send_invitations(round_id: int) -> None:
    """Text every queued invitation of a round (see the module docstring)."""
    Sender().invitations(round_id)


def send_reminders(round_id: int) -> None:
    """Remind, once, everyone invited who started and has gone quiet."""
    Sender().reminders(round_id)


def queue_invitations(round_id: int) -> None:
    """Ask a worker to send a round's queued invitations now."""
    _enqueue("invitations", round_id, None)


def _enqueue(kind: str, round_id: int, at: datetime | None) -> None:
    func = f"workers.send.send_{kind}"
    options = {"job_timeout": RUN_SECONDS * 3, "result_ttl": 0,
               "failure_ttl": jobs.FAILURE_TTL, "description": f"SMS {kind}, round {round_id}"}
    queue = jobs.queue(jobs.SEND)
    if at is None:
        queue.enqueue(func, round_id, job_id=f"sms-{kind}-{round_id}-{secrets.token_hex(4)}",
                      **options)
        return
    job_id = f"sms-{kind}-{round_id}-{int(at.timestamp())}"
    with suppress(DuplicateJobError):  # one job per round and moment, however many asked
        queue.enqueue_at(at, func, round_id, job_id=job_id, unique=True, **options)


def twilio_client(tenant: Tenant) -> Client:
    """The council's own Twilio account; TWILIO_API_BASE_URL points it elsewhere (tests)."""
    config = current_app.config
    client = Client(tenant.twilio_account_sid, tenant.twilio_auth_token,
                    http_client=TwilioHttpClient(timeout=config["TWILIO_TIMEOUT_SECONDS"]))
    if config.get("TWILIO_API_BASE_URL"):
        client.api.base_url = config["TWILIO_API_BASE_URL"].rstrip("/")
    return client


class Sender:
    """Sends for one job; the clock, sleep and Twilio client can be replaced (tests)."""

    def __init__(self, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep,
                 client: Callable[[Tenant], Client] = twilio_client) -> None:
        self.clock, self.sleep, self.make_client = clock, sleep, client
        self.redis = redis_client()
        self._reserve = self.redis.register_script(_RESERVE)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    # -- the jobs ------------------------------------------------------------

    def invitations(self, round_id: int) -> str:
        """Send what may be sent now; returns a word on what happened (for tests and logs)."""
        return self._run(round_id, "invitations", self._invite)

    def reminders(self, round_id: int) -> str:
        return self._run(round_id, "reminders",
                         lambda r: self._with_kind("reminders", *self._remind(r)))

    @staticmethod
    def _with_kind(kind: str, result: str, at):
        return result, (kind, at) if at is not None else None

    def _run(self, round_id: int, what: str, step) -> str:
        """One run of a sending job under the round's lock; schedules the next run if due."""
        survey_round = db.session.get(SurveyRound, round_id)
        if survey_round is None:
            return "no such round"
        lock = self._lock(round_id)
        if lock is None:
            return "another run is sending"
        try:
            result, later = step(survey_round)
        finally:
            self._unlock(round_id, lock)
        if later is not None:
            kind, at = later
            _enqueue(kind, round_id, at)
        (log.error if CREDENTIALS in result else log.info)(
            "sms %s, round %s: %s", what, round_id, result)
        return result

    # -- invitations ---------------------------------------------------------

    def _invite(self, survey_round: SurveyRound):
        now = self.now()
        if now >= survey_round.closes_at:
            return f"round closed, {self.close(survey_round)} numbers deleted", None
        start = quiet_ends(max(now, survey_round.opens_at))
        if start > now:
            return "not now", ("invitations", start)
        tenant = survey_round.tenant
        number = sending_number(tenant)
        if number is None or not tenant.twilio_auth_token:
            log.error("sms invitations, round %s: %s cannot send (no number or Twilio "
                      "credentials)", survey_round.id, tenant.slug)
            return "cannot send", None
        client = self.make_client(tenant)
        text = wording(tenant, texts.INVITE)
        limit = max(1, RUN_SECONDS * number.per_second // max(1, segments(text)))
        pending = db.session.scalars(
            select(Invitation).where(Invitation.round_id == survey_round.id,
                                     Invitation.status == QUEUED)
            .order_by(Invitation.id).limit(limit)).all()
        counts = {SENT: 0, SKIPPED: 0, FAILED: 0}
        for invitation in pending:
            if OptOut.exists(tenant.id, invitation.phone_hash):
                self._finish(invitation, SKIPPED, "opted-out")
            elif sessions().find(pointer_key(tenant.id, invitation.phone_hash)):
                self._finish(invitation, SKIPPED, "already-started")
            else:
                outcome = self._text(client, tenant, number, invitation, text)
                if outcome == QUIET:
                    db.session.commit()
                    return _said(counts) + ", quiet hours", ("invitations",
                                                             quiet_ends(self.now()))
                if outcome == REFUSED:
                    db.session.commit()
                    return _said(counts) + ", " + CREDENTIALS, None
                if outcome == "retry":
                    db.session.commit()
                    return _said(counts) + ", Twilio unavailable", (
                        "invitations", self.now() + timedelta(minutes=RETRY_MINUTES))
                if outcome == SENT:
                    invitation.status, invitation.sent_at = SENT, day_of(self.now())
                    invitation.error = None
            counts[invitation.status] = counts.get(invitation.status, 0) + 1
            db.session.commit()
            self._extend(survey_round.id)
        if len(pending) == limit:
            return _said(counts) + ", more to send", ("invitations", None)
        return _said(counts), ("reminders", self._next_check(
            survey_round, self.now() + timedelta(hours=current_app.config[
                "REMINDER_AFTER_HOURS"])))

    # -- reminders -----------------------------------------------------------

    def _remind(self, survey_round: SurveyRound):
        now = self.now()
        if now >= survey_round.closes_at:
            return f"round closed, {self.close(survey_round)} numbers deleted", None
        if quiet(now):
            return "quiet hours", quiet_ends(now)
        tenant = survey_round.tenant
        number = sending_number(tenant)
        if number is None or not tenant.twilio_auth_token:
            return "cannot send", None
        waiting = db.session.scalars(
            select(Invitation).where(Invitation.round_id == survey_round.id,
                                     Invitation.status == SENT,
                                     Invitation.reminded_at.is_(None),
                                     Invitation.number.is_not(None))
            .order_by(Invitation.id)).all()
        client, text, reminded, pending = None, wording(tenant, texts.REMINDER), 0, 0
        for invitation in waiting:
            due = self._reminder_due(survey_round, tenant, invitation)
            pending += int(due == "later")
            if due != "due":
                continue
            if OptOut.exists(tenant.id, invitation.phone_hash):
                invitation.number, invitation.error = None, "opted-out"
                db.session.commit()
                continue
            client = client or self.make_client(tenant)
            outcome = self._text(client, tenant, number, invitation, text, whatsapp.REMINDER)
            halted = self._halted(outcome, reminded)
            if halted:
                db.session.commit()
                return halted
            if outcome == SENT:
                reminded += 1
                invitation.reminded_at = day_of(self.now())
            invitation.number = None  # reminded, or it failed: nothing more will be sent
            db.session.commit()
            self._extend(survey_round.id)
        if not pending:
            return f"{reminded} reminded, none left to remind", None
        return f"{reminded} reminded, {pending} may need one later", self._next_check(
            survey_round,
            self.now() + timedelta(minutes=current_app.config["REMINDER_CHECK_MINUTES"]))

    def _reminder_due(self, survey_round: SurveyRound, tenant: Tenant,
                      invitation: Invitation) -> str:
        """"due"; "later" (not started yet, or not quiet for long); or "never" (abandoned)."""
        conversation = self._conversation(tenant, invitation)
        if conversation is None or conversation.round_id != survey_round.id:
            return "later"  # not started (yet): they may still start and go quiet
        idle = self.clock() - conversation.updated
        if idle < current_app.config["REMINDER_AFTER_HOURS"] * 3600:
            return "later"
        if idle >= sessions().ttl("sms"):
            return "never"  # the sweeper is closing it; too late for a reminder
        return "due"

    def _halted(self, outcome: str, reminded: int) -> tuple[str, datetime | None] | None:
        """Why reminding stops here (and when to go on), if a text's outcome stops it."""
        if outcome == QUIET:
            return f"{reminded} reminded, quiet hours", quiet_ends(self.now())
        if outcome == REFUSED:
            return f"{reminded} reminded, {CREDENTIALS}", None
        if outcome == "retry":
            return (f"{reminded} reminded, Twilio unavailable",
                    self.now() + timedelta(minutes=RETRY_MINUTES))
        return None

    def _conversation(self, tenant: Tenant, invitation: Invitation) -> Conversation | None:
        return sessions().read(pointer_key(tenant.id, invitation.phone_hash)).conversation

    @staticmethod
    def _next_check(survey_round: SurveyRound, at: datetime) -> datetime:
        """No later than the close, so the numbers are deleted when the round ends."""
        return min(at, survey_round.closes_at)

    # -- one text --------------------------------------------------------------

    def _text(self, client: Client, tenant: Tenant, number: SmsNumber,
              invitation: Invitation, text: str, kind: str = whatsapp.INVITE) -> str:
        """Send one text at the number's pace, never at night.

        Returns SENT, SKIPPED or FAILED (the invitation is finished), or "retry",
        QUIET or REFUSED (it is not, and this run should stop).
        """
        channel = invitation.channel or whatsapp.SMS
        content: dict[str, str] | None = {"body": text}
        if channel == whatsapp.WHATSAPP:
            content = whatsapp.message(tenant, kind)
            number = whatsapp.sending_number(tenant) or number
            if content is None:  # never free text
                self._finish(invitation, FAILED, whatsapp.NO_TEMPLATE)
                return FAILED
        invitation.attempts += 1
        for backoff in (*BACKOFF, None):
            self.pace(number, segments(text))
            if quiet(self.now()):  # the wait for a slot ran into the night
                invitation.attempts -= 1
                return QUIET
            try:
                client.messages.create(to=whatsapp.address(channel, str(invitation.number)),
                                       from_=whatsapp.address(channel, number.number), **content)
                return SENT
            except TwilioRestException as exc:
                code = exc.code or exc.status
                if code == OPTED_OUT:
                    opt_out(tenant.id, invitation.phone_hash)
                    self._finish(invitation, SKIPPED, str(OPTED_OUT))
                    return SKIPPED
                if exc.status == 429 or code == BUSY:
                    if backoff is not None:
                        self.sleep(backoff)
                        continue
                    return self._retry(invitation, str(code))
                if exc.status in (401, 403):  # the council's SID or token: a person must fix it
                    invitation.attempts -= 1
                    return REFUSED
                if exc.status >= 500:
                    return self._retry(invitation, str(code))
                self._finish(invitation, FAILED, str(code))
                return FAILED
            except requests.RequestException as exc:
                return self._retry(invitation, type(exc).__name__[:64])
        raise AssertionError("unreachable")  # pragma: no cover

    def _retry(self, invitation: Invitation, error: str) -> str:
        invitation.error = error
        if invitation.attempts >= MAX_ATTEMPTS:
            self._finish(invitation, FAILED, error)
            return FAILED
        return "retry"

    @staticmethod
    def _finish(invitation: Invitation, status: str, error: str) -> None:
        """Nothing more will be sent: record why, and delete the number."""
        if invitation.status == QUEUED:
            invitation.status = status
        invitation.error, invitation.number = error, None

    def pace(self, number: SmsNumber, cost: int) -> None:
        """Wait for this sending number's next free slot (shared by all workers)."""
        per_segment_ms = 1000 / max(1, number.per_second)
        wait_ms = self._reserve(keys=[f"cs:rate:{number.number}"],
                                args=[int(self.clock() * 1000), int(per_segment_ms * cost)])
        if wait_ms > 0:
            self.sleep(wait_ms / 1000)

    # -- housekeeping ------------------------------------------------------------

    def close(self, survey_round: SurveyRound) -> int:
        """The round is over: nothing queued will go, and no number is kept."""
        scope = Invitation.round_id == survey_round.id
        db.session.execute(update(Invitation).where(scope, Invitation.status == QUEUED)
                           .values(status=SKIPPED, error="round-closed"))
        deleted = cast(CursorResult, db.session.execute(update(Invitation).where(
            scope, Invitation.number.is_not(None)).values(number=None))).rowcount
        db.session.commit()
        return deleted

    def _lock(self, round_id: int) -> str | None:
        token = secrets.token_hex(8)
        ok = self.redis.set(f"cs:send:{round_id}", token, nx=True, ex=LOCK_SECONDS)
        return token if ok else None

    def _extend(self, round_id: int) -> None:
        self.redis.expire(f"cs:send:{round_id}", LOCK_SECONDS)

    def _unlock(self, round_id: int, token: str) -> None:
        key = f"cs:send:{round_id}"
        if self.redis.get(key) == token.encode("ascii"):
            self.redis.delete(key)


def opt_out(tenant_id: int, phone_hash: str) -> None:
    """Twilio says this person opted out: remember it, so nothing else is tried."""
    if OptOut.exists(tenant_id, phone_hash):
        return
    db.session.add(OptOut(tenant_id=tenant_id, phone_hash=phone_hash))
    try:
        db.session.commit()
    except IntegrityError:  # they texted STOP just now: already on the list
        db.session.rollback()


def _said(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {state}" for state, n in counts.items())
