"""One turn of a conversation: load, advance, save, hand off — the door both channels use.

The engine decides what to say; this module acts on what it returns. The
one event it acts on is ``Finished``: a finished conversation is either
handed off to be anonymised and stored, or discarded (withdrawn, declined,
or nothing to keep). Expiry and quick exit are resumes the engine applies,
like a message. Channels only translate between their wire format and these
calls.
``keyspace`` is the only code that touches a conversation's Redis keys.

May import: the engine, flows (published versions), councils, rounds, jobs,
extensions. Never a channel, the admin, the command line, reports or `workers`.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from flask import current_app
from sqlalchemy import select

from chatsurvey import jobs
from chatsurvey.conversations.keyspace import (
    CREATED,
    REPLAY,
    Conversation,
    SessionStore,
    Turn,
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
    State,
    advance,
    resume_from,
    start,
    transcript,
)
from chatsurvey.engine.runtime import check_state
from chatsurvey.extensions import db
from chatsurvey.flows.local import flow_for
from chatsurvey.rounds.models import SurveyRound

KEPT = ("complete", "partial", "failed")


def encoded(value: Any) -> str:
    """Compact JSON, UTF-8 kept as it is (orjson: the turn path encodes a few times a turn)."""
    return orjson.dumps(value).decode("utf-8")


@dataclass
class Outcome:
    """What a turn produced: the replies to send and where the conversation stands."""

    conversation: str | None
    status: str
    replies: list[dict] = field(default_factory=list)
    replayed: bool = False
    _replies_json: str | None = field(default=None, repr=False, compare=False)

    def replies_json(self) -> str:
        """The replies as JSON, encoded once per turn for both the stored outcome and the answer."""
        if self._replies_json is None:
            self._replies_json = encoded(self.replies)
        return self._replies_json

    def dump(self) -> str:
        """The outcome as kept for a replayed message: conversation, status, replies."""
        return (f'{{"conversation":{encoded(self.conversation)},'
                f'"status":{encoded(self.status)},"replies":{self.replies_json()}}}')

    def turn_json(self) -> str:
        """What the web chat answers for a turn: status and replies."""
        return f'{{"status":{encoded(self.status)},"replies":{self.replies_json()}}}'

    @classmethod
    def load(cls, text: str) -> Outcome:
        return cls(**orjson.loads(text), replayed=True)


class NotFound(LookupError):
    """No such conversation (it finished, expired, or never existed)."""


def engine_options() -> Options:
    """The engine's limits from the app's configuration (read once per app)."""
    found = current_app.extensions.get("chatsurvey.engine_options")
    if found is None:
        config = current_app.config
        found = current_app.extensions["chatsurvey.engine_options"] = Options(
            max_steps=config["ENGINE_MAX_STEPS"], max_turns=config["ENGINE_MAX_TURNS"],
            max_inbound_chars=config["ENGINE_MAX_INBOUND_CHARS"],
            max_answer_chars=config["ENGINE_MAX_ANSWER_CHARS"])
    return found


def choose_locale(tenant: Tenant, flow_locales: tuple[str, ...], wanted: str | None) -> str:
    """The language to start in: the one asked for if offered, else the council's first."""
    offered = [loc for loc in tenant.offered_locales() if loc in flow_locales]
    if wanted and wanted in flow_locales:
        return wanted
    return offered[0] if offered else flow_locales[0]


def begin(survey_round: SurveyRound, channel: str, *, locale: str | None = None,
          age_band: str | None = None, message_id: str | None = None,
          pointer: str | None = None,
          notice: Callable[[str | None], str] | None = None) -> Outcome | None:
    """Start a conversation on a round's pinned flow version (and its council's local questions).

    Returns None only if ``pointer`` (an SMS sender) already has a conversation:
    another message from the same phone won the race to start one. A start
    with a message id seen before returns the conversation it started.
    """
    store = sessions()
    tenant = survey_round.tenant
    version = survey_round.flow_version
    local_id = survey_round.local_questions_id
    flow = flow_for(version.flow_id, version.version, local_id)
    state, replies, events = start(
        flow, channel=channel, locale=choose_locale(tenant, flow.locales, locale),
        country=tenant.country, age_band=age_band, params={"council": tenant.display_name},
        options=engine_options())
    conversation = Conversation(id=store.new_id(), tenant_id=tenant.id, round_id=survey_round.id,
                                channel=channel, flow_id=flow.id, flow_version=flow.version,
                                created=0, updated=0, packed=state.dump(flow), pointer=pointer,
                                local_id=local_id)
    outcome = Outcome(conversation.id, state.status, [r.as_dict() for r in replies])
    if notice is not None:  # kept with the outcome, so a replayed start gets it too
        _add_notice(outcome, notice)
    created = store.create(conversation, message_id, outcome.dump())
    if created == REPLAY:
        return Outcome.load(store.outcome(tenant.id, message_id))
    return outcome if created == CREATED else None


def _add_notice(outcome: Outcome, notice: Callable[[str | None], str]) -> None:
    """The channel's own notice (in the replies' language), before the turn's last reply (its
    question), or after the only one."""
    said = [r for r in outcome.replies if r.get("text")]
    lang = said[-1].get("lang") if said else None
    reply = {"type": "notice", "text": notice(lang), "lang": lang or "en", "dir": "ltr"}
    at = len(outcome.replies) - 1 if len(said) > 1 else len(outcome.replies)
    outcome.replies.insert(at, reply)


def reply(cid: str, tenant_id: int, message_id: str | None, inbound: Any,
          round_id: int | None = None) -> Outcome:
    """Take one message for a conversation; replays of a handled message change nothing.

    With ``round_id`` (the web: the round of the link it came through), a conversation
    of any other round is not found.
    """
    with sessions().turn(cid, tenant_id, message_id) as turn:
        if turn.replayed is not None:
            replayed = Outcome.load(turn.replayed)
            if replayed.conversation != cid:
                raise NotFound(cid)  # that message id belongs to another conversation
            return replayed
        return _answer(turn, tenant_id, inbound, round_id)


def reply_to_sender(pointer: str, tenant_id: int, message_id: str,
                    inbound: Any, language: str | None = None) -> Outcome | None:
    """Take an SMS sender's message in the conversation they are in (None if in none).

    ``language``: the message is that language's keyword; before any answer it
    starts the conversation again in that language (see `_restart_in`), else it is
    an ordinary message. A replay gets its outcome whether or not its conversation
    is still there. Raises NotFound if the pointer leads to a conversation that is gone.
    """
    with sessions().sender_turn(pointer, tenant_id, message_id) as turn:
        if turn.replayed is not None:
            return Outcome.load(turn.replayed)
        if turn.cid is None:
            return None
        restarted = _restart_in(turn, tenant_id, language) if language else None
        return restarted or _answer(turn, tenant_id, inbound)


def _restart_in(turn: Turn, tenant_id: int, locale: str) -> Outcome | None:
    """Start the conversation again in ``locale``, if nothing is answered yet.

    A young person who texts "AR" after the first (English) text gets the start
    again in Arabic: the same conversation, a fresh state. None, changing nothing,
    when something is answered already, the conversation waits at a question that
    chooses the language (the word answers it), it is in ``locale`` already, or
    its flow has no words in ``locale``.
    """
    conversation = turn.conversation
    if conversation is None or conversation.tenant_id != tenant_id:
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
    turn.save(conversation, outcome.dump())
    return outcome


def _answered(flow: Flow, state: State) -> bool:
    """Whether the young person has answered anything but a choice of language."""
    choosing = {n.key for n in flow.questions() if n.sets == "locale"}
    return any(v is not None for k, v in state.answers.items() if k not in choosing)


def _answer(turn: Turn, tenant_id: int, inbound: Any, round_id: int | None = None) -> Outcome:
    conversation = turn.conversation
    if not _belongs(conversation, tenant_id, round_id):
        raise NotFound(turn.cid)
    flow = _flow_of(conversation)
    state = State.load(flow, conversation.packed)
    state, replies, events = advance(flow, state, resume_from(inbound), engine_options())
    return _settle(turn.store, turn, conversation, flow, state, replies, events)


def _belongs(conversation: Conversation | None, tenant_id: int | None,
             round_id: int | None) -> bool:
    """The conversation exists, and is the council's (and the round's, when one is given)."""
    return (conversation is not None
            and (tenant_id is None or conversation.tenant_id == tenant_id)
            and (round_id is None or conversation.round_id == round_id))


def close(cid: str, tenant_id: int | None = None,
          resume: Expire | QuickExit | None = None, round_id: int | None = None) -> Outcome:
    """End a conversation without a message: abandoned (``Expire``, the default) or left by
    the quick-exit button (``QuickExit``). Keeps what can be kept. With ``round_id`` (the
    web: the round of the link it came through), a conversation of another round is not
    found."""
    store = sessions()
    with store.turn(cid) as turn:
        conversation = turn.conversation
        if not _belongs(conversation, tenant_id, round_id):
            raise NotFound(cid)
        flow = _flow_of(conversation)
        state, replies, events = advance(flow, State.load(flow, conversation.packed),
                                         resume or Expire(), engine_options())
        return _settle(store, turn, conversation, flow, state, replies, events)


def _flow_of(conversation: Conversation) -> Flow:
    return flow_for(conversation.flow_id, conversation.flow_version, conversation.local_id)


def worth_keeping(flow: Flow, state: State) -> bool:
    """Complete conversations; unfinished ones only with consent and at least one answer."""
    if state.status == "complete":
        return True
    consented = state.consent is True or not flow.requires_consent
    return (state.status in KEPT and consented
            and any(v is not None for v in state.answers.values()))


def _settle(store: SessionStore, turn: Turn, conversation: Conversation, flow: Flow,
            state: State, replies: tuple[Reply, ...], events: tuple[Event, ...]) -> Outcome:
    outcome = Outcome(conversation.id, state.status, [r.as_dict() for r in replies])
    if not any(isinstance(e, Finished) for e in events):
        conversation.packed = state.dump(flow)
        turn.save(conversation, outcome.dump())
        return outcome
    if conversation.channel == "sms":  # its thread at Twilio goes, once it has ended
        jobs.queue_provider_deletion(conversation.tenant_id)
    if not worth_keeping(flow, state):
        turn.end(conversation, outcome.dump())
        return outcome
    submission_id = secrets.token_hex(16)
    record = transcript(flow, state)
    record.update(submission_id=submission_id, tenant_id=conversation.tenant_id,
                  round_id=conversation.round_id, started_at=conversation.created,
                  finished_at=int(store.clock()))
    turn.end(conversation, outcome.dump(), submission_id,
             json.dumps(record, separators=(",", ":"), ensure_ascii=False))
    jobs.queue_store(submission_id)
    if conversation.pointer and state.status == "complete":
        store.mark_finished(conversation.pointer, conversation.round_id,
                            finished_marker_expiry(conversation.round_id, store.clock()))
    return outcome


def finished_marker_expiry(round_id: int, now: float) -> int:
    """When a round's "finished" markers go: SMS_FINISHED_AFTER_CLOSE after the round
    closes (or after now, if later), at the midnight (UTC) after that: the same moment for
    everyone who finished the round that day or before, so it dates nobody's finish."""
    closes = db.session.scalar(select(SurveyRound.closes_at).where(SurveyRound.id == round_id))
    moment = datetime.fromtimestamp(now, UTC)
    if closes is not None:
        moment = max(moment, closes.astimezone(UTC))
    moment += timedelta(seconds=current_app.config["SMS_FINISHED_AFTER_CLOSE"])
    midnight = datetime(moment.year, moment.month, moment.day, tzinfo=UTC) + timedelta(days=1)
    return int(midnight.timestamp())
