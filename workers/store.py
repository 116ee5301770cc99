"""The job that anonymises a finished conversation and stores it: exactly once.

Runs any number of times for the same submission and stores one response:
the response's primary key is the submission id, so a second insert fails and
is recognised as "already stored". The Redis transcript is deleted only after
the SQL commit, so a worker that dies in between leaves the transcript for the
sweeper to hand to another worker, which then finds the response stored.

A worker stores a hundred or more a second, so the job does as little as it
can: the council's redaction terms are remembered for REDACT_TERMS_TTL seconds
(a term an admin adds applies to responses stored from then on), and the rows
go in as two plain INSERTs rather than through the ORM's unit of work.
"""

from __future__ import annotations

import json
import logging
import time

from flask import current_app
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from chatsurvey.anonymise import AnonymousResponse, anonymise
from chatsurvey.extensions import db, redis_client
from chatsurvey.models import Comment, Response, Tenant
from chatsurvey.sessions import DONE, transcript_key

from .app import job_context

log = logging.getLogger(__name__)

REDACT_TERMS_TTL = 30.0
_TERMS = "chatsurvey.redact_terms"


def response_row(record: AnonymousResponse) -> Response:
    """The SQL rows for an anonymous response (paper entry stores its answers this way too)."""
    response = Response(
        id=record.id, tenant_id=record.tenant_id, round_id=record.round_id,
        flow_id=record.flow_id, flow_version=record.flow_version, survey=record.survey,
        age_band=record.age_band, locale=record.locale, channel=record.channel,
        week=record.week, status=record.status, helped=record.helped, answers=record.answers,
        skipped=record.skipped)
    response.comments = [Comment(key=c.key, text=c.text, found=c.found, flagged=c.flagged)
                         for c in record.comments]
    return response


def _insert(record: AnonymousResponse) -> None:
    """The response and its comments, in the current transaction."""
    row = {column: getattr(record, column) for column in (
        "id", "tenant_id", "round_id", "flow_id", "flow_version", "survey", "age_band",
        "locale", "channel", "week", "status", "helped", "answers", "skipped")}
    db.session.execute(insert(Response), [row])
    if record.comments:
        db.session.execute(insert(Comment), [
            {"response_id": record.id, "key": c.key, "text": c.text, "found": c.found,
             "flagged": c.flagged} for c in record.comments])


def redact_terms(tenant_id: int) -> tuple[str, ...]:
    """The council's own words to redact (local place and school names), briefly remembered."""
    known = current_app.extensions.setdefault(_TERMS, {})
    now = time.monotonic()
    found = known.get(tenant_id)
    if found is None or now - found[0] >= REDACT_TERMS_TTL:
        terms = db.session.scalar(select(Tenant.redact_terms).where(Tenant.id == tenant_id))
        found = known[tenant_id] = (now, tuple(terms or ()))
    return found[1]


def store_response(submission_id: str) -> str:
    """Anonymise and store one finished conversation; returns what happened."""
    with job_context():
        redis = redis_client()
        raw = redis.get(transcript_key(submission_id))
        if raw is None:
            redis.zrem(DONE, submission_id)
            if db.session.get(Response, submission_id) is not None:
                return "already stored"
            log.warning("submission %s: no transcript and no response", submission_id)
            return "nothing to store"
        transcript = json.loads(raw)
        record = anonymise(transcript, redact_terms(transcript["tenant_id"]))
        try:
            _insert(record)
            db.session.commit()
            result = "stored"
        except IntegrityError:
            db.session.rollback()
            if db.session.get(Response, submission_id) is None:
                raise  # not a duplicate: let RQ retry, then keep it in the failed registry
            result = "already stored"
        except Exception:
            db.session.rollback()  # leave the session clean for the retry
            raise
        pipe = redis.pipeline()
        pipe.delete(transcript_key(submission_id))
        pipe.zrem(DONE, submission_id)
        pipe.execute()
        return result
