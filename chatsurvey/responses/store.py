"""Drain the outbox: anonymise finished conversations and store them, exactly once.

A finished conversation waits in the outbox (a Redis stream per hash-tag
group, chatsurvey/conversations/keyspace.py) under a random submission id.
A worker takes a batch with the streams' consumer group, anonymises each,
inserts them in one transaction in shuffled order, and only after the commit
acknowledges and deletes their entries. Storing is idempotent: the response's
primary key is the submission id, and responses already stored are skipped.

A worker that dies holding a batch leaves its entries pending in the group;
after STORE_CLAIM_AFTER seconds another worker claims and stores them (XAUTOCLAIM).
A batch that fails (the database away) stays with its worker, which tries it
again after STORE_RETRY_SECONDS. A conversation that cannot be anonymised at
all is logged and set aside for a person to look at (`chatsurvey jobs` counts
them; `chatsurvey jobs retry --all` puts them back in the outbox).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time

from flask import current_app
from sqlalchemy import insert, select

from chatsurvey.conversations.keyspace import sessions
from chatsurvey.councils.models import Tenant
from chatsurvey.extensions import db
from chatsurvey.responses.anonymise import AnonymousResponse, anonymise
from chatsurvey.responses.models import Comment, Response
from chatsurvey.rounds.sealing import accepts_responses

log = logging.getLogger(__name__)


def insert_responses(records: list[AnonymousResponse]) -> int:
    """The responses and their comments, in the current transaction (paper entry too).

    A response whose round is sealed (closed more than REPORT_GRACE_DAYS ago) is
    left out: that round's report is final. Returns how many were inserted.
    """
    records = _unsealed(records)
    if not records:
        return 0
    db.session.execute(insert(Response), [
        {column: getattr(record, column) for column in (
            "id", "tenant_id", "round_id", "flow_id", "flow_version", "survey", "age_band",
            "locale", "channel", "week", "day", "status", "helped", "answers", "skipped")}
        for record in records])
    comments = [{"response_id": record.id, "key": c.key, "text": c.text, "found": c.found,
                 "flagged": c.flagged} for record in records for c in record.comments]
    if comments:
        db.session.execute(insert(Comment), comments)
    return len(records)


def _unsealed(records: list[AnonymousResponse]) -> list[AnonymousResponse]:
    """The records whose round still accepts responses (a late one after the seal is dropped;
    the log names the round only, never a response)."""
    accepts = {round_id: accepts_responses(round_id) for round_id in {r.round_id for r in records}}
    for round_id in sorted(r for r, accepted in accepts.items() if not accepted):
        log.info("round %s is sealed: a late response was not stored", round_id)
    return [record for record in records if accepts[record.round_id]]


def redact_terms(tenant_ids: set[int]) -> dict[int, tuple[str, ...]]:
    """The councils' own words to redact (local place and school names)."""
    rows = db.session.execute(select(Tenant.id, Tenant.redact_terms)
                              .where(Tenant.id.in_(tenant_ids)))
    return {tenant_id: tuple(terms or ()) for tenant_id, terms in rows}


def _anonymised(transcript: dict, terms: dict[int, tuple[str, ...]]) -> AnonymousResponse:
    return anonymise(transcript, terms.get(transcript["tenant_id"], ()))


def store_batch(consumer: str, *, own: bool = True, claim: bool = True) -> int:
    """Take one batch from the outbox and store it; how many were taken (0: none waiting).

    ``own``: first what this consumer holds already (after a failure); ``claim``:
    then what a dead worker held. Raises if the batch could not be stored: its
    entries stay with this consumer.
    """
    config = current_app.config
    store = sessions()
    batch, hold_until = [], time.monotonic() + float(config["STORE_HOLD"])
    size = int(config["STORE_BATCH"])
    while True:
        batch += store.take(consumer, size - len(batch),
                            int(float(config["STORE_CLAIM_AFTER"]) * 1000),
                            own=own and not batch, claim=claim and not batch)
        if not batch or len(batch) >= size or time.monotonic() >= hold_until:
            break
        time.sleep(0.05)  # hold: a fuller batch says less about when each one finished
    if not batch:
        return 0
    random.shuffle(batch)
    transcripts = [_read(fields) for _, _, fields in batch]
    terms = redact_terms({t["tenant_id"] for t in transcripts if t is not None})
    records, done = [], []
    for (stream, entry_id, fields), transcript in zip(batch, transcripts, strict=True):
        try:
            if transcript is None:
                raise ValueError("the transcript is not a JSON object with a tenant_id")
            records.append(_anonymised(transcript, terms))
        except Exception:
            log.exception("outbox: a finished conversation could not be anonymised; set "
                          "aside (`chatsurvey jobs`)")  # no id: see docs/security.md
            store.set_aside(stream, entry_id, fields)
            continue
        done.append((stream, entry_id))
    try:
        _insert_new(records)
    except Exception:
        db.session.rollback()
        raise
    store.done(done)
    return len(batch)


def _read(fields: dict) -> dict | None:
    try:
        transcript = json.loads(fields[b"t"])
    except (KeyError, ValueError):
        return None
    return transcript if isinstance(transcript, dict) and "tenant_id" in transcript else None


def _insert_new(records: list[AnonymousResponse]) -> None:
    """Insert the responses not stored yet (all of one batch, or none)."""
    ids = [record.id for record in records]
    stored = set(db.session.scalars(select(Response.id).where(Response.id.in_(ids))))
    new = []
    for record in records:
        if record.id not in stored:  # nor twice in one batch (an entry delivered twice)
            stored.add(record.id)
            new.append(record)
    if new:
        insert_responses(new)
    db.session.commit()


def drain(consumer: str, stop: threading.Event, *, burst: bool = False) -> None:
    """Store batches until ``stop`` is set (``burst``: until the outbox is empty, and a
    batch that cannot be stored raises)."""
    sessions().ensure_outbox()
    claim_every = max(1.0, float(current_app.config["STORE_CLAIM_AFTER"]) / 3)
    failed, next_claim = True, 0.0  # first, anything a worker of this name held before
    while not stop.is_set():
        claim = time.monotonic() >= next_claim  # a dead worker's batch: looked for now and then
        if claim:
            next_claim = time.monotonic() + claim_every
        try:
            taken = store_batch(consumer, own=failed, claim=claim)
            failed = False
        except Exception as exc:
            failed = True
            if burst:
                raise
            log.warning("outbox: batch not stored, will try again: %s",
                        str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            db.session.remove()
            stop.wait(float(current_app.config["STORE_RETRY_SECONDS"]))
            continue
        if taken:
            log.info("outbox: stored a batch of %d", taken)
        elif burst:
            return
        else:
            stop.wait(0.2)
