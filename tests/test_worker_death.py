"""A worker killed with kill -9 in the middle of a batch: another worker stores it."""

import os
import signal
import subprocess
import sys
import time

import pytest
from redis.exceptions import ResponseError

from chatsurvey import conversations
from chatsurvey.conversations.keyspace import STORE_GROUP, outbox_keys
from chatsurvey.extensions import db, redis_client
from chatsurvey.responses.models import Response
from tests.helpers import PROJECT, waiting

pytestmark = [pytest.mark.redis, pytest.mark.chaos, pytest.mark.slow]
RECOVERY_TARGET = 30


def worker_env(app, **config):
    env = dict(os.environ)
    env.update({
        "REDIS_URL": app.config["REDIS_URL"],
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "CHATSURVEY_SECRET_KEY": app.config["SECRET_KEY"],
        "CHATSURVEY_LOCALES_DIR": app.config["LOCALES_DIR"],
        "CHATSURVEY_REQUIRE_REDIS_AOF": "false",  # the embedded test Redis keeps none
    })
    env.update({f"CHATSURVEY_{k}": str(v) for k, v in config.items()})
    return env


def start_worker(app, *args, **config):
    return subprocess.Popen([sys.executable, "-m", "chatsurvey", "worker", *args],
                            cwd=PROJECT, env=worker_env(app, **config),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def wait_for(predicate, seconds, message):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(message)


def pending():
    try:
        return sum(redis_client().xpending(key, STORE_GROUP)["pending"] for key in outbox_keys())
    except ResponseError:  # no consumer group yet: no worker has started
        return 0


def test_a_batch_of_a_worker_killed_mid_batch_is_stored_by_another_within_30_s(survey, app):
    for _ in range(5):
        outcome = conversations.begin(survey, "web")
        for i, message in enumerate(["English", "yes", "5", "3", "yes"]):
            outcome = conversations.reply(outcome.conversation, survey.tenant_id, f"m{i}",
                                          message)
    submissions = {t["submission_id"] for t in waiting()}
    assert len(submissions) == 5
    db.session.remove()
    # The first worker takes the batch and holds it (waiting for more) when it is killed.
    dying = start_worker(app, "--queue", "store", STORE_HOLD=60, STORE_BATCH=100)
    try:
        wait_for(lambda: pending() == 5, 60, "the worker never took the batch")
    finally:
        os.killpg(dying.pid, signal.SIGKILL)
        dying.wait(10)
    killed = time.monotonic()
    other = start_worker(app, "--queue", "store")
    try:
        def stored() -> bool:
            db.session.remove()
            return db.session.query(Response).count() == 5

        wait_for(stored, 90, "the killed worker's batch was never stored")
        recovery = time.monotonic() - killed
        print(f"\nworker death: kill -9 mid-batch, the batch was stored {recovery:.1f} s "
              "after the kill")
        assert recovery < RECOVERY_TARGET
        assert {r.id for r in db.session.query(Response)} == submissions
        wait_for(lambda: pending() == 0 and not waiting(), 10, "entries left in the outbox")
    finally:
        os.killpg(other.pid, signal.SIGKILL)
        other.wait(10)


def test_an_idle_worker_stops_when_asked(app):
    """SIGTERM (a deploy, a process manager): the worker finishes and exits."""
    with app.app_context():
        worker = start_worker(app)
        try:
            wait_for(lambda: any(w.decode().startswith("rq:worker:")
                                 for w in redis_client().smembers("rq:workers")),
                     30, "the worker never started")
            time.sleep(1)  # past RQ's start-up, when its signal handlers are in place
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(20) == 0
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait(10)


def test_an_outbox_only_worker_stops_when_asked(app):
    with app.app_context():
        worker = start_worker(app, "--queue", "store")
        try:
            wait_for(lambda: redis_client().exists(outbox_keys()[0]), 30,
                     "the worker never started")
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(20) == 0
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait(10)
