"""The Flask app a job runs in: built once per worker process, reused for every job.

RQ jobs carry only ids (JSON serializer), so each job function opens an app
context itself::

    def my_job(thing_id: int) -> None:
        with job_context():          # or with_app(); both yield the app
            ...

Building the app costs a database engine and a Redis client, so it happens on
the first job, not on every one. Configuration comes from the environment, as for the web
process. A job called inside an app context already (a test, the worker
command, or a queue with JOBS_ASYNC off) uses that app.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, has_app_context

from chatsurvey import create_app
from chatsurvey.extensions import db

_app: Flask | None = None
"""This process's app, when a job runs outside one (RQ's forking worker)."""


def worker_app() -> Flask:
    """This process's app, built on first use."""
    global _app
    if _app is None:
        _app = create_app()
    return _app


@contextmanager
def job_context() -> Iterator[Flask]:
    """An app context for one job (the caller's, if there is one).

    A job that fails leaves the database session rolled back: the worker keeps
    one app context for all its jobs, and a session left in a failed
    transaction (the database went away mid-job) would fail every job after it.
    """
    if has_app_context():
        with _clean_session_on_failure():
            yield current_app._get_current_object()  # type: ignore[attr-defined]
        return
    app = worker_app()
    with app.app_context(), _clean_session_on_failure():
        yield app


@contextmanager
def _clean_session_on_failure() -> Iterator[None]:
    try:
        yield
    except BaseException:
        try:
            db.session.rollback()
        except Exception:  # the connection itself is gone: start afresh
            db.session.remove()
        raise


with_app = job_context
