"""`chatsurvey worker`, `sweeper` and `jobs`: running and watching the background work."""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import threading

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import SimpleWorker
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from rq.serializers import JSONSerializer

from chatsurvey import jobs
from chatsurvey.conversations.keyspace import sessions
from chatsurvey.extensions import redis_client
from chatsurvey.health import refuse_without_aof
from chatsurvey.responses.store import drain
from chatsurvey.sweeper import run_forever, sweep

log = logging.getLogger(__name__)
STORE = "store"
"""The outbox of finished conversations (chatsurvey/responses/store.py)."""


def make_worker(name: str | None = None) -> SimpleWorker:
    """An RQ worker for the scheduled work (invitations, reminders), in this process.

    Jobs run in the worker's own process, with the app already built (RQ's
    SimpleWorker): they are our own short, trusted code.
    """
    return SimpleWorker([jobs.queue(jobs.SEND)], connection=redis_client(),
                        serializer=JSONSerializer, name=name)


def _drain_in_thread(consumer: str, stop: threading.Event, burst: bool) -> threading.Thread:
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def run() -> None:
        with app.app_context():
            drain(consumer, stop, burst=burst)

    thread = threading.Thread(target=run, name="outbox", daemon=True)
    thread.start()
    return thread


@click.command("worker")
@click.option("--queue", "names", multiple=True, type=click.Choice([STORE, jobs.SEND]),
              help="What to work on: the outbox of finished conversations (store), "
                   "scheduled texts (send). Default: both.")
@click.option("--burst", is_flag=True, help="Stop when there is nothing left to do.")
@click.option("--name", help="Worker name (default: host and process id).")
@with_appcontext
def worker_command(names: tuple[str, ...], burst: bool, name: str | None) -> None:
    """Run a background worker: store finished conversations, send invitations."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    refuse_without_aof(current_app)
    chosen = set(names or (STORE, jobs.SEND))
    name = name or f"{socket.gethostname()}-{os.getpid()}"
    stop = threading.Event()
    drainer = _drain_in_thread(name, stop, burst) if STORE in chosen else None
    try:
        if jobs.SEND in chosen:
            try:
                make_worker(name).work(burst=burst, with_scheduler=True, logging_level="INFO")
            except (RedisConnectionError, RedisTimeoutError) as exc:
                # Redis went away: exit, and let the process supervisor start us again.
                raise click.ClickException(f"lost Redis: {exc}") from exc
        elif drainer is not None:
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            while drainer.is_alive() and not stop.is_set():
                drainer.join(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        if not burst:
            stop.set()
        if drainer is not None:
            drainer.join()


@click.command("sweeper")
@click.option("--once", is_flag=True, help="Sweep once and stop.")
@with_appcontext
def sweeper_command(once: bool) -> None:
    """Every SWEEP_INTERVAL seconds: close abandoned conversations."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    refuse_without_aof(current_app)
    if once:
        click.echo(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in sweep().items()))
    else:
        run_forever()


@click.group("jobs", cls=AppGroup, invoke_without_command=True)
@click.pass_context
def jobs_group(ctx: click.Context) -> None:
    """See background work (the default) and retry what failed."""
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
    """Finished conversations waiting to be stored, scheduled jobs, failed ones."""
    waiting, aside = sessions().waiting()
    click.echo(f"finished conversations not yet stored: {waiting}; set aside (could not be "
               f"anonymised, see the worker's log): {aside}")
    queue = jobs.queue(jobs.SEND)
    failed = FailedJobRegistry(queue=queue)
    click.echo(f"{jobs.SEND}: {queue.count} queued, {StartedJobRegistry(queue=queue).count} "
               f"running, {ScheduledJobRegistry(queue=queue).count} scheduled, "
               f"{failed.count} failed")
    for job in Job.fetch_many(failed.get_job_ids()[:20], connection=redis_client(),
                              serializer=queue.serializer):
        if job is not None:
            click.echo(_job_line(job))
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
@click.option("--all", "retry_all", is_flag=True,
              help="Retry every failed job, and every finished conversation set aside.")
def jobs_retry(job_ids: tuple[str, ...], retry_all: bool) -> None:
    """Put failed jobs back on their queue (and, with --all, set-aside conversations
    back in the outbox)."""
    retried = 0
    failed = FailedJobRegistry(queue=jobs.queue(jobs.SEND))
    for job_id in failed.get_job_ids():
        if retry_all or job_id in job_ids:
            failed.requeue(job_id)
            retried += 1
    if retry_all:
        retried += sessions().put_back()
    click.echo(f"{retried} job{'s' if retried != 1 else ''} put back on the queue")
