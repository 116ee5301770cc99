"""The sweeper: what RQ alone recovers too slowly, recovered every SWEEP_INTERVAL seconds.

1. Jobs whose worker died (kill -9, lost machine) go back on their queue.
   RQ does this itself only when some worker next runs its maintenance,
   which can take more than three minutes; we do it on every sweep. That
   includes a job its worker had taken but not yet marked started when it
   died: RQ's clean-up passes over those (they never were "started") and
   only drops their entry, so nothing would run them again.
2. Finished transcripts that have no job (the job was lost, e.g. with a Redis
   fail-over) get one again. Failed jobs are left alone: they stay visible in
   the failed registry until someone retries them (`chatsurvey jobs retry`).
3. Retries that are due go on their queue if no RQ scheduler is running: the
   scheduler lives in one worker, and when that worker is killed the others
   take it over only at their next maintenance, up to ten minutes later.
4. Conversations idle past their timeout are closed: consented answers are
   kept as a partial response, anything else is discarded.
5. Responses of rounds that have closed forget the day they finished (only the
   week stays; see chatsurvey/responses/bursts.py).
6. Each round's responses of a day that is over are mixed: a random order, new ids
   (chatsurvey/responses/mixing.py).
"""

from __future__ import annotations

import logging
import time
from typing import cast

from flask import current_app
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.scheduler import RQScheduler
from sqlalchemy.exc import OperationalError

from chatsurvey import conversations, jobs
from chatsurvey.conversations.keyspace import DONE, Busy, sessions
from chatsurvey.extensions import db, redis_client
from chatsurvey.responses.bursts import forget_days
from chatsurvey.responses.mixing import mix_days

log = logging.getLogger(__name__)
LOCK = "cs:sweeper"
_WAITING = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED,
            JobStatus.FAILED}


def _job_status(job_id: str) -> JobStatus | None:
    """The job's status; None if it is gone, or says "queued" but is on no queue.

    The second happens when a worker dies just after taking the job, before RQ
    marks it started: RQ's own clean-up then drops it from the running jobs,
    and nothing would ever run it.
    """
    queue = jobs.queue(jobs.STORE)
    try:
        status = Job.fetch(job_id, connection=redis_client(),
                           serializer=queue.serializer).get_status()
    except NoSuchJobError:
        return None
    if status == JobStatus.QUEUED and redis_client().lpos(queue.key, job_id) is None:
        return None
    return status


def _requeue_never_started(registry: StartedJobRegistry, now: float) -> None:
    """Put back on their queue the abandoned jobs RQ's clean-up would drop unrun."""
    queue = registry.get_queue()
    for job_id in registry.get_expired_job_ids(now):
        try:
            job = Job.fetch(job_id, connection=redis_client(), serializer=queue.serializer)
        except NoSuchJobError:
            continue
        on_queue = redis_client().lpos(queue.key, job_id) is not None
        if job.get_status() != JobStatus.QUEUED or on_queue:
            continue
        redis_client().lrem(queue.intermediate_queue_key, 0, job_id)
        queue.enqueue_job(job)
        log.info("sweep: job %s was taken by a worker that died before starting it; "
                 "queued again", job_id)


def _enqueue_due_retries() -> None:
    """What RQ's scheduler does, once, under its lock (so never beside a live scheduler)."""
    scheduler = RQScheduler([jobs.STORE, jobs.SEND], connection=redis_client(),
                            serializer=jobs.queue(jobs.STORE).serializer)
    if scheduler.acquire_locks():
        try:
            scheduler.enqueue_scheduled_jobs()
        finally:
            scheduler.release_locks()


def sweep(now: float | None = None) -> dict[str, int]:
    """One sweep; returns how many of each thing it did."""
    now = time.time() if now is None else now
    done = {"abandoned_jobs": 0, "orphans": 0, "closed": 0, "days_forgotten": 0, "mixed": 0}
    for name in (jobs.STORE, jobs.SEND):
        registry = StartedJobRegistry(queue=jobs.queue(name))
        # Counted without RQ's own clean-up (`count` runs one, at the current time).
        before = redis_client().zcard(registry.key)
        _requeue_never_started(registry, now)
        registry.cleanup(timestamp=now)
        done["abandoned_jobs"] += before - redis_client().zcard(registry.key)
    _enqueue_due_retries()
    orphan_after = current_app.config["ORPHAN_AFTER"]
    for raw in redis_client().zrangebyscore(DONE, "-inf", now - orphan_after):
        submission_id = cast(bytes, raw).decode("ascii")
        if _job_status(jobs.store_job_id(submission_id)) not in _WAITING:
            jobs.queue_store(submission_id)
            done["orphans"] += 1
    store = sessions()
    for cid in store.due(now):
        try:
            conversations.close(cid)
            done["closed"] += 1
        except conversations.NotFound:
            store.forget_idle(cid)
        except Busy:
            continue  # a young person is answering right now: not abandoned after all
    done["mixed"] = mix_days(now)  # before a closed round's days are forgotten
    done["days_forgotten"] = forget_days()
    return done


def run_forever(interval: float | None = None) -> None:
    """Sweep every SWEEP_INTERVAL seconds; with several sweepers, one sweeps at a time.

    Redis or the database being away (a restart, a fail-over) costs a sweep, not the
    sweeper: it is what recovers from such things, so it carries on.
    """
    interval = interval or current_app.config["SWEEP_INTERVAL"]
    while True:
        try:
            if redis_client().set(LOCK, "1", nx=True, ex=max(1, int(interval * 0.9))):
                result = sweep()
                if any(result.values()):
                    log.info("sweep: %s", result)
        except (RedisConnectionError, RedisTimeoutError, OperationalError) as exc:
            log.warning("sweep skipped, will try again: %s", str(exc).splitlines()[0])
        finally:
            db.session.remove()  # no transaction held open between sweeps
        time.sleep(interval)
