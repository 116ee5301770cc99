"""The job that anonymises finished conversations and stores them: exactly once.

Runs any number of times for the same submission and stores one response:
the response's primary key is the submission id, so a second insert fails and
is recognised as "already stored". The Redis transcript is deleted only after
the SQL commit, so a worker that dies in between leaves the transcript for the
sweeper to hand to another worker, which then finds the response stored.

Batches: a job stores its own conversation together with up to STORE_BATCH - 1
others waiting in ``cs:done``, each claimed first (``cs:k:{submission id}``,
CLAIM_TTL) so two workers do not take the same ones. After the commit, in one
Redis transaction, their transcripts go and their own jobs leave the queue
(a job already taken by a worker finds its response stored); the record of a
job taken off the queue expires after DRAINED_JOB_TTL. If anything in a
batch was stored meanwhile by another worker, the batch is given up and the
job stores its own conversation alone. A worker that dies holding claims
leaves everything as it was: the claims expire and the jobs are still queued.

The job does as little else as it can: the council's redaction terms are
remembered for REDACT_TERMS_TTL seconds (a term an admin adds applies to
responses stored from then on), and rows go in as plain multi-row INSERTs
rather than through the ORM's unit of work.
"""

from __future__ import annotations

import json
import logging
import time

from flask import current_app
from rq.job import Job
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from chatsurvey import jobs
from chatsurvey.conversations.keyspace import DONE, transcript_key
from chatsurvey.councils.models import Tenant
from chatsurvey.extensions import db, redis_client
from chatsurvey.responses.anonymise import AnonymousResponse, anonymise
from chatsurvey.responses.models import Comment, Response
from chatsurvey.rounds.sealing import accepts_responses

log = logging.getLogger(__name__)

REDACT_TERMS_TTL = 30.0
_TERMS = "chatsurvey.redact_terms"
CLAIM_TTL = 60
"""Seconds a claim on a waiting conversation lasts: far longer than a batch takes."""
DRAINED_JOB_TTL = 600
"""Seconds the record of a job taken off the queue (its conversation stored in a batch) stays."""


def claim_key(submission_id: str) -> str:
    return f"cs:k:{submission_id}"


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
    """The records whose round still accepts responses (a late one after the seal is dropped)."""
    accepts = {round_id: accepts_responses(round_id) for round_id in {r.round_id for r in records}}
    for record in records:
        if not accepts[record.round_id]:
            log.info("submission %s: round %s is sealed, not stored", record.id, record.round_id)
    return [record for record in records if accepts[record.round_id]]


def redact_terms(tenant_id: int) -> tuple[str, ...]:
    """The council's own words to redact (local place and school names), briefly remembered."""
    known = current_app.extensions.setdefault(_TERMS, {})
    now = time.monotonic()
    found = known.get(tenant_id)
    if found is None or now - found[0] >= REDACT_TERMS_TTL:
        terms = db.session.scalar(select(Tenant.redact_terms).where(Tenant.id == tenant_id))
        found = known[tenant_id] = (now, tuple(terms or ()))
    return found[1]


def _claim_waiting(redis, own: str, limit: int) -> list[tuple[str, bytes]]:
    """Up to ``limit`` other waiting conversations, claimed for this job, with their transcripts."""
    if limit <= 0:
        return []
    candidates = [c.decode("ascii") for c in redis.zrange(DONE, 0, 2 * limit)]
    candidates = [c for c in candidates if c != own][:limit]
    if not candidates:
        return []
    pipe = redis.pipeline(transaction=False)
    for candidate in candidates:
        pipe.set(claim_key(candidate), own, nx=True, ex=CLAIM_TTL)
    claimed = [c for c, ok in zip(candidates, pipe.execute(), strict=True) if ok]
    if not claimed:
        return []
    raws = redis.mget([transcript_key(c) for c in claimed])
    gone = [c for c, raw in zip(claimed, raws, strict=True) if raw is None]
    if gone:  # stored meanwhile by their own jobs
        redis.delete(*[claim_key(c) for c in gone])
    return [(c, raw) for c, raw in zip(claimed, raws, strict=True) if raw is not None]


def _anonymised(raw: bytes) -> AnonymousResponse:
    transcript = json.loads(raw)
    return anonymise(transcript, redact_terms(transcript["tenant_id"]))


def _store_one(submission_id: str, record: AnonymousResponse) -> str:
    try:
        inserted = insert_responses([record])
        db.session.commit()
        return "stored" if inserted else "not stored: its round is sealed"
    except IntegrityError:
        db.session.rollback()
        if db.session.get(Response, submission_id) is None:
            raise  # not a duplicate: let RQ retry, then keep it in the failed registry
        return "already stored"
    except Exception:
        db.session.rollback()  # leave the session clean for the retry
        raise


def store_response(submission_id: str) -> str:
    """Anonymise and store one finished conversation (and others waiting); what happened."""
    redis = redis_client()
    raw = redis.get(transcript_key(submission_id))
    if raw is None:
        redis.zrem(DONE, submission_id)
        if db.session.get(Response, submission_id) is not None:
            return "already stored"
        log.warning("a store job found no transcript and no response")  # no id: see mixing
        return "nothing to store"
    record = _anonymised(raw)
    others, records = [], [record]
    for other, other_raw in _claim_waiting(redis, submission_id,
                                           int(current_app.config["STORE_BATCH"]) - 1):
        try:
            records.append(_anonymised(other_raw))
            others.append((other, other_raw))
        except Exception:  # its own job will fail on it, visibly; not ours
            log.exception("a finished conversation could not be anonymised in a batch")
            redis.delete(claim_key(other))
    stored = [submission_id]
    try:
        if others:
            try:
                insert_responses(records)
                db.session.commit()
                stored += [other for other, _ in others]
                result = f"stored, with {len(others)} more"
            except IntegrityError:  # one was stored meanwhile: keep to our own
                db.session.rollback()
                result = _store_one(submission_id, record)
        else:
            result = _store_one(submission_id, record)
    except Exception:
        db.session.rollback()
        if others:
            redis.delete(*[claim_key(other) for other, _ in others])
        raise
    pipe = redis.pipeline()  # one transaction: all of it, or none of it
    store_queue = jobs.queue(jobs.STORE)
    drained = [jobs.store_job_id(other) for other in stored[1:]]
    for job_id in drained:
        store_queue.remove(job_id, pipeline=pipe)
    pipe.delete(*[transcript_key(s) for s in stored])
    pipe.zrem(DONE, *stored)
    if others:
        pipe.delete(*[claim_key(other) for other, _ in others])
    removed = pipe.execute()[:len(drained)]
    # A job taken off the queue will never run: its record goes in a while. (One
    # not on the queue is running, waiting to retry or failed: RQ keeps that.)
    off_queue = [job_id for job_id, count in zip(drained, removed, strict=True) if count]
    if off_queue:
        pipe = redis.pipeline(transaction=False)
        for job_id in off_queue:
            pipe.expire(Job.key_for(job_id), DRAINED_JOB_TTL)
        pipe.execute()
    return result
