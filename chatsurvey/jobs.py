"""Scheduled background work (RQ), with JSON payloads only — never pickle.

RQ runs what is asked for at a time: invitations, reminders and deleting finished texts at
Twilio. Finished
conversations do not go through RQ: they wait in the outbox, a Redis stream
the workers drain (chatsurvey/responses/store.py). Jobs carry nothing but
ids; the functions they run live in `workers/`.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime

from flask import Flask, current_app
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from rq.serializers import JSONSerializer

from chatsurvey.extensions import has_redis, redis_client

EXTENSION = "chatsurvey.queues"
SEND = "send"
"""Invitations and reminders to send by SMS, and finished SMS threads to delete at Twilio."""
FAILURE_TTL = 365 * 24 * 3600


def _make_queues(app: Flask) -> dict[str, Queue]:
    connection = redis_client(app)
    return {SEND: Queue(SEND, connection=connection, serializer=JSONSerializer,
                        is_async=app.config.get("JOBS_ASYNC", True))}


def init_app(app: Flask) -> None:
    """The queues, made now when Redis is configured, else at first use (which then says
    REDIS_URL is not set)."""
    app.extensions[EXTENSION] = _make_queues(app) if has_redis(app) else None


def queue(name: str) -> Queue:
    queues = current_app.extensions[EXTENSION]
    if queues is None:
        queues = current_app.extensions[EXTENSION] = _make_queues(current_app)
    return queues[name]


def queue_provider_deletion(tenant_id: int, delay: int | None = None) -> None:
    """Ask a worker to delete the council's finished SMS threads at Twilio, PROVIDER_DELETE_AFTER
    seconds from now (or ``delay``): one job a minute per council, however many ask.

    The job names the council and the minute, nothing about anyone
    (chatsurvey/channels/sms/deletion.py)."""
    config = current_app.config
    delay = config["PROVIDER_DELETE_AFTER"] if delay is None else delay
    minute = int(datetime.now(UTC).timestamp() + delay) // 60 + 1
    intervals = list(config["PROVIDER_DELETE_RETRY_INTERVALS"])
    with suppress(DuplicateJobError):
        queue(SEND).enqueue_at(
            datetime.fromtimestamp(minute * 60, UTC), "workers.provider.delete_finished_threads",
            tenant_id, job_id=f"provider-delete-{tenant_id}-{minute}", unique=True,
            retry=Retry(max=len(intervals), interval=intervals), job_timeout=600, result_ttl=0,
            failure_ttl=FAILURE_TTL, description="delete finished SMS threads at the provider")
