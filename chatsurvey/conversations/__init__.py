"""One turn of a conversation: load, advance, save, hand off — the door both channels use.

The engine decides what to say; this module acts on what it returns. The
one event it acts on is ``Finished``: a finished conversation is either
handed off to be anonymised and stored, or discarded (withdrawn, declined,
or nothing to keep). Expiry and quick exit are resumes the engine applies,
like a message. Channels only translate between their wire format and these
calls.
``keyspace`` is the only code that touches a conversation's Redis keys.

May import: the engine, flows (published versions), councils, rounds, extensions.
Never a channel, the admin, the command line, reports or `workers`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from base64 import urlsafe_b64encode
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import select

from chatsurvey import jobs
from chatsurvey.conversations.keyspace import (
    Busy,
    Conversation,
    Record,
    finished_key,
    record_key,
    sessions,
)
from chatsurvey.councils.models import Tenant
from chatsurvey.engine import (
    Event,
    Expire,
    Finished,
    Flow,
    Options,
    QuickExit,
    Reply,
    Resume,
    State,
    advance,
    resume_from,
    start,
    transcript,
)
from chatsurvey.engine.events import Withdrawn
from chatsurvey.engine.runtime import check_state
from chatsurvey.extensions import db
from chatsurvey.flows.local import flow_for
from chatsurvey.rounds.models import SurveyRound

KEPT = ("complete", "partial", "failed")
ATTEMPTS = 5
"""Reads and saves a turn tries before giving up because other messages keep changing
the conversation (each save fails only if another one succeeded meanwhile)."""


@dataclass
class Outcome:
    """What a turn produced: the replies to send and where the conversation stands."""

    conversation: str | None
    status: str
    replies: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    replayed: bool = False

    def as_dict(self) -> dict[str, Any]:
        """What the web chat answers for a start: conversation, status and replies."""
        return {"conversation": self.conversation, "status": self.status,
                "replies": self.replies}

    def turn_dict(self) -> dict[str, Any]:
        """What the web chat answers for a turn: status and replies."""
        return {"status": self.status, "replies": self.replies}


class NotFound(LookupError):
    """No such conversation (it finished, expired, or never existed)."""


def engine_options() -> Options:
    """The engine's limits from the app's configuration."""
    config = cast(Mapping[str, Any], current_app.config)  # Flask's Config: an untyped dict
    return Options(max_steps=config["ENGINE_MAX_STEPS"], max_turns=config["ENGINE_MAX_TURNS"],
                   max_inbound_chars=config["ENGINE_MAX_INBOUND_CHARS"],
                   max_answer_chars=config["ENGINE_MAX_ANSWER_CHARS"])


def choose_locale(tenant: Tenant, flow_locales: tuple[str, ...], wanted: str | None) -> str:
    """The language to start in: the one asked for if offered, else the council's first."""
    offered = [loc for loc in tenant.offered_locales() if loc in flow_locales]
    if wanted and wanted in flow_locales:
        return wanted
    return offered[0] if offered else flow_locales[0]


def start_token(round_id: int, message_id: str, start_secret: str) -> str:
    """The id of the web conversation a start makes, when the client keeps a secret.

    Made from the start's message id and the client's secret with the service's
    key, so the same start sent again finds the same conversation, and someone
    who only knows the message id cannot.
    """
    key = cast(str, current_app.config["SECRET_KEY"]).encode("utf-8")
    digest = hmac.new(key, f"start:{round_id}:{message_id}:{start_secret}".encode(),
                      hashlib.sha256).digest()
    return urlsafe_b64encode(digest[:18]).decode("ascii")


def begin(survey_round: SurveyRound, channel: str, *, locale: str | None = None,
          age_band: str | None = None, message_id: str | None = None,
          pointer: str | None = None, cid: str | None = None,
          notice: Callable[[str | None], str] | None = None) -> Outcome | None:
    """Start a conversation on a round's pinned flow version (and its council's local questions).

    SMS: ``pointer`` is the sender's record. Returns None if the sender is
    already in a conversation (another message from the same phone won the
    race to start one); a start with a message id seen before returns its
    outcome again. Web: ``cid`` (see ``start_token``) makes the start safe to
    send again; a random id otherwise. ``notice``: the channel's own words (in the
    conversation's language) said before the first question.
    """
    store = sessions()
    given = cid
    cid = store.new_id() if pointer or cid is None else cid
    key = pointer or record_key(cid)
    if pointer is None and message_id is not None:
        message_id = f"start:{message_id}"  # a web start is replayed by a start, never fetched
    record = store.read(key)
    seen = record.outcomes.find(message_id)
    if seen is not None:
        return Outcome(record.cid, *seen, replayed=True)
    if record.conversation is not None:
        return None  # the sender is in a conversation already
    if given is not None and record.version:
        raise NotFound(given)  # that start's conversation has moved on: its start is gone
    tenant = survey_round.tenant
    version = survey_round.flow_version
    local_id = survey_round.local_questions_id
    flow = flow_for(version.flow_id, version.version, local_id)
    state, replies, _ = start(
        flow, channel=channel, locale=choose_locale(tenant, flow.locales, locale),
        country=tenant.country, age_band=age_band, params={"council": tenant.display_name},
        options=engine_options())
    now = int(store.clock())
    conversation = Conversation(
        id=cid, tenant_id=tenant.id,
        round_id=survey_round.id, channel=channel, flow_id=flow.id, flow_version=flow.version,
        created=now, updated=now, packed=state.dump(flow), pointer=pointer, local_id=local_id)
    outcome = Outcome(conversation.id, state.status, [r.as_dict() for r in replies])
    if notice is not None:  # kept with the outcome, so a replayed start gets it too
        _add_notice(outcome, notice)
    outcomes = record.outcomes.then(message_id, outcome.status, outcome.replies)
    if not store.save(record, conversation, outcomes):
        if pointer is None:
            raise Busy("the same start was sent twice at once")
        return None
    return outcome


def reply(cid: str, tenant_id: int, message_id: str | None, inbound: Any,
          round_id: int | None = None) -> Outcome:
    """Take one message for a web conversation; replays of a handled message change nothing.

    With ``round_id`` (the round of the link it came through), a conversation of
    any other round is not found.
    """
    outcome = _turn(record_key(cid), message_id, resume_from(inbound), tenant_id, round_id)
    if outcome is None:
        raise NotFound(cid)
    return outcome


def _add_notice(outcome: Outcome, notice: Callable[[str | None], str]) -> None:
    """The channel's own notice (in the replies' language), before the turn's last reply (its
    question), or after the only one."""
    said = [r for r in outcome.replies if r.get("text")]
    lang = said[-1].get("lang") if said else None
    reply = {"type": "notice", "text": notice(lang), "lang": lang or "en", "dir": "ltr"}
    at = len(outcome.replies) - 1 if len(said) > 1 else len(outcome.replies)
    outcome.replies.insert(at, reply)


def reply_to_sender(pointer: str, tenant_id: int, message_id: str,
                    inbound: Any, language: str | None = None) -> Outcome | None:
    """Take an SMS sender's message in the conversation they are in (None if in none).

    ``language``: the message is that language's keyword; before any answer it
    starts the conversation again in that language (see `_restart_in`), else it is
    an ordinary message. A replay gets its outcome whether or not its conversation
    is still there.
    """
    if language:
        restarted = _restart_in(pointer, tenant_id, message_id, language)
        if restarted is not None:
            return restarted
    return _turn(pointer, message_id, resume_from(inbound), tenant_id, None)


def _restart_in(pointer: str, tenant_id: int, message_id: str, locale: str) -> Outcome | None:
    """Start the sender's conversation again in ``locale``, if nothing is answered yet.

    A young person who texts "AR" after the first (English) text gets the start
    again in Arabic: the same conversation, a fresh state. None, changing nothing,
    when something is answered already, the conversation waits at a question that
    chooses the language (the word answers it), it is in ``locale`` already, its
    flow has no words in ``locale``, or another message saved meanwhile.
    """
    store = sessions()
    record = store.read(pointer)
    conversation = record.conversation
    if (conversation is None or conversation.tenant_id != tenant_id
            or record.outcomes.find(message_id) is not None):
        return None
    flow = _flow_of(conversation)
    state = State.load(flow, conversation.packed)
    waiting = check_state(flow, state)
    if (locale not in flow.locales or locale == state.ctx.locale or _answered(flow, state)
            or (waiting is not None and waiting.sets == "locale")):
        return None
    ctx = state.ctx
    state, replies, _events = start(
        flow, channel=conversation.channel, locale=locale, country=ctx.country,
        age_band=ctx.age_band, params=dict(ctx.params), options=engine_options())
    conversation.packed = state.dump(flow)
    outcome = Outcome(conversation.id, state.status, [r.as_dict() for r in replies])
    outcomes = record.outcomes.then(message_id, outcome.status, outcome.replies)
    return outcome if store.save(record, conversation, outcomes) else None


def _answered(flow: Flow, state: State) -> bool:
    """Whether the young person has answered anything but a choice of language."""
    choosing = {n.key for n in flow.questions() if n.sets == "locale"}
    return any(v is not None for k, v in state.answers.items() if k not in choosing)


def close(cid: str, tenant_id: int | None = None, resume: Expire | QuickExit | None = None,
          round_id: int | None = None) -> Outcome:
    """End a web conversation without a message: abandoned (``Expire``, the default) or
    left by the quick-exit button (``QuickExit``). Keeps what can be kept. With
    ``round_id`` (the round of the link it came through), a conversation of another
    round is not found."""
    outcome = _turn(record_key(cid), None, resume or Expire(), tenant_id, round_id)
    if outcome is None:
        raise NotFound(cid)
    return outcome


def replayed(cid: str, tenant_id: int, message_id: str,
             round_id: int | None = None) -> Outcome | None:
    """What an earlier message of a web conversation got (after a lost answer), if it is
    still remembered; the conversation may have ended since."""
    record = sessions().read(record_key(cid))
    seen = record.outcomes.find(message_id)
    if seen is None or not record.owned_by(tenant_id, round_id):
        return None
    return Outcome(record.cid, *seen, replayed=True)


def expire(key: str) -> Outcome | None:
    """End the abandoned conversation at a record key (the sweeper); None if it has none."""
    return _turn(key, None, Expire(), None, None, attempts=1)


def _turn(key: str, message_id: str | None, resume: Resume, tenant_id: int | None,
          round_id: int | None, attempts: int = ATTEMPTS) -> Outcome | None:
    """Read, advance, save; again if another message saved in between."""
    store = sessions()
    for _ in range(attempts):
        record = store.read(key)
        seen = record.outcomes.find(message_id)
        if seen is not None and record.owned_by(tenant_id, round_id):
            return Outcome(record.cid, *seen, replayed=True)
        conversation = record.conversation
        if conversation is None or not _belongs(conversation, tenant_id, round_id):
            return None
        flow = _flow_of(conversation)
        state, replies, events = advance(flow, State.load(flow, conversation.packed), resume,
                                         engine_options())
        outcome = _settle(record, conversation, flow, state, replies, events, message_id)
        if outcome is not None:
            return outcome
    raise Busy(f"{key}: other messages kept changing the conversation")


def _belongs(conversation: Conversation, tenant_id: int | None, round_id: int | None) -> bool:
    """The conversation is the council's (and the round's, when one is given)."""
    return ((tenant_id is None or conversation.tenant_id == tenant_id)
            and (round_id is None or conversation.round_id == round_id))


def _flow_of(conversation: Conversation) -> Flow:
    return flow_for(conversation.flow_id, conversation.flow_version, conversation.local_id)


def worth_keeping(flow: Flow, state: State) -> bool:
    """Complete conversations; unfinished ones only with consent and at least one answer."""
    if state.status == "complete":
        return True
    consented = state.consent is True or not flow.requires_consent
    return (state.status in KEPT and consented
            and any(v is not None for v in state.answers.values()))


def _settle(record: Record, conversation: Conversation, flow: Flow, state: State,
            replies: tuple[Reply, ...], events: tuple[Event, ...],
            message_id: str | None) -> Outcome | None:
    """Save what the engine made of the turn; None if the record changed meanwhile."""
    store = sessions()
    outcome = Outcome(conversation.id, state.status, [r.as_dict() for r in replies])
    outcomes = record.outcomes.then(message_id, outcome.status, outcome.replies)
    if not any(isinstance(e, Finished) for e in events):
        conversation.packed = state.dump(flow)
        return outcome if store.save(record, conversation, outcomes) else None
    # A STOP withdraws the conversation whatever happened to it meanwhile.
    force = any(isinstance(e, Withdrawn) for e in events)
    if not worth_keeping(flow, state):
        if not store.end(record, conversation, outcomes, force=force):
            return None
        _ended(conversation)
        return outcome
    submission_id = secrets.token_hex(16)
    kept = transcript(flow, state)
    kept.update(submission_id=submission_id, tenant_id=conversation.tenant_id,
                round_id=conversation.round_id, started_at=conversation.created,
                finished_at=int(store.clock()))
    finished = None
    if conversation.pointer and state.status == "complete":
        finished = finished_key(conversation.pointer, conversation.round_id)
    ended = store.end(record, conversation, outcomes, force=force,
                      submission_id=submission_id,
                      transcript=json.dumps(kept, separators=(",", ":"), ensure_ascii=False),
                      finished=finished,
                      finished_until=finished_marker_expiry(conversation.round_id, store.clock()))
    if not ended:
        return None
    _ended(conversation)
    return outcome


def _ended(conversation: Conversation) -> None:
    """After a conversation by text has ended, its thread at Twilio goes (a few minutes
    later, with the council's others; chatsurvey/channels/sms/deletion.py)."""
    if conversation.channel != "web":
        jobs.queue_provider_deletion(conversation.tenant_id)


def finished_marker_expiry(round_id: int, now: float) -> int:
    """When a round's "finished" markers go: SMS_FINISHED_AFTER_CLOSE after the round
    closes (or after now, if later), at the midnight (UTC) after that: the same moment for
    everyone who finished the round, so it dates nobody's finish."""
    closes = db.session.scalar(select(SurveyRound.closes_at).where(SurveyRound.id == round_id))
    moment = datetime.fromtimestamp(now, UTC)
    if closes is not None:
        moment = max(moment, closes.astimezone(UTC))
    moment += timedelta(seconds=cast(int, current_app.config["SMS_FINISHED_AFTER_CLOSE"]))
    midnight = datetime(moment.year, moment.month, moment.day, tzinfo=UTC) + timedelta(days=1)
    return int(midnight.timestamp())
