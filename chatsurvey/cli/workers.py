"""`chatsurvey worker`, `sweeper` and `jobs`: running and watching the background work."""

from __future__ import annotations

import contextlib
import logging
import re
import time

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import SimpleWorker
from rq.executions import Execution, ExecutionRegistry
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from rq.serializers import JSONSerializer

from chatsurvey import jobs
from chatsurvey.conversations.keyspace import DONE
from chatsurvey.extensions import redis_client
from chatsurvey.sweeper import run_forever, sweep

log = logging.getLogger(__name__)

class _LiveRuns(ExecutionRegistry):
    """A job's runs, without those whose record has expired with their dead worker."""

    def get_executions(self, start: int = 0, end: int = -1) -> list[Execution]:
        runs = []
        for run_id in self.get_execution_ids(start, end):
            with contextlib.suppress(ValueError):  # "Execution ... not found in Redis"
                runs.append(Execution.fetch(id=run_id, job_id=self.job_id,
                                            connection=self.connection))
        return runs


class ChatsurveyJob(Job):
    """An RQ job that can finish after a run of it was abandoned.

    RQ lists a job's runs for 60 s longer than each run's own record lives. A
    job re-run within that minute of its worker's death (as the sweeper makes
    happen) failed when it finished: RQ looked up every listed run, raised
    ValueError on the expired one, and counted a stored response as a failure.
    """

    @property
    def execution_registry(self) -> ExecutionRegistry:
        return _LiveRuns(self.id, connection=self.connection)


class ChatsurveyWorker(SimpleWorker):
    """An RQ worker that runs jobs in its own process, with the app already built.

    Why not RQ's forking Worker: forking for every job cost about 13 ms here
    (73 jobs/s), mostly re-creating what the app has already built; our jobs
    are our own short, trusted code (anonymising one conversation takes about a
    millisecond), and run this way a worker stores well over 100 a second. Hard
    time limits still apply (RQ's alarm-based death penalty).

    Why a shorter heartbeat: RQ keeps a running job's registry entry alive for
    the heartbeat interval plus 60 s, so after a kill -9 its job waits that
    long before anyone may re-run it. With HEARTBEAT_GRACE (15 s) and the
    sweeper running every 30 s, a killed worker's job runs again within about a
    minute. Jobs are shorter than that (jobs.STORE_TIMEOUT), so a slow job is
    never mistaken for an abandoned one.
    """

    grace = 15
    job_class = ChatsurveyJob

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        if job.timeout and job.timeout > 0:
            remaining = job.timeout - working_time
            return int(min(remaining, self.job_monitoring_interval)) + self.grace
        return self.job_monitoring_interval + self.grace


def make_worker(names: list[str], name: str | None = None) -> ChatsurveyWorker:
    """A worker for the current app's queues."""
    worker = ChatsurveyWorker([jobs.queue(n) for n in names], connection=redis_client(),
                              serializer=JSONSerializer, name=name)
    worker.grace = current_app.config["HEARTBEAT_GRACE"]
    return worker


@click.command("worker")
@click.option("--queue", "names", multiple=True, type=click.Choice([jobs.STORE, jobs.SEND]),
              help="Queues to take jobs from (default: all).")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--name", help="Worker name (default: RQ's).")
@with_appcontext
def worker_command(names: tuple[str, ...], burst: bool, name: str | None) -> None:
    """Run a background worker (anonymise and store responses, send invitations)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    queues = list(names or (jobs.STORE, jobs.SEND))
    wait, restarts = 1.0, 0
    while True:
        # A new name after a restart: the old one may still be registered in Redis.
        worker = make_worker(queues, f"{name}-{restarts}" if name and restarts else name)
        with contextlib.suppress(RedisConnectionError, RedisTimeoutError):
            worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
        # A stop was asked for (SIGTERM, Ctrl-C): RQ sets the date on every such request,
        # while _stop_requested is set only when the signal came during a job.
        if burst or worker._stop_requested or worker._shutdown_requested_date is not None:
            return
        # RQ's worker gives up (and exits 0) when Redis goes away at some moments, e.g. a
        # restart between two jobs; a worker that stopped then would leave responses waiting.
        restarts += 1
        log.warning("worker stopped after losing Redis; starting again in %.0f s", wait)
        time.sleep(wait)
        wait = min(wait * 2, 30.0)


@click.command("sweeper")
@click.option("--once", is_flag=True, help="Sweep once and stop.")
@with_appcontext
def sweeper_command(once: bool) -> None:
    """Every SWEEP_INTERVAL seconds: re-queue lost jobs, close abandoned conversations."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if once:
        click.echo(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in sweep().items()))
    else:
        run_forever()


@click.group("jobs", cls=AppGroup, invoke_without_command=True)
@click.pass_context
def jobs_group(ctx: click.Context) -> None:
    """See background jobs (the default) and retry failed ones."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(jobs_status)


def _job_line(job: Job) -> str:
    result = job.latest_result()
    lines = (result.exc_string or "").strip().splitlines() if result else []
    # The exception line, not the trailing hints some libraries add after it.
    errors = [line for line in lines if re.match(r"^[\w.]+(Error|Exception)\b", line)]
    reason = (errors or lines or [""])[-1]
    return f"  {job.id}  {job.func_name}  {reason[:160]}"


@jobs_group.command("status")
def jobs_status() -> None:
    """Queues, running and failed jobs, and finished conversations waiting to be stored."""
    redis = redis_client()
    for name in (jobs.STORE, jobs.SEND):
        queue = jobs.queue(name)
        failed = FailedJobRegistry(queue=queue)
        click.echo(f"{name}: {queue.count} queued, {StartedJobRegistry(queue=queue).count} "
                   f"running, {ScheduledJobRegistry(queue=queue).count} waiting to retry, "
                   f"{failed.count} failed")
        for job in Job.fetch_many(failed.get_job_ids()[:20], connection=redis,
                                  serializer=queue.serializer):
            if job is not None:
                click.echo(_job_line(job))
    waiting = redis.zcard(DONE)
    oldest = redis.zrange(DONE, 0, 0, withscores=True)
    age = f", oldest finished at {int(oldest[0][1])} (unix time)" if oldest else ""
    click.echo(f"finished conversations not yet stored: {waiting}{age}")
    _floods()


def _floods() -> None:
    """Texts not answered because their number was flooding, per council (SMS bills)."""
    from sqlalchemy import select

    from chatsurvey.channels.sms.throttle import silenced
    from chatsurvey.councils.models import Tenant
    from chatsurvey.extensions import db

    counts = [(tenant.slug, *silenced(tenant.id))
              for tenant in db.session.scalars(select(Tenant).order_by(Tenant.slug))]
    shown = [f"{slug}: {today} today, {week} in 7 days" for slug, today, week in counts if week]
    click.echo(f"texts not answered (floods): {'; '.join(shown) or 'none'}")


@jobs_group.command("retry")
@click.argument("job_ids", nargs=-1)
@click.option("--all", "retry_all", is_flag=True, help="Retry every failed job.")
def jobs_retry(job_ids: tuple[str, ...], retry_all: bool) -> None:
    """Put failed jobs back on their queue."""
    retried = 0
    for name in (jobs.STORE, jobs.SEND):
        failed = FailedJobRegistry(queue=jobs.queue(name))
        for job_id in failed.get_job_ids():
            if retry_all or job_id in job_ids:
                failed.requeue(job_id)
                retried += 1
    click.echo(f"{retried} job{'s' if retried != 1 else ''} put back on the queue")
