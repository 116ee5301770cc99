"""1,000 conversations through every fault at once: exactly 1,000 responses.

Real parts: the Flask app (web chat API through the test client), a private
redis-server with AOF on, `chatsurvey worker` and `chatsurvey sweeper`
subprocesses, and the response store (SQLite, or PostgreSQL when
TEST_DATABASE_URL says so). While the conversations run:

* a worker is killed with kill -9 (its whole process group, as when a machine
  or container dies) while it holds a batch from the outbox (wherever in the
  batch that happens to be), and a new one started; the time until the killed
  worker's batch is stored is printed;
* Redis is stopped (SIGTERM) and started again mid-survey, with conversations
  half-way through; they carry on from what AOF kept;
* the database goes away while jobs run: on PostgreSQL every connection goes
  through a TCP proxy that is cut (open connections reset, new ones refused);
  on SQLite another process holds an exclusive lock on the file, so every
  read and write fails with "database is locked" after the busy timeout;
* every finished conversation is delivered twice (each hand-off adds a second
  copy of its outbox entry).

Like Twilio and the chat widget, the driver sends a message again (same
message id) when a request fails. Like a process supervisor, the test starts
a worker again if one exits. The retry interval is shortened so the test fits
in a couple of minutes; the delay before a dead worker's batch is claimed is
the default.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import func, select

from chatsurvey.conversations.keyspace import STORE_GROUP, SessionStore, outbox_keys, sessions
from chatsurvey.extensions import db, redis_client
from chatsurvey.responses.models import Response
from tests.chaos.servers import Proxy, RedisServer
from tests.helpers import PROJECT, open_round, publish_fixture_flows, seed_tenant, waiting

pytestmark = [pytest.mark.redis, pytest.mark.chaos, pytest.mark.slow, pytest.mark.timeout(300)]

CONVERSATIONS = 1000
IN_FLIGHT = 25
"""Conversations open at any moment (round-robin), so faults land mid-survey."""
KILL_AT, REDIS_RESTART_AT, DB_OUTAGE_AT = 150, 400, 650
"""Conversations finished when each fault is set off."""
DB_OUTAGE_SECONDS = 7
RETRY_SECONDS = 1
SWEEP_INTERVAL = 2
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
                    [sys.executable, "-m", "chatsurvey", "worker", "--queue", "store",
                     "--name", name],
                    cwd=PROJECT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True)
            return name

    def kill(self, name: str) -> None:
        """kill -9 the worker and everything it started."""
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
                   SECRET_KEY=SECRET, RATELIMIT_ENABLED=False)  # one client, a thousand people
    env = dict(os.environ)
    env.update({
        "REDIS_URL": redis_server.url, "DATABASE_URL": outage.url,
        "CHATSURVEY_SECRET_KEY": SECRET, "CHATSURVEY_LOCALES_DIR": app.config["LOCALES_DIR"],
        "CHATSURVEY_STORE_RETRY_SECONDS": str(RETRY_SECONDS),
        "CHATSURVEY_SWEEP_INTERVAL": str(SWEEP_INTERVAL),
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
    real_end = SessionStore.end

    def deliver_twice(store, record, conversation, outcomes, **kwargs) -> bool:
        ended = real_end(store, record, conversation, outcomes, **kwargs)
        submission_id = kwargs.get("submission_id")
        if ended and submission_id:
            handed_off.append(submission_id)
            # Redis may go away between the two (the restart): the turn has ended all the
            # same, and only the first copy exists.
            stream = outbox_keys()[int(record.key.split(":")[2][2:-1])]
            store.redis.xadd(stream, {"s": submission_id, "t": kwargs["transcript"]})
            delivered_twice.append(submission_id)
        return ended

    monkeypatch.setattr(SessionStore, "end", deliver_twice)
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
            for fault in faults:
                fault.join()

            assert "error" not in killed, killed["error"]

            def settled() -> bool:
                workers.supervise()
                return not waiting() and not pending() and "stored" in killed

            deadline = time.monotonic() + 90
            while not settled():
                assert time.monotonic() < deadline, (
                    f"not settled: {len(waiting())} waiting, {pending()} taken, "
                    f"killed worker {killed}")
                time.sleep(0.1)
            total = time.monotonic() - began

            ids = db.session.scalars(select(Response.id)).all()
            print(f"\nchaos: {CONVERSATIONS} conversations driven in {driven:.1f} s, "
                  f"all stored after {total:.1f} s; {driver.failed_requests} requests sent "
                  f"again; workers exited by themselves: {workers.exits}")
            log = workers.log_text()
            print(f"chaos: kill -9 of a worker holding a batch of {killed['held']}: its batch "
                  f"was stored {killed['stored']:.1f} s after the kill")
            # Nothing needed a supervisor: workers and the sweeper rode out every fault.
            assert not workers.exits, f"workers exited: {workers.exits}"
            assert sweeper.poll() is None, "the sweeper stopped"
            assert len(handed_off) == len(set(handed_off)) == CONVERSATIONS
            assert len(ids) == CONVERSATIONS, "a response is missing"
            assert db.session.scalar(select(func.count(func.distinct(Response.id)))) == len(ids)
            assert set(ids) == set(handed_off), "a response that was not handed off"
            assert not waiting() and not pending(), "a finished conversation left behind"
            assert sessions().waiting() == (0, 0), "a conversation set aside"
            # Every finished conversation really was delivered twice. (A second copy Redis
            # never got, because it went away just after the first, is not counted.)
            assert len(delivered_twice) >= CONVERSATIONS - 5, "the faults stopped most copies"
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


def pending(consumer: str | None = None) -> int:
    """Outbox entries taken by a worker and not yet stored (by ``consumer``, if given)."""
    redis = redis_client()
    total = 0
    for key in outbox_keys():
        with contextlib.suppress(Exception):  # no group yet
            if consumer is None:
                total += redis.xpending(key, STORE_GROUP)["pending"]
            else:
                total += sum(c["pending"] for c in redis.xinfo_consumers(key, STORE_GROUP)
                             if c["name"] in (consumer, consumer.encode()))
    return total


def held_by(consumer: str) -> list[tuple[str, bytes]]:
    """The outbox entries (stream, entry id) a worker has taken and not yet stored."""
    redis = redis_client()
    held = []
    for key in outbox_keys():
        with contextlib.suppress(Exception):  # no group yet
            held += [(key, p["message_id"]) for p in redis.xpending_range(
                key, STORE_GROUP, min="-", max="+", count=1000, consumername=consumer)]
    return held


def kill_mid_job(app, workers: Workers, killed: dict) -> None:
    """kill -9 a worker while it holds a batch, start another; note when it is stored."""
    with app.app_context():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with workers.lock:
                for name in list(workers.processes):
                    held = held_by(name)
                    if held:
                        workers.kill(name)
                        at = time.monotonic()
                        workers.start()
                        killed.update(name=name, held=len(held), entries=held, at=at)
                        break
            if killed:
                watch_recovery(killed)
                return
            time.sleep(0.001)
        killed["error"] = "no worker was ever caught holding a batch"


def watch_recovery(killed: dict) -> None:
    """Note when every entry the killed worker held is stored (and so deleted)."""
    deadline = time.monotonic() + 110
    redis = redis_client()
    while "stored" not in killed and time.monotonic() < deadline:
        try:
            if not any(redis.xrange(key, entry_id, entry_id)
                       for key, entry_id in killed["entries"]):
                killed["stored"] = time.monotonic() - killed["at"]
        except Exception:  # Redis is away for a moment: look again
            pass
        time.sleep(0.05)
