"""A worker killed with kill -9 in the middle of a job: the sweeper gets the job run again."""

import os
import signal
import subprocess
import sys
import time

import pytest
from rq import Retry
from rq.executions import Execution, ExecutionRegistry
from rq.registry import FailedJobRegistry, StartedJobRegistry

from chatsurvey.cli.workers import make_worker
from chatsurvey.extensions import db, redis_client
from chatsurvey.jobs import STORE, queue
from chatsurvey.sweeper import sweep
from tests.helpers import PROJECT

pytestmark = [pytest.mark.redis, pytest.mark.chaos, pytest.mark.slow]


def worker_env(app):
    env = dict(os.environ)
    env.update({
        "REDIS_URL": app.config["REDIS_URL"],
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "CHATSURVEY_SECRET_KEY": app.config["SECRET_KEY"],
        "CHATSURVEY_LOCALES_DIR": app.config["LOCALES_DIR"],
    })
    return env


def wait_for(predicate, seconds, message):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(message)


def test_a_killed_worker_s_job_runs_again(app, tmp_path):
    marker = tmp_path / "marker"
    with app.app_context():
        job = queue(STORE).enqueue("tests.jobs_for_tests.sleepy", 30, str(marker),
                                   retry=Retry(max=1), job_timeout=45)
        worker = subprocess.Popen(
            [sys.executable, "-m", "chatsurvey", "worker", "--queue", STORE, "--burst"],
            cwd=PROJECT, env=worker_env(app), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        registry = StartedJobRegistry(queue=queue(STORE))
        try:
            wait_for(lambda: job.id in registry.get_job_ids(), 30, "the worker never took the job")
            worker.send_signal(signal.SIGKILL)
        finally:
            worker.wait(10)
        assert not marker.exists()
        # Until its heartbeat runs out the job still looks like it is running ...
        assert sweep()["abandoned_jobs"] == 0
        # ... and once it has, the sweeper puts it back (RQ alone would wait minutes).
        later = redis_client().time()[0] + 45 + app.config["HEARTBEAT_GRACE"] + 1
        assert sweep(now=later)["abandoned_jobs"] == 1
        assert queue(STORE).job_ids == [job.id]
        job.args = [0, str(marker)]  # this time, do not dawdle
        job.save()
        make_worker([STORE]).work(burst=True)
        assert marker.read_text() == "done"


def test_a_job_re_run_soon_after_its_worker_died_can_finish(app, tmp_path):
    """RQ keeps a dead run listed for a minute after its record expired: the re-run must
    still finish (and not count a stored response as a failure)."""
    with app.app_context():
        job = queue(STORE).enqueue("tests.jobs_for_tests.sleepy", 0, str(tmp_path / "marker"),
                                   retry=Retry(max=1), result_ttl=0)
        expired_run = Execution("0" * 32, job.id, connection=redis_client())
        redis_client().zadd(ExecutionRegistry(job.id, connection=redis_client()).key,
                            {expired_run.id: time.time() + 60})
        assert not redis_client().exists(expired_run.key)
        make_worker([STORE]).work(burst=True)
        assert FailedJobRegistry(queue=queue(STORE)).count == 0
        assert not redis_client().exists(f"rq:job:{job.id}")  # finished


def test_a_job_taken_by_a_worker_that_died_at_once_is_not_lost(survey, app):
    """Killed between taking a job and marking it started, a worker leaves the job
    "queued" on no queue (RQ's clean-up drops it); the sweeper gives it a job again."""
    from chatsurvey import conversations
    from chatsurvey.conversations.keyspace import DONE
    from chatsurvey.responses.models import Response

    outcome = conversations.begin(survey, "web")
    for i, message in enumerate(["English", "yes", "5", "3", "yes"]):
        outcome = conversations.reply(outcome.conversation, survey.tenant_id, f"m{i}", message)
    [submission] = [s.decode() for s in redis_client().zrange(DONE, 0, -1)]
    redis_client().lpop(queue(STORE).key)  # taken, and the taker died: on no queue
    later = redis_client().zscore(DONE, submission) + app.config["ORPHAN_AFTER"] + 1
    assert sweep(now=later)["orphans"] == 1
    make_worker([STORE]).work(burst=True)
    assert db.session.get(Response, submission) is not None


def test_a_job_whose_worker_died_before_starting_it_runs_again_after_its_work_was_done(
        survey, app):
    """Killed after registering its run but before marking the job started, a worker
    leaves a job that RQ's clean-up drops unrun. A second delivery may have stored the
    response meanwhile; the job still runs again (finding it stored) and goes."""
    from rq.executions import prepare_execution

    from chatsurvey import conversations
    from chatsurvey.conversations.keyspace import DONE
    from chatsurvey.responses.models import Response
    from chatsurvey.responses.store import store_response

    outcome = conversations.begin(survey, "web")
    for i, message in enumerate(["English", "yes", "5", "3", "yes"]):
        outcome = conversations.reply(outcome.conversation, survey.tenant_id, f"m{i}", message)
    [submission] = [s.decode() for s in redis_client().zrange(DONE, 0, -1)]
    store = queue(STORE)
    [job_id] = store.job_ids
    dying = make_worker([STORE], name="dies-at-once")
    redis_client().lmove(store.key, store.intermediate_queue_key)  # RQ's dequeue
    prepare_execution(dying, store.fetch_job(job_id))  # ... and its run is registered
    assert store.fetch_job(job_id).get_status() == "queued"  # never marked started
    assert store_response(submission) == "stored"  # the second delivery stores it
    registry = StartedJobRegistry(queue=store)
    assert sweep()["abandoned_jobs"] == 0  # its heartbeat has not run out yet
    later = redis_client().time()[0] + dying.get_heartbeat_ttl(store.fetch_job(job_id)) + 1
    assert sweep(now=later)["abandoned_jobs"] == 1
    assert store.job_ids == [job_id] and not redis_client().lrange(
        store.intermediate_queue_key, 0, -1)
    make_worker([STORE]).work(burst=True)
    assert not redis_client().exists(f"rq:job:{job_id}")  # it ran, found the work done, went
    assert FailedJobRegistry(queue=store).count == 0 and registry.count == 0
    assert db.session.get(Response, submission) is not None


def test_an_idle_worker_stops_when_asked(app):
    """SIGTERM (a deploy, a process manager) is not a lost Redis: the worker exits."""
    with app.app_context():
        worker = subprocess.Popen(
            [sys.executable, "-m", "chatsurvey", "worker", "--queue", STORE],
            cwd=PROJECT, env=worker_env(app), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
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
