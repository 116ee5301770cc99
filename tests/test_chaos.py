"""1,000 conversations through every fault at once: exactly 1,000 responses.

Real parts: the Flask app (web chat API through the test client), a private
redis-server with AOF on, `chatsurvey worker` and `chatsurvey sweeper`
subprocesses, and the response store (SQLite, or PostgreSQL when
TEST_DATABASE_URL says so). While the conversations run:

* a worker is killed with kill -9 (its whole process group: the worker and its
  RQ scheduler, as when a machine or container dies) while it runs a store job
  (wherever in the job that happens to be), and a new one started; the time
  until the killed job has run again is printed;
* Redis is stopped (SIGTERM) and started again mid-survey, with conversations
  half-way through; they carry on from what AOF kept;
* the database goes away while jobs run: on PostgreSQL every connection goes
  through a TCP proxy that is cut (open connections reset, new ones refused);
  on SQLite another process holds an exclusive lock on the file, so every
  read and write fails with "database is locked" after the busy timeout;
* every store job is delivered twice (each hand-off enqueues a second job).

Like Twilio and the chat widget, the driver sends a message again (same
message id) when a request fails. Like a process supervisor, the test starts
a worker again if one exits. Retry intervals and the orphan delay are shortened
so the test fits in a couple of minutes; the heartbeat grace is the default.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import func, select

from chatsurvey import jobs
from chatsurvey.conversations.keyspace import DONE
from chatsurvey.extensions import db, redis_client
from chatsurvey.responses.models import Response
from tests.chaos.servers import Proxy, RedisServer
from tests.helpers import PROJECT, open_round, publish_fixture_flows, seed_tenant

pytestmark = [pytest.mark.redis, pytest.mark.chaos, pytest.mark.slow, pytest.mark.timeout(300)]

CONVERSATIONS = 1000
IN_FLIGHT = 25
"""Conversations open at any moment (round-robin), so faults land mid-survey."""
KILL_AT, REDIS_RESTART_AT, DB_OUTAGE_AT = 150, 400, 650
"""Conversations finished when each fault is set off."""
DB_OUTAGE_SECONDS = 7
RETRY_INTERVALS = [1, 1, 2, 2, 3, 3, 5]
SWEEP_INTERVAL = 2
ORPHAN_AFTER = 10
SECRET = "chaos-test-secret-key-not-for-production"
ANSWERS = [{"value": "en"}, {"value": "yes"}, {"value": 4}, {"value": "yes"}]
"""The router flow for a 4-7 year old: language, consent, two questions."""


class Workers:
    """`chatsurvey worker` processes, restarted when one exits (as a supervisor would)."""

    def __init__(self, env: dict, logs: Path) -> None:
        self.env, self.logs = env, logs
        self.processes: dict[str, subprocess.Popen] = {}
        self.lock = threading.RLock()
        self.started = 0
        self.exits: list[tuple[str, int]] = []

    def start(self) -> str:
        with self.lock:
            self.started += 1
            name = f"chaos-{os.getpid()}-{self.started}"
            with open(self.logs / f"{name}.log", "wb") as log:
                self.processes[name] = subprocess.Popen(
                    [sys.executable, "-m", "chatsurvey", "worker", "--queue", jobs.STORE,
                     "--name", name],
                    cwd=PROJECT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True)
            return name

    def kill(self, name: str) -> None:
        """kill -9 the worker and everything it started (its RQ scheduler)."""
        with self.lock:
            process = self.processes.pop(name)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    def supervise(self) -> None:
        with self.lock:
            for name, process in list(self.processes.items()):
                if process.poll() is not None:
                    self.exits.append((name, process.returncode))
                    del self.processes[name]
                    self.start()

    def stop(self) -> None:
        with self.lock:
            for name in list(self.processes):
                self.kill(name)

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("*.log")))


class DatabaseOutage:
    """Takes the response store away for a while, for every process at once."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.proxy: Proxy | None = None
        if url.startswith("postgresql"):
            parts = urlsplit(url)
            self.proxy = Proxy(parts.hostname or "127.0.0.1", parts.port or 5432)
            netloc = parts.netloc.rsplit("@", 1)
            host = f"127.0.0.1:{self.proxy.port}"
            self.url = urlunsplit(parts._replace(
                netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))

    def __call__(self, seconds: float) -> None:
        if self.proxy is not None:
            self.proxy.cut()
            time.sleep(seconds)
            self.proxy.restore()
            return
        path = self.url.removeprefix("sqlite:///")
        holder = sqlite3.connect(path, timeout=10, isolation_level=None)
        try:
            holder.execute("BEGIN EXCLUSIVE")
            time.sleep(seconds)
            holder.execute("ROLLBACK")
        finally:
            holder.close()


class Driver:
    """Young people in web chat, sending each message again until it gets an answer."""

    def __init__(self, client, link: str) -> None:
        self.client, self.link = client, link
        self.count = 0
        self.failed_requests = 0

    def request(self, path: str, body: dict, token: str | None = None) -> dict:
        self.count += 1
        body = {"message_id": f"chaos-message-{self.count:08d}", **body}
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        deadline = time.monotonic() + 60
        while True:
            try:
                response = self.client.post(f"/api/v1/surveys/{self.link}{path}", json=body,
                                            headers=headers)
                if response.status_code < 300:
                    return response.get_json()
                assert response.status_code >= 500, response.get_json()
            except (AssertionError, KeyboardInterrupt):
                raise
            except Exception as exc:  # Redis or the database is away: send it again
                response = exc
            self.failed_requests += 1
            assert time.monotonic() < deadline, f"{path} never got an answer: {response!r}"
            time.sleep(0.1)

    def start(self) -> str:
        return self.request("/conversations", {"age_band": "4-7", "start_secret":
                                               f"chaos-start-secret-{self.count:08d}"})[
            "conversation"]

    def send(self, token: str, answer: dict) -> str:
        return self.request("/conversation/messages", answer, token)["status"]


@pytest.fixture
def redis_server(tmp_path_factory):
    # A short directory: unix socket paths are limited to about 100 characters.
    server = RedisServer(Path(tmp_path_factory.mktemp("rs")))
    server.start()
    yield server
    server.stop()


def test_a_thousand_conversations_through_every_fault(make_app, database_url, redis_server,
                                                      tmp_path, monkeypatch):
    outage = DatabaseOutage(database_url)
    app = make_app(REDIS_URL=redis_server.url, SQLALCHEMY_DATABASE_URI=outage.url,
                   SECRET_KEY=SECRET, STORE_RETRY_INTERVALS=tuple(RETRY_INTERVALS),
                   RATELIMIT_ENABLED=False)  # one client drives a thousand young people
    env = dict(os.environ)
    env.update({
        "REDIS_URL": redis_server.url, "DATABASE_URL": outage.url,
        "CHATSURVEY_SECRET_KEY": SECRET, "CHATSURVEY_LOCALES_DIR": app.config["LOCALES_DIR"],
        "CHATSURVEY_STORE_RETRY_INTERVALS": str(RETRY_INTERVALS),
        "CHATSURVEY_SWEEP_INTERVAL": str(SWEEP_INTERVAL),
        "CHATSURVEY_ORPHAN_AFTER": str(ORPHAN_AFTER),
    })
    logs = tmp_path / "logs"
    logs.mkdir()
    workers = Workers(env, logs)
    sweeper = None
    with app.app_context():
        db.create_all()
        survey = open_round(seed_tenant(), publish_fixture_flows()["router"])
        link = survey.link
        db.session.remove()

    handed_off: list[str] = []
    delivered_twice: list[str] = []
    real_queue_store = jobs.queue_store

    def deliver_twice(submission_id: str, job_id: str | None = None) -> None:
        handed_off.append(submission_id)
        real_queue_store(submission_id)
        # Redis may go away between the two (the restart): the turn then fails, the young
        # person's message is sent again and replayed, and only the first copy exists.
        real_queue_store(submission_id, job_id=jobs.store_job_id(submission_id) + "-again")
        delivered_twice.append(submission_id)

    monkeypatch.setattr(jobs, "queue_store", deliver_twice)
    killed: dict = {}
    faults: list[threading.Thread] = []
    try:
        for _ in range(2):
            workers.start()
        with open(logs / "sweeper.log", "wb") as log:
            sweeper = subprocess.Popen(
                [sys.executable, "-m", "chatsurvey", "sweeper"], cwd=PROJECT, env=env,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        client = app.test_client()
        driver = Driver(client, link)
        began = time.monotonic()
        finished = 0
        open_conversations: list[list] = []  # [token, answers sent]
        # Each request has its own app context, as in production.
        while finished < CONVERSATIONS:
            while len(open_conversations) < IN_FLIGHT and \
                    finished + len(open_conversations) < CONVERSATIONS:
                open_conversations.append([driver.start(), 0])
            for conversation in list(open_conversations):
                token, sent = conversation
                status = driver.send(token, ANSWERS[sent])
                conversation[1] += 1
                if conversation[1] == len(ANSWERS):
                    assert status == "complete"
                    open_conversations.remove(conversation)
                    finished += 1
                    if finished == KILL_AT:
                        faults.append(threading.Thread(
                            target=kill_mid_job, args=(app, workers, killed)))
                        faults[-1].start()
                    elif finished == REDIS_RESTART_AT:
                        faults.append(threading.Thread(target=redis_server.restart))
                        faults[-1].start()
                    elif finished == DB_OUTAGE_AT:
                        faults.append(threading.Thread(target=outage,
                                                       args=(DB_OUTAGE_SECONDS,)))
                        faults[-1].start()
            workers.supervise()
        driven = time.monotonic() - began
        with app.app_context():
            redis = redis_client()
            for fault in faults:
                fault.join()

            assert "error" not in killed, killed["error"]

            def settled() -> bool:
                workers.supervise()
                return (not redis.zcard(DONE) and not redis.keys("cs:t:*")
                        and jobs.queue(jobs.STORE).count == 0 and "recovered" in killed)

            deadline = time.monotonic() + 90
            while not settled():
                assert time.monotonic() < deadline, (
                    f"not settled: {redis.zcard(DONE)} transcripts waiting, killed job {killed}"
                    f" {redis.hgetall(killed['job_key'])} "
                    f"{StartedJobRegistry(queue=jobs.queue(jobs.STORE)).get_job_ids()} "
                    f"{ScheduledJobRegistry(queue=jobs.queue(jobs.STORE)).get_job_ids()}"
                    f"{FailedJobRegistry(queue=jobs.queue(jobs.STORE)).get_job_ids()}")
                time.sleep(0.1)
            total = time.monotonic() - began

            ids = db.session.scalars(select(Response.id)).all()
            print(f"\nchaos: {CONVERSATIONS} conversations driven in {driven:.1f} s, "
                  f"all stored after {total:.1f} s; {driver.failed_requests} requests sent "
                  f"again; workers exited by themselves: {workers.exits}")
            log = workers.log_text()
            finished_jobs = set(re.findall(r"Job OK \((store-[^)]*)\)", log))
            print(f"chaos: {len(finished_jobs)} of {2 * CONVERSATIONS} store jobs finished")
            stored = f"{killed['stored']:.1f} s" if "stored" in killed else "never"
            print(f"chaos: kill -9 of a worker mid-job ({killed['job']}): the job ran again "
                  f"{killed['recovered']:.1f} s after the kill; its response was stored "
                  f"{stored} after the kill "
                  f"({'before' if killed['stored_before'] else 'not yet at'} the kill)")
            # Nothing needed a supervisor: workers and the sweeper rode out every fault.
            assert not workers.exits, f"workers exited: {workers.exits}"
            assert sweeper.poll() is None, "the sweeper stopped"
            assert len(handed_off) == len(set(handed_off)) == CONVERSATIONS
            assert len(ids) == CONVERSATIONS, "a response is missing"
            assert db.session.scalar(select(func.count(func.distinct(Response.id)))) == len(ids)
            assert set(ids) == set(handed_off), "a response that was not handed off"
            assert not redis.keys("cs:t:*") and not redis.zcard(DONE), "a transcript left behind"
            assert FailedJobRegistry(queue=jobs.queue(jobs.STORE)).count == 0, log[-3000:]
            # Every job really was delivered twice: every second copy was taken by a
            # worker, after (or while) its first copy or a batch stored the response.
            # (A second copy Redis never got, because it went away just after the
            # first, is not counted; a first copy whose conversation a batch stored
            # leaves the queue untaken. The counts above show that every response was
            # stored once all the same.)
            taken = set(re.findall(r"store: anonymise [^(]*\((store-[0-9a-f]{32}(?:-again)?)\)",
                                   log))
            second_copies = {jobs.store_job_id(s) + "-again" for s in delivered_twice}
            missed = second_copies - taken
            assert not missed, f"second copies never taken: {sorted(missed)}"
            assert len(second_copies) >= CONVERSATIONS - 5, "the faults stopped most second copies"
            assert len(taken) < 2 * CONVERSATIONS, "no batch stored another job's conversation"
            # The database outage really happened to jobs (not between them).
            assert "OperationalError" in log, "no job met the database outage"
    finally:
        monkeypatch.undo()
        workers.stop()
        if sweeper is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(sweeper.pid, signal.SIGKILL)
            sweeper.wait(10)
        if outage.proxy is not None:
            outage.proxy.restore()
        with app.app_context():
            db.session.remove()
            db.drop_all()


def kill_mid_job(app, workers: Workers, killed: dict) -> None:
    """kill -9 a worker while it runs a store job, start another; note what it ran, and when."""
    with app.app_context():
        redis = redis_client()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with workers.lock:
                for name in list(workers.processes):
                    running = [m.decode().rsplit(":", 1)[0]
                               for m in redis.smembers(f"rq:worker:{name}:executions")]
                    if running and not running[0].endswith("-again"):
                        workers.kill(name)
                        at = time.monotonic()
                        workers.start()
                        submission = running[0].removeprefix("store-")
                        stored = db.session.get(Response, submission) is not None
                        db.session.remove()
                        killed.update(job=running[0], job_key=f"rq:job:{running[0]}",
                                      submission=submission, at=at, stored_before=stored)
                        break
            if killed:
                watch_recovery(redis, killed)
                return
            time.sleep(0.001)
        killed["error"] = "no worker was ever caught running a job"


def watch_recovery(redis, killed: dict) -> None:
    """Note when the killed job has run again (RQ deletes a finished job: result_ttl=0)
    and when its response is stored."""
    deadline = time.monotonic() + 110
    while ("recovered" not in killed or "stored" not in killed) and time.monotonic() < deadline:
        try:
            if "stored" not in killed and db.session.get(Response, killed["submission"]):
                killed["stored"] = time.monotonic() - killed["at"]
            db.session.remove()
            if not redis.exists(killed["job_key"]):
                killed["recovered"] = time.monotonic() - killed["at"]
        except Exception:  # Redis or the database is away for a moment: look again
            db.session.remove()
        time.sleep(0.05)
