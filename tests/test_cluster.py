"""On a real Redis Cluster (3 primaries, 3 replicas): conversations across shards, one
primary killed mid-survey. Prints how many conversations continued, how many were told
to start again, and how many answers were lost (docs/benchmarks.md keeps the figures).

Needs redis-server and redis-cli on the PATH; skipped loudly without them.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers import open_round, publish_fixture_flows, seed_tenant, store_waiting

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(300)]

CONVERSATIONS = 90
ANSWERS = [{"value": "en"}, {"value": "yes"}, {"value": 4}, {"value": "yes"}]
"""The router flow for a 4-7 year old: language, consent, two questions."""
BEFORE_KILL = 3
"""Answers each conversation has given when the primary is killed."""


def free_ports(count: int) -> list[int]:
    """Ports free now, with their cluster bus ports (+10000) free too."""
    ports: list[int] = []
    while len(ports) < count:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + 10000 > 65535 or port in ports:
            continue
        with socket.socket() as bus:
            try:
                bus.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        ports.append(port)
    return ports


class Cluster:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.ports = free_ports(6)
        self.processes: dict[int, subprocess.Popen] = {}

    def start(self) -> None:
        for port in self.ports:
            node = self.directory / str(port)
            node.mkdir(parents=True)
            self.processes[port] = subprocess.Popen(
                ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                 "--cluster-enabled", "yes", "--cluster-node-timeout", "2000",
                 "--appendonly", "yes", "--save", "", "--dir", str(node)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for port in self.ports:
            self.wait(lambda p=port: self.started(p), f"node {port} never started")
        subprocess.run(["redis-cli", "--cluster", "create",
                        *[f"127.0.0.1:{p}" for p in self.ports],
                        "--cluster-replicas", "1", "--cluster-yes"],
                       check=True, capture_output=True, timeout=60)
        self.wait(self.ok, "the cluster never became ready")
        # A replica that never synced would not take over (its data counts as too old).
        self.wait(lambda: sum("master_link_status:up" in self.cli(p, "INFO", "replication")
                              for p in self.processes) == 3, "the replicas never synced")

    def started(self, port: int) -> bool:
        """The node answers; an exited one (its port was taken meanwhile) fails at once."""
        assert self.processes[port].poll() is None, f"node {port} exited"
        return self.cli(port, "PING") == "PONG"

    def cli(self, port: int, *command: str) -> str:
        done = subprocess.run(["redis-cli", "-p", str(port), *command], capture_output=True,
                              text=True, timeout=10)
        return done.stdout.strip()

    def ok(self, ports=None) -> bool:
        return all("cluster_state:ok" in self.cli(p, "CLUSTER", "INFO")
                   for p in (ports or self.processes))

    def primaries(self) -> list[int]:
        return [p for p in self.processes if "role:master" in self.cli(p, "INFO", "replication")]

    def kill(self, port: int) -> None:
        process = self.processes.pop(port)
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    @staticmethod
    def wait(predicate, message: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while not predicate():
            assert time.monotonic() < deadline, message
            time.sleep(0.1)

    def stop(self) -> None:
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGKILL)
            process.wait(10)


@pytest.fixture
def cluster(tmp_path):
    missing = [tool for tool in ("redis-server", "redis-cli") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"CLUSTER TEST SKIPPED: {' and '.join(missing)} not found on the PATH "
                    "(apt-get install redis-server)")
    for attempt in range(3):  # a port found free can be taken before its node binds it
        found = Cluster(tmp_path / f"try-{attempt}")
        try:
            found.start()
            break
        except (AssertionError, subprocess.SubprocessError):
            found.stop()
            if attempt == 2:
                raise
    try:
        yield found
    finally:
        found.stop()


def test_conversations_across_shards_ride_out_a_primary_s_death(make_app, cluster, request):
    from chatsurvey.conversations.keyspace import record_key
    from chatsurvey.extensions import db, redis_client
    from chatsurvey.responses.models import Response

    url = f"redis://127.0.0.1:{cluster.ports[0]}/0?cluster=true"
    app = make_app(REDIS_URL=url, RATELIMIT_ENABLED=False, STORE_HOLD=0)

    def leave_the_database_empty() -> None:  # the tests after this one share it
        with app.app_context():
            db.session.remove()
            db.drop_all()

    request.addfinalizer(leave_the_database_empty)
    with app.app_context():
        db.create_all()
        survey = open_round(seed_tenant(), publish_fixture_flows()["router"])
        link = survey.link
        client = app.test_client()
        count = 0

        def send(path, body, token=None, tries=50):
            nonlocal count
            count += 1
            body = {"message_id": f"cluster-message-{count:08d}", **body}
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            for _ in range(tries):  # as the widget does: the same message again after a 503
                response = client.post(f"/api/v1/surveys/{link}{path}", json=body,
                                       headers=headers)
                if response.status_code != 503:
                    return response
                time.sleep(0.2)
            return response

        tokens = []
        for _ in range(CONVERSATIONS):
            response = send("/conversations", {"age_band": "4-7"})
            assert response.status_code == 201
            tokens.append(response.get_json()["conversation"])
        for token in tokens:
            for answer in ANSWERS[:BEFORE_KILL]:
                assert send("/conversation/messages", answer, token).status_code == 200
        nodes = {redis_client().get_node_from_key(record_key(t)).port for t in tokens}
        assert len(nodes) == 3, "the conversations are spread over every primary"
        victim = cluster.primaries()[0]
        on_victim = sum(redis_client().get_node_from_key(record_key(t)).port == victim
                        for t in tokens)
        cluster.kill(victim)
        killed = time.monotonic()

        continued = start_again = failed = 0
        for token in tokens:
            response = None
            for answer in ANSWERS[BEFORE_KILL:]:
                response = send("/conversation/messages", answer, token, tries=150)
                if response.status_code != 200:
                    break
            assert response is not None
            if response.status_code == 200 and response.get_json()["status"] == "complete":
                continued += 1
            elif response.status_code == 404:
                start_again += 1  # the widget says the chat has ended: start again
            else:
                failed += 1
        recovered = time.monotonic() - killed
        store_waiting()
        stored = db.session.query(Response).all()
        expected = {"happy_yesterday": 4, "feels_safe": "yes"}
        lost = sum(len(expected) - sum(r.answers.get(k) == v for k, v in expected.items())
                   for r in stored) + len(expected) * (continued - len(stored))
        print(f"\ncluster: {CONVERSATIONS} conversations over 3 primaries ({on_victim} on the "
              f"one killed); after kill -9 of that primary: {continued} continued, "
              f"{start_again} told to start again, {failed} failed; {len(stored)} stored; "
              f"{lost} answers lost; all answered again {recovered:.1f} s after the kill")
        assert continued + start_again + failed == CONVERSATIONS
        assert failed == 0, "every conversation either carried on or was told to start again"
        assert len(stored) == continued, "every finished conversation was stored, once"
