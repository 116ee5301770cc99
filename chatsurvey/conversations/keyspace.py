"""Conversations in progress, in Redis: one compact record each, locked per turn.

Key patterns (``cs:`` prefix), what each holds, and how long it lives:

``cs:c:{id}``
    The conversation: a JSON line of metadata, a newline, then the engine
    state's serialised form (``State.dump``). Lives for the idle timeout
    (SESSION_TTL_SMS or SESSION_TTL_WEB) plus SESSION_GRACE, renewed each turn.
``cs:p:{tenant}:{phone hash}``
    The id of an SMS conversation, found by a keyed hash of the sender's
    number (never the number). Lives as long as the conversation.
``cs:l:{id}``
    The turn lock: a random token. LOCK_TTL_MS.
``cs:m:{tenant}:{message id}``
    The outcome of a message already handled (Twilio MessageSid, or the
    widget's message id), returned again for a replay. DEDUP_TTL (48 h).
``cs:idle``
    Sorted set of conversation ids, scored by when each counts as abandoned.
    Until the conversation ends.
``cs:t:{submission id}``
    A finished conversation's transcript waiting to be anonymised and stored.
    No TTL: deleted only after it is committed to SQL.
``cs:done``
    Sorted set of submission ids, scored by when they finished. Until stored.
``cs:k:{submission id}``
    A store job's claim on a finished transcript it is storing with its own
    (a batch, see chatsurvey/responses/store.py). CLAIM_TTL there (60 s).
``cs:f:{tenant}:{round}``
    The SMS senders (phone hashes) who finished this round, so a later "thanks"
    does not start the survey again and count them twice. One sorted set per
    round, every score 0: Redis keeps it in the members' own order, never in
    the order they finished, and the set has one expiry, the same for every
    member (SMS_FINISHED_AFTER_CLOSE after the round closes, at a midnight
    UTC). So it says who took part in a round, never when, and nothing about
    which response is theirs (see docs/security.md).

Every turn costs two round trips: one that takes the lock and reads the record
and the de-duplication key, and one script that writes the new record (or the
finished transcript), the de-duplication key and releases the lock — only if
the lock is still ours, so a turn that overran its lock can never overwrite a
newer one. A web turn's first trip is a pipeline; an SMS turn's is a script
that also follows the sender's pointer to the conversation (it reads keys it
finds, so it needs a single Redis server, not Redis Cluster). A conversation
outlives its idle timeout by SESSION_GRACE so the sweeper can keep an
abandoned conversation's answers.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields

import orjson
from flask import Flask, current_app
from redis import Redis

EXTENSION = "chatsurvey.sessions"
IDLE = "cs:idle"
DONE = "cs:done"


def record_key(cid: str) -> str:
    return f"cs:c:{cid}"


def pointer_key(tenant_id: int, phone_hash: str) -> str:
    return f"cs:p:{tenant_id}:{phone_hash}"


def finished_key(tenant_id: int | str, round_id: int) -> str:
    """The set of SMS senders who finished round ``round_id`` (by phone hash)."""
    return f"cs:f:{tenant_id}:{round_id}"


def _sender(pointer: str) -> tuple[str, str]:
    """(tenant id, phone hash) of an SMS sender's pointer key."""
    tenant, _, phone = pointer.removeprefix("cs:p:").partition(":")
    return tenant, phone


def lock_key(cid: str) -> str:
    return f"cs:l:{cid}"


def seen_key(tenant_id: int, message_id: str) -> str:
    return f"cs:m:{tenant_id}:{message_id}"


def transcript_key(submission_id: str) -> str:
    return f"cs:t:{submission_id}"


RACE, CREATED, REPLAY = 0, 1, 2


class Busy(RuntimeError):
    """Another turn of the same conversation held the lock for too long."""


class LockLost(RuntimeError):
    """The turn took longer than its lock; nothing was written (the sender should retry)."""


@dataclass
class Conversation:
    """One conversation in progress: who it belongs to and its serialised engine state."""

    id: str
    tenant_id: int
    round_id: int
    channel: str
    flow_id: str
    flow_version: int
    created: int
    updated: int
    packed: str
    pointer: str | None = None
    local_id: int | None = None
    """The council's local questions the round pinned (chatsurvey/flows/local.py)."""

    def dump(self) -> str:
        meta = {k: getattr(self, k) for k in self.META}
        return orjson.dumps(meta).decode("utf-8") + "\n" + self.packed

    @classmethod
    def load(cls, cid: str, raw: bytes) -> Conversation:
        meta, _, packed = raw.decode("utf-8").partition("\n")
        return cls(id=cid, packed=packed, **orjson.loads(meta))


Conversation.META = tuple(f.name for f in fields(Conversation) if f.name not in ("id", "packed"))


# Scripts run atomically in Redis; each first checks that the caller still holds the lock.
_CREATE = """
if ARGV[7] == '1' and redis.call('EXISTS', KEYS[4]) == 1 then return 2 end
if ARGV[6] == '1' and redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
if ARGV[6] == '1' then redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[2]) end
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3])
if ARGV[7] == '1' then redis.call('SET', KEYS[4], ARGV[5], 'EX', ARGV[8]) end
return 1
"""
_SAVE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
if ARGV[8] == '1' then redis.call('EXPIRE', KEYS[5], ARGV[3]) end
redis.call('ZADD', KEYS[4], ARGV[6], ARGV[7])
if ARGV[9] == '1' then redis.call('SET', KEYS[3], ARGV[4], 'EX', ARGV[5]) end
redis.call('DEL', KEYS[1])
return 1
"""
_END = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[6] ~= '' then
  redis.call('SET', KEYS[6], ARGV[6])
  redis.call('ZADD', KEYS[7], ARGV[8], ARGV[7])
end
redis.call('DEL', KEYS[2])
if ARGV[9] == '1' and redis.call('GET', KEYS[5]) == ARGV[5] then redis.call('DEL', KEYS[5]) end
redis.call('ZREM', KEYS[4], ARGV[5])
if ARGV[10] == '1' then redis.call('SET', KEYS[3], ARGV[2], 'EX', ARGV[3]) end
redis.call('DEL', KEYS[1])
return 1
"""
_OPEN_SENDER = """
local seen = redis.call('GET', KEYS[2])
local cid = redis.call('GET', KEYS[1])
if not cid then return {false, 0, false, seen} end
local locked = 0
if redis.call('SET', ARGV[3] .. cid, ARGV[1], 'NX', 'PX', ARGV[2]) then locked = 1 end
return {cid, locked, redis.call('GET', ARGV[4] .. cid), seen}
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Turn:
    """One turn on one conversation, holding its lock until it is saved, ended or left."""

    def __init__(self, store: SessionStore, cid: str | None, seen: str | None, token: str,
                 conversation: Conversation | None, replayed: str | None) -> None:
        self.store = store
        self.cid = cid
        self.seen = seen
        self.token = token
        self.conversation = conversation
        self.replayed = replayed
        """The stored outcome when this message was already handled (a replay)."""
        self.done = False

    def save(self, conversation: Conversation, outcome: str) -> None:
        """Keep the conversation's new state and this message's outcome."""
        store = self.store
        conversation.updated = int(store.clock())
        ttl = store.ttl(conversation.channel)
        ok = store._save(
            keys=[lock_key(self.cid), record_key(self.cid), self.seen or "-", IDLE,
                  conversation.pointer or "-"],
            args=[self.token, conversation.dump(), ttl + store.grace, outcome, store.dedup_ttl,
                  conversation.updated + ttl, self.cid, int(bool(conversation.pointer)),
                  int(bool(self.seen))])
        self._finish(ok)

    def end(self, conversation: Conversation, outcome: str, submission_id: str | None = None,
            transcript: str | None = None) -> None:
        """Remove the conversation; with a transcript, hand it over to be stored."""
        store = self.store
        ok = store._end(
            keys=[lock_key(self.cid), record_key(self.cid), self.seen or "-", IDLE,
                  conversation.pointer or "-", transcript_key(submission_id or "-"), DONE],
            args=[self.token, outcome, store.dedup_ttl, "", self.cid, transcript or "",
                  submission_id or "", int(store.clock()), int(bool(conversation.pointer)),
                  int(bool(self.seen))])
        self._finish(ok)

    def _finish(self, ok: int) -> None:
        self.done = True
        if not ok:
            raise LockLost(f"conversation {self.cid}: the turn outlived its lock")


class SessionStore:
    """Redis-backed conversations (see the module docstring for every key)."""

    def __init__(self, redis: Redis, *, ttl_sms: int, ttl_web: int, grace: int, dedup_ttl: int,
                 lock_ms: int, lock_wait: float, clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self.ttl_sms, self.ttl_web, self.grace = ttl_sms, ttl_web, grace
        self.dedup_ttl, self.lock_ms, self.lock_wait = dedup_ttl, lock_ms, lock_wait
        self.clock = clock
        self._create = redis.register_script(_CREATE)
        self._save = redis.register_script(_SAVE)
        self._end = redis.register_script(_END)
        self._release = redis.register_script(_RELEASE)
        self._open_sender = redis.register_script(_OPEN_SENDER)

    def ttl(self, channel: str) -> int:
        """How long a conversation may stay idle before it counts as abandoned; WhatsApp as SMS."""
        return self.ttl_web if channel == "web" else self.ttl_sms

    @staticmethod
    def new_id() -> str:
        """A new conversation id; for the web it is also the young person's bearer token."""
        return secrets.token_urlsafe(18)

    def find(self, pointer: str) -> str | None:
        """The id of the conversation a pointer (an SMS sender) is in, if any."""
        found = self.redis.get(pointer)
        return found.decode("ascii") if found else None

    def outcome(self, tenant_id: int, message_id: str) -> str | None:
        """The stored outcome of a message already handled."""
        found = self.redis.get(seen_key(tenant_id, message_id))
        return found.decode("utf-8") if found else None

    def create(self, conversation: Conversation, message_id: str | None, outcome: str) -> int:
        """Store a new conversation: CREATED, or RACE if its SMS sender already has one,
        or REPLAY if this message id already started one."""
        ttl = self.ttl(conversation.channel)
        conversation.created = conversation.updated = int(self.clock())
        seen = seen_key(conversation.tenant_id, message_id) if message_id else "-"
        return int(self._create(
            keys=[record_key(conversation.id), conversation.pointer or "-", IDLE, seen],
            args=[conversation.dump(), ttl + self.grace, conversation.id,
                  conversation.updated + ttl, outcome, int(bool(conversation.pointer)),
                  int(bool(message_id)), self.dedup_ttl]))

    @contextmanager
    def turn(self, cid: str, tenant_id: int | None = None,
             message_id: str | None = None) -> Iterator[Turn]:
        """Lock a conversation for one turn; see Turn. Raises Busy if it stays locked."""
        seen = seen_key(tenant_id, message_id) if message_id and tenant_id is not None else None

        def attempt(token: str) -> tuple:
            pipe = self.redis.pipeline(transaction=False)
            pipe.set(lock_key(cid), token, nx=True, px=self.lock_ms)
            pipe.get(record_key(cid))
            if seen:
                pipe.get(seen)
            locked, raw, *rest = pipe.execute()
            return cid, locked, raw, rest[0] if rest else None

        with self._locked(attempt, seen) as turn:
            yield turn

    @contextmanager
    def sender_turn(self, pointer: str, tenant_id: int, message_id: str) -> Iterator[Turn]:
        """Lock the conversation an SMS sender is in, found by its pointer in the same round
        trip. ``turn.cid`` is None when the sender is in none (``turn.replayed`` may still
        hold the outcome of this message: it ended the conversation)."""
        seen = seen_key(tenant_id, message_id)
        prefixes = [lock_key(""), record_key("")]

        def attempt(token: str) -> tuple:
            found, locked, raw, stored = self._open_sender(
                keys=[pointer, seen], args=[token, self.lock_ms, *prefixes])
            return found.decode("ascii") if found else None, locked, raw, stored

        with self._locked(attempt, seen) as turn:
            yield turn

    @contextmanager
    def _locked(self, attempt: Callable[[str], tuple], seen: str | None) -> Iterator[Turn]:
        """Run ``attempt`` (lock, read) until it locks, finds a replay or finds nothing."""
        token = secrets.token_hex(8)
        deadline = time.monotonic() + self.lock_wait
        while True:
            cid, locked, raw, stored = attempt(token)
            if locked or stored is not None or cid is None:
                break
            if time.monotonic() > deadline:
                raise Busy(f"conversation {cid} is busy")
            time.sleep(0.01)
        turn = Turn(self, cid, seen, token, Conversation.load(cid, raw) if raw else None,
                    stored.decode("utf-8") if stored is not None else None)
        try:
            yield turn
        finally:
            if locked and not turn.done:
                self._release(keys=[lock_key(cid)], args=[token])

    def due(self, now: float | None = None, limit: int = 500) -> list[str]:
        """Conversations idle past their timeout, oldest first (for the sweeper)."""
        now = self.clock() if now is None else now
        return [c.decode("ascii") for c in
                self.redis.zrangebyscore(IDLE, "-inf", now, start=0, num=limit)]

    def mark_finished(self, pointer: str, round_id: int, expire_at: int) -> None:
        """Remember that the SMS sender behind ``pointer`` finished the round, until
        ``expire_at`` (unix time: the same for the whole round, see the module docstring)."""
        tenant, phone = _sender(pointer)
        key = finished_key(tenant, round_id)
        pipe = self.redis.pipeline()
        pipe.zadd(key, {phone: 0})
        pipe.expireat(key, expire_at)
        pipe.execute()

    def has_finished(self, pointer: str, round_id: int) -> bool:
        """Whether the SMS sender behind ``pointer`` finished the round already."""
        tenant, phone = _sender(pointer)
        return self.redis.zscore(finished_key(tenant, round_id), phone) is not None

    def forget_idle(self, cid: str) -> None:
        """Drop an idle entry whose conversation no longer exists."""
        self.redis.zrem(IDLE, cid)


def init_app(app: Flask) -> None:
    from chatsurvey.extensions import redis_client

    config = app.config
    app.extensions[EXTENSION] = SessionStore(
        redis_client(app), ttl_sms=config["SESSION_TTL_SMS"], ttl_web=config["SESSION_TTL_WEB"],
        grace=config["SESSION_GRACE"], dedup_ttl=config["DEDUP_TTL"],
        lock_ms=config["LOCK_TTL_MS"], lock_wait=config["LOCK_WAIT_SECONDS"])


def sessions() -> SessionStore:
    """The current app's SessionStore (made at first use when the app started without Redis)."""
    if current_app.extensions.get(EXTENSION) is None:
        init_app(current_app)
    return current_app.extensions[EXTENSION]
