"""The job that anonymises a finished conversation and stores it: exactly once.

Runs any number of times for the same submission and stores one response:
the response's primary key is the submission id, so a second insert fails and
is recognised as "already stored". The Redis transcript is deleted only after
the SQL commit, so a worker that dies in between leaves the transcript for the
sweeper to hand to another worker, which then finds the response stored.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy.exc import IntegrityError

from chatsurvey.anonymise import AnonymousResponse, anonymise
from chatsurvey.extensions import db, redis_client
from chatsurvey.models import Comment, Response, Tenant
from chatsurvey.sessions import DONE, transcript_key

from .app import job_context

log = logging.getLogger(__name__)


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
        tenant = db.session.get(Tenant, transcript["tenant_id"])
        record = anonymise(transcript, tenant.redact_terms if tenant else ())
        try:
            db.session.add(response_row(record))
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
