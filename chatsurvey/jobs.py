"""Scheduled background work (RQ), with JSON payloads only — never pickle.

RQ runs what is asked for at a time: invitations and reminders. Finished
conversations do not go through RQ: they wait in the outbox, a Redis stream
the workers drain (chatsurvey/responses/store.py). Jobs carry nothing but
ids; the functions they run live in `workers/`.
"""

from __future__ import annotations

from flask import Flask, current_app
from rq import Queue
from rq.serializers import JSONSerializer

from chatsurvey.extensions import has_redis, redis_client

EXTENSION = "chatsurvey.queues"
SEND = "send"
"""Invitations and reminders to send by SMS."""
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
