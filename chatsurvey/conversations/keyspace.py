"""Conversations in progress and finished ones waiting to be stored, in Redis.

This module is the one owner of these keys; nothing else reads or writes them.

Every key carries a hash tag ``{gN}``: the group of the conversation (a web
conversation's id) or of the SMS sender (the council and the keyed hash of
the number), N = crc32 of that name modulo GROUPS. All the keys one step
touches share that tag, so on Redis Cluster they live on one shard and one
script may touch them all; every script is passed every key it touches.

``cs:c:{gN}:{conversation id}``
    A web conversation's record (a hash, below). The id is the young person's
    bearer token.
``cs:s:{gN}:{tenant}:{phone hash}``
    An SMS sender's record: the conversation they are in, found by a keyed
    hash of their number (never the number).
``cs:f:{gN}:{tenant}:{phone hash}:{round}``
    An SMS sender finished this round (so a later "thanks" does not start the
    survey again and count them twice). Holds nothing else and is not linked
    to the response. Every marker of a round expires at the same moment (a
    midnight UTC, SMS_FINISHED_AFTER_CLOSE after the round closes), so its
    expiry dates nobody's finish (see docs/security.md).
``cs:o:{gN}``
    The outbox: a stream of finished conversations waiting to be anonymised
    and stored (fields ``s``, the random submission id, and ``t``, the
    transcript), read by the workers' consumer group ``store``. An entry is
    deleted as soon as its response is committed to SQL.
``cs:sweeper``
    Held (for most of SWEEP_INTERVAL) by the one sweeper sweeping now.
``cs:x:{gN}``
    Finished conversations set aside because they could not be anonymised
    (a bug, logged): a stream like the outbox, until someone retries them.

A record is one string of five lines (a hash would take half as much room
again once a field passes 64 bytes):

1. the version, one more at every save;
2. the conversation id;
3. who it belongs to and when it started and was last answered (a JSON array
   in the order of ``Conversation.META``); once it ended, its council and round
   only;
4. the engine's state (``State.dump``), empty once it ended;
5. the outcome of the last message (id, status, replies) and the ids of the
   few messages before it (JSON), so a message sent again is answered from
   the record and changes nothing.

A turn is two round trips: read the record (GET), then one script that
saves it only if its version is still the one read (compare-and-set; no
lock). On the end, the same script leaves a small record with the outcomes
only (kept ENDED_TTL for replays), and a conversation worth keeping goes
into the outbox in that same step. A STOP saves whatever the version (it
withdraws everything, whatever came in meanwhile).

A record in progress lives for the idle timeout (SESSION_TTL_SMS or
SESSION_TTL_WEB) plus SESSION_GRACE, renewed at each save. The sweeper finds
idle conversations by scanning the record keys and reading their expiry (no
write to a shared index on each turn): one whose time left is under the
grace has been idle past its timeout.
"""

from __future__ import annotations

import secrets
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import orjson
from flask import Flask, current_app
from redis import Redis
from redis.exceptions import ResponseError

EXTENSION = "chatsurvey.sessions"
GROUPS = 16
"""Hash-tag groups; also the number of outbox streams (one per group)."""
STORE_GROUP = "store"
"""The workers' consumer group on every outbox stream."""
SWEEPER_LOCK = "cs:sweeper"
"""Held by the sweeper that is sweeping (one at a time)."""
SEEN = 4
"""Message ids remembered per conversation (the last one with its full outcome)."""
DAY = 24 * 3600


def group(name: str) -> str:
    """The hash tag of everything belonging to ``name`` (a conversation id or a sender)."""
    return f"{{g{zlib.crc32(name.encode('utf-8')) % GROUPS}}}"


def record_key(cid: str) -> str:
    """A web conversation's record."""
    return f"cs:c:{group(cid)}:{cid}"


def pointer_key(tenant_id: int, phone_hash: str) -> str:
    """An SMS sender's record: the conversation they are in, if any."""
    sender = f"{tenant_id}:{phone_hash}"
    return f"cs:s:{group(sender)}:{sender}"


def finished_key(pointer: str, round_id: int) -> str:
    """The marker that the SMS sender behind ``pointer`` finished round ``round_id``."""
    return f"cs:f:{pointer.removeprefix('cs:s:')}:{round_id}"


def outbox_key(index: int) -> str:
    return f"cs:o:{{g{index}}}"


def outbox_keys() -> list[str]:
    return [outbox_key(i) for i in range(GROUPS)]


def aside_key(stream: str) -> str:
    """Where an outbox stream's entries that could not be stored are set aside."""
    return stream.replace("cs:o:", "cs:x:", 1)


def _outbox_of(key: str) -> str:
    """The outbox stream in the same group as a record key."""
    return f"cs:o:{key.split(':', 3)[2]}"


class Busy(RuntimeError):
    """Other messages kept changing the conversation while this one was answered."""


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
    """The SMS sender's record key (None on the web)."""
    local_id: int | None = None
    """The council's local questions the round pinned (chatsurvey/flows/local.py)."""

    META = ("tenant_id", "round_id", "channel", "flow_id", "flow_version", "created",
            "updated", "local_id")

    def meta(self) -> str:
        """Who it belongs to and when it started and was last answered: a JSON array in
        the order of META (names would take more room than the values)."""
        return orjson.dumps([getattr(self, k) for k in self.META]).decode("utf-8")


@dataclass
class Outcomes:
    """The last message's outcome, and the ids of a few messages before it."""

    last: str | None = None
    status: str = ""
    replies: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    older: list[str] = field(default_factory=list[str])

    def find(self, message_id: str | None) -> tuple[str, list[dict[str, Any]]] | None:
        """(status, replies) if this message was handled; older ones get no replies again."""
        if message_id is None:
            return None
        if message_id == self.last:
            return self.status, self.replies
        if message_id in self.older:
            return self.status, []
        return None

    def then(self, message_id: str | None, status: str, replies: list[dict[str, Any]]) -> Outcomes:
        if message_id is None:
            return Outcomes(self.last, status, replies, self.older)
        older = ([self.last] if self.last else []) + self.older
        return Outcomes(message_id, status, replies, older[:SEEN - 1])

    def dump(self) -> bytes:
        return orjson.dumps([self.last, self.status, self.replies, self.older])

    @classmethod
    def load(cls, raw: bytes | None) -> Outcomes:
        return cls(*orjson.loads(raw)) if raw else cls()


@dataclass
class Record:
    """What a read found: the version, the conversation (None once it ended), outcomes,
    and whose it is (council and round, kept after the end for replays)."""

    key: str
    version: int
    cid: str | None
    conversation: Conversation | None
    outcomes: Outcomes
    owner: tuple[int, int] | None = None

    def owned_by(self, tenant_id: int | None, round_id: int | None) -> bool:
        """The record is the council's (and the round's, when one is given)."""
        if self.owner is None:
            return False
        return ((tenant_id is None or self.owner[0] == tenant_id)
                and (round_id is None or self.owner[1] == round_id))


# One script for every write: compare-and-set on the version, then the record, its
# expiry, and on the end the outbox entry and the finished marker, all in one step.
# KEYS: record, outbox stream, finished marker.
# ARGV: 1 version read ('0': there was none; '*': any version, if conversation ARGV[2]
#       is still in progress there: a STOP), 2 conversation id, 3 the record after its
#       version line, 4 seconds to live, 5 submission id ('' = none), 6 transcript,
#       7 when the finished marker goes, unix time ('' = no marker), 8 'EX' (ARGV[4] is
#       seconds) or 'EXAT' (ARGV[4] is a unix time).
# Returns the new version, or 0 if the record changed since it was read.
_SAVE = """
local current = redis.call('GET', KEYS[1])
local v, id, live = 0, nil, ''
if current then
  local found
  found, id, live = string.match(current, '^(%d+)\\n([^\\n]*)\\n[^\\n]*\\n([^\\n]?)')
  v = tonumber(found)
end
if ARGV[1] == '*' then
  if id ~= ARGV[2] or live == '' then return 0 end
elseif v ~= tonumber(ARGV[1]) then
  return 0
end
local next = v + 1
redis.call('SET', KEYS[1], next .. '\\n' .. ARGV[3], ARGV[8], ARGV[4])
if ARGV[5] ~= '' then redis.call('XADD', KEYS[2], '*', 's', ARGV[5], 't', ARGV[6]) end
if ARGV[7] ~= '' then redis.call('SET', KEYS[3], '1', 'EXAT', ARGV[7]) end
return next
"""
ANY = "*"


class SessionStore:
    """Redis-backed conversations and the outbox (see the module docstring for every key)."""

    def __init__(self, redis: Redis, *, ttl_sms: int, ttl_web: int, grace: int, ended_ttl: int,
                 clock: Callable[[], float] = time.time) -> None:
        self.redis = redis  # redis-py leaves pipeline()'s shard_hint untyped: hence the ignores
        self.ttl_sms, self.ttl_web, self.grace, self.ended_ttl = ttl_sms, ttl_web, grace, ended_ttl
        self.clock = clock
        self._save = redis.register_script(_SAVE)

    def ttl(self, channel: str) -> int:
        """How long a conversation may stay idle before it counts as abandoned."""
        return self.ttl_sms if channel == "sms" else self.ttl_web

    @staticmethod
    def new_id() -> str:
        """A new conversation id; for the web it is also the young person's bearer token."""
        return secrets.token_urlsafe(18)

    # -- records --

    def read(self, key: str) -> Record:
        """The record at ``key`` (version 0 and no conversation if there is none)."""
        raw = cast(bytes | None, self.redis.get(key))
        if raw is None:
            return Record(key, 0, None, None, Outcomes())
        version, cid, meta, packed, outcomes = raw.decode("utf-8").split("\n", 4)
        fields = orjson.loads(meta)
        conversation = None
        if packed:
            conversation = Conversation(
                id=cid, packed=packed, pointer=key if key.startswith("cs:s:") else None,
                **dict(zip(Conversation.META, fields, strict=True)))
        return Record(key, int(version), cid, conversation, Outcomes.load(outcomes.encode()),
                      (fields[0], fields[1]))

    def find(self, pointer: str) -> str | None:
        """The id of the conversation an SMS sender is in, if any."""
        found = self.read(pointer).conversation
        return found.id if found else None

    def save(self, record: Record, conversation: Conversation, outcomes: Outcomes,
             *, force: bool = False) -> bool:
        """Keep the conversation's new state, if the record is still as read (or ``force``:
        whatever its version, while that conversation is in progress there)."""
        conversation.updated = int(self.clock())
        return self._write(record, conversation.id, conversation.meta(), conversation.packed,
                           outcomes, self.ttl(conversation.channel) + self.grace, force=force)

    def end(self, record: Record, conversation: Conversation, outcomes: Outcomes, *,
            force: bool = False, submission_id: str | None = None,
            transcript: str | None = None, finished: str | None = None,
            finished_until: int | None = None) -> bool:
        """End the conversation: keep only whose it was and its outcomes (for replays),
        and with a transcript, put it in the outbox in the same step; ``finished``: the
        SMS sender's finished marker to set, until ``finished_until`` (unix time: the same
        for everyone who finished the round, so it dates nobody's finish).

        What is kept carries no time, and goes ENDED_TTL after the next midnight (UTC),
        the same moment for every conversation that ended that day: its expiry says
        only the day the conversation ended.
        """
        owner = orjson.dumps([conversation.tenant_id, conversation.round_id]).decode("utf-8")
        now = int(self.clock())
        until = now - now % DAY + DAY + self.ended_ttl
        return self._write(record, conversation.id, owner, "", outcomes, until, at=True,
                           force=force,
                           submission_id=submission_id or "", transcript=transcript or "",
                           finished=finished, finished_until=finished_until)

    def _write(self, record: Record, cid: str, meta: str, packed: str, outcomes: Outcomes,
               ttl: int, *, at: bool = False, force: bool, submission_id: str = "",
               transcript: str = "",
               finished: str | None = None, finished_until: int | None = None) -> bool:
        key = record.key
        body = "\n".join((cid, meta, packed, outcomes.dump().decode("utf-8")))
        version = self._save(
            keys=[key, _outbox_of(key), finished or f"{key}:-"],
            args=[ANY if force else record.version, cid, body, ttl, submission_id, transcript,
                  str(finished_until) if finished and finished_until else "",
                  "EXAT" if at else "EX"])
        if not version:
            return False
        record.version = int(version)
        return True

    def finished(self, pointer: str, round_id: int) -> bool:
        """Did this SMS sender finish that round (within the marker's lifetime)?"""
        return bool(self.redis.exists(finished_key(pointer, round_id)))

    # -- idle conversations, for the sweeper and the flow editor --

    def _scan(self, pattern: str) -> Iterator[str]:
        # redis-py leaves scan_iter's **kwargs untyped; its keys are bytes (or str, decoded).
        keys = cast(Iterator[bytes | str], self.redis.scan_iter(  # pyright: ignore[reportUnknownMemberType]
            match=pattern, count=1000, _type="STRING"))
        for key in keys:
            yield key.decode("utf-8") if isinstance(key, bytes) else key

    def records(self) -> Iterator[list[str]]:
        """Every record key, in batches."""
        batch: list[str] = []
        for pattern in ("cs:c:*", "cs:s:*"):
            for key in self._scan(pattern):
                batch.append(key)
                if len(batch) >= 500:
                    yield batch
                    batch = []
        if batch:
            yield batch

    def due(self) -> list[str]:
        """Record keys of conversations idle past their timeout (for the sweeper).

        A record in progress lives for its idle timeout plus the grace, renewed at
        each save; one with less than the grace left has been idle too long.
        """
        found: list[str] = []
        for batch in self.records():
            pipe = self.redis.pipeline(transaction=False)  # pyright: ignore[reportUnknownMemberType]
            for key in batch:
                pipe.ttl(key)
            idle = [key for key, ttl in zip(batch, pipe.execute(), strict=True)
                    if 0 <= ttl < self.grace]
            found += [key for key in idle if self.read(key).conversation is not None]
        return found

    def touch_finished(self) -> int:
        """Touch every finished marker, so that Redis's own idle time (OBJECT IDLETIME) no
        longer tells who finished when: after a sweep the markers' idle times differ only
        by the scan's order, which follows their hash, not time. Returns how many."""
        touched = 0
        batch: list[str] = []
        for key in self._scan("cs:f:*"):
            batch.append(key)
            if len(batch) >= 500:
                touched += self._touch(batch)
                batch = []
        return touched + (self._touch(batch) if batch else 0)

    def _touch(self, keys: list[str]) -> int:
        pipe = self.redis.pipeline(transaction=False)  # pyright: ignore[reportUnknownMemberType]
        for key in keys:  # one key a command: on Redis Cluster the keys live on many shards
            pipe.touch(key)
        return sum(cast(list[int], pipe.execute()))

    def running(self) -> Iterator[Conversation]:
        """Every conversation in progress (a scan: for counts, not for a turn)."""
        for batch in self.records():
            for key in batch:
                found = self.read(key).conversation
                if found is not None:
                    yield found

    # -- the outbox --

    def ensure_outbox(self) -> None:
        """The workers' consumer group on every outbox stream (made once; harmless again)."""
        for key in outbox_keys():
            try:
                self.redis.xgroup_create(key, STORE_GROUP, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    def take(self, consumer: str, count: int, idle_ms: int, *, own: bool = True,
             claim: bool = True) -> list[tuple[str, str, dict[bytes, bytes]]]:
        """Up to ``count`` waiting conversations for ``consumer``: (stream, entry id, fields).

        First (``own``) what this consumer already holds (a batch it failed to store),
        then (``claim``) entries a consumer has held for ``idle_ms`` without storing
        them (it died), then new ones.
        """
        taken: list[tuple[str, str, dict[bytes, bytes]]] = []

        def add(stream: str, entries: list[Any]) -> None:
            for entry_id, fields in entries:
                if fields:  # deleted meanwhile: stored by someone else
                    taken.append((stream, _text(entry_id), fields))

        steps = ("0",) * own + ("claim",) * claim + (">",)
        for reads in steps:
            for stream in outbox_keys():
                room = count - len(taken)
                if room <= 0:
                    return taken
                if reads == "claim":
                    claimed: list[Any] = self.redis.xautoclaim(
                        stream, STORE_GROUP, consumer, idle_ms, "0-0", count=room)
                    add(stream, claimed[1])
                    continue
                found = cast(list[Any], self.redis.xreadgroup(STORE_GROUP, consumer,
                                                         {stream: reads}, count=room))
                for _, entries in found or ():
                    add(stream, entries)
        return taken

    def done(self, entries: list[tuple[str, str]]) -> None:
        """Forget outbox entries (stream, entry id) whose responses are committed."""
        by_stream: dict[str, list[str]] = {}
        for stream, entry_id in entries:
            by_stream.setdefault(stream, []).append(entry_id)
        pipe = self.redis.pipeline(transaction=False)  # pyright: ignore[reportUnknownMemberType]
        for stream, ids in by_stream.items():
            pipe.xack(stream, STORE_GROUP, *ids)
            pipe.xdel(stream, *ids)
        pipe.execute()

    def set_aside(self, stream: str, entry_id: str, fields: dict[bytes, bytes]) -> None:
        """Move an entry that cannot be stored out of the outbox, for a person to look at."""
        # Both keys in one group: one transaction on a cluster too.
        pipe = self.redis.pipeline()  # pyright: ignore[reportUnknownMemberType]
        pipe.xadd(aside_key(stream), cast(dict[Any, Any], fields))  # redis-py: an invariant Dict
        pipe.xack(stream, STORE_GROUP, entry_id)
        pipe.xdel(stream, entry_id)
        pipe.execute()

    def put_back(self) -> int:
        """Every entry set aside goes back into the outbox; how many."""
        moved = 0
        for stream in outbox_keys():
            for entry_id, fields in self._entries(aside_key(stream)):
                pipe = self.redis.pipeline()  # pyright: ignore[reportUnknownMemberType]
                pipe.xadd(stream, cast(dict[Any, Any], fields))
                pipe.xdel(aside_key(stream), entry_id)
                pipe.execute()
                moved += 1
        return moved

    def _entries(self, stream: str) -> list[tuple[bytes, dict[bytes, bytes]]]:
        """Every entry of a stream, as redis-py answers (bytes)."""
        return cast(list[tuple[bytes, dict[bytes, bytes]]], self.redis.xrange(stream))

    def waiting_submissions(self) -> set[str]:
        """Submission ids of finished conversations not yet stored (in the outbox or set
        aside): their responses must keep the id they will be stored under."""
        found: set[str] = set()
        for key in outbox_keys():
            for stream in (key, aside_key(key)):
                for _, fields in self._entries(stream):
                    value = fields.get(b"s")
                    if value:
                        found.add(_text(value))
        return found

    def waiting(self) -> tuple[int, int]:
        """Finished conversations not yet stored: in the outbox, and set aside."""
        pipe = self.redis.pipeline(transaction=False)  # pyright: ignore[reportUnknownMemberType]
        for key in outbox_keys():
            pipe.xlen(key)
            pipe.xlen(aside_key(key))
        counts = pipe.execute()
        return sum(counts[0::2]), sum(counts[1::2])


def _text(value: Any) -> str:
    return value.decode("ascii") if isinstance(value, bytes) else str(value)


def init_app(app: Flask) -> None:
    from chatsurvey.extensions import redis_client

    config = cast(Mapping[str, Any], app.config)  # Flask's Config: an untyped dict
    app.extensions[EXTENSION] = SessionStore(
        redis_client(app), ttl_sms=config["SESSION_TTL_SMS"], ttl_web=config["SESSION_TTL_WEB"],
        grace=config["SESSION_GRACE"], ended_ttl=config["ENDED_TTL"])


def sessions() -> SessionStore:
    """The current app's SessionStore (made at first use when the app started without Redis)."""
    if current_app.extensions.get(EXTENSION) is None:
        init_app(current_app)
    return current_app.extensions[EXTENSION]
