"""Chat turns over real HTTP: the web chat API and the Twilio webhook, beside a bare endpoint.

gunicorn (2 sync workers) on loopback, Redis with AOF (everysec, the production
setting), wrk as the load generator on the same two cores. Each turn is a
young person's "skip" in a conversation of the built-in survey, so every
request runs the whole path: channel, conversations (read the record, save it
by compare-and-set), the engine, the reply. Every run uses new message ids and
conversations no other run touched; a separate, labelled row sends the same
message again and again (replays). The bare endpoint (bench/bare.py) does a
read and a write of a state on the same stack.

The main figures are CPU per turn, of the gunicorn workers and of Redis, as a
ratio to the bare endpoint's in the same round (targets: Redis ≤ 1.2×; workers
≤ 1.2× for the web, ≤ 1.35× for SMS), and Redis ``used_memory`` growth per
conversation in progress, every key counted (target: ≤ 1.5 KB).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .report import write_section

ROOT = Path(__file__).resolve().parent.parent
SECONDS = 3
ROUNDS = 5
"""Each endpoint is run ROUNDS times, taking turns, and the median is reported: on a shared
VM the machine's speed drifts within a minute, and runs of one endpoint after another
would measure the drift as much as the endpoints."""
NUMBER = "+447700900100"
SMS_SENDERS = 3000
TOKEN = "bench-twilio-token"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - our own loopback server
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def _cpu(pid: int) -> float:
    """Seconds of CPU (user + system) a process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def _wrk(url: str, script: Path, connections: int, workers: list[int], redis: int,
         seconds: int = SECONDS) -> dict:
    """One wrk run; the script gets a new run id (a prefix for its message ids)."""
    before = sum(_cpu(p) for p in workers), _cpu(redis)
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
                          "-s", str(script), url, "--", secrets.token_hex(4)],
                         capture_output=True, text=True, check=True).stdout
    worker_cpu = sum(_cpu(p) for p in workers) - before[0]
    redis_cpu = _cpu(redis) - before[1]

    def latency(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\b", out, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": latency("50"), "p99": latency("99"), "requests": requests,
            "errors": int(errors.group(1)) if errors else 0,
            "worker_us": worker_cpu / requests * 1e6 if requests else 0.0,
            "redis_us": redis_cpu / requests * 1e6 if requests else 0.0}


RUNS = 2 * ROUNDS + 2
"""Each endpoint's runs: ROUNDS rounds of two, the warm-up, and the replay row."""
WEB_PER_RUN = 300
SMS_PER_RUN = 250
SMS_SENDERS = SMS_PER_RUN * RUNS
SMS_REQUESTS_PER_RUN = 4000


def _seed(env: dict) -> tuple[str, list[list[str]], dict[str, float], int]:
    """A council, the built-in flows, an open round; conversations at their first question,
    RUNS slices of them (no run touches another's); memory per conversation in progress."""
    from chatsurvey import conversations, create_app
    from chatsurvey.conversations.keyspace import pointer_key
    from chatsurvey.councils.models import SmsNumber, Tenant
    from chatsurvey.extensions import db, redis_client
    from chatsurvey.flows.publish import publish_directory
    from chatsurvey.rounds.models import SurveyRound

    app = create_app({"SECRET_KEY": env["CHATSURVEY_SECRET_KEY"], "REDIS_URL": env["REDIS_URL"],
                      "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
                      "REQUIRE_REDIS_AOF": True, "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.drop_all()  # BENCH_DATABASE_URL must be a scratch database: it starts empty
        db.create_all()
        tenant = Tenant(slug="bench", name="Bench Council", country="england",
                        twilio_account_sid="AC" + "1" * 32, twilio_auth_token=TOKEN)
        tenant.numbers.append(SmsNumber(number=NUMBER))
        db.session.add(tenant)
        versions = {v.flow_id: v for v in publish_directory(ROOT / "flows")}
        now = datetime.now(UTC)
        survey_round = SurveyRound(tenant=tenant, name="Bench",
                                   flow_version=versions["your-life"], keyword=None,
                                   opens_at=now - timedelta(days=1),
                                   closes_at=now + timedelta(days=30))
        db.session.add(survey_round)
        db.session.commit()
        redis = redis_client()
        memory: dict[str, float] = {}
        before = redis.info("memory")["used_memory"]
        tokens = []
        for i in range(WEB_PER_RUN * RUNS):
            outcome = conversations.begin(survey_round, "web", message_id=f"seed{i:012d}")
            for j, message in enumerate(("yes", "14")):
                outcome = conversations.reply(outcome.conversation, tenant.id,
                                              f"seed{i:06d}{j:010d}", message)
            tokens.append(outcome.conversation)
        memory["web"] = (redis.info("memory")["used_memory"] - before) / len(tokens)
        before = redis.info("memory")["used_memory"]
        _start_sms_conversations(app)
        memory["sms"] = (redis.info("memory")["used_memory"] - before) / SMS_SENDERS
        # One conversation taken through the longest flow with answers typed in.
        pointer = pointer_key(tenant.id, "bench-longest")
        longest = conversations.begin(survey_round, "sms", pointer=pointer, message_id="m0")
        turn, largest = 0, 0
        while longest is not None and longest.status == "active" and turn < 200:
            reply = longest.replies[-1]["text"]
            message = "yes" if "1 Yes" in reply else "14" if turn == 1 else \
                "my carer is kind and i like my school" if "?" in reply and "\n1 " not in reply \
                else "7" if " 0 " in reply or "0 is" in reply else "1"
            turn += 1
            largest = max(largest, redis.memory_usage(pointer) or 0)
            longest = conversations.reply_to_sender(pointer, tenant.id, f"mem{turn:014d}",
                                                    message)
        link = survey_round.link
        db.session.remove()
        db.engine.dispose()
    slices = [tokens[k * WEB_PER_RUN:(k + 1) * WEB_PER_RUN] for k in range(RUNS)]
    return link, slices, memory, largest


def _sms_params(i: int, body: str, sid: str | None = None) -> dict[str, str]:
    return {"From": f"+4477009{i:05d}", "To": NUMBER, "Body": body,
            "MessageSid": sid or f"SM{body[:2]}{i:030d}", "AccountSid": "AC" + "1" * 32}


def _start_sms_conversations(app) -> None:
    """SMS_SENDERS young people text the council, say yes and give their age through the real
    webhook: the SMS rows then measure turns at the first question, as the web rows do."""
    from twilio.request_validator import RequestValidator

    url = "http://localhost/sms/inbound"  # the test client's own address
    validator = RequestValidator(TOKEN)
    client = app.test_client()
    for i in range(SMS_SENDERS):
        for body in ("hi", "yes", "14"):
            params = _sms_params(i, body)
            signature = validator.compute_signature(url, params)
            reply = client.post(url, data=params, headers={"X-Twilio-Signature": signature})
            assert reply.status_code == 200 and b"<Message>" in reply.data, reply.data


RUN_ID = "init = function(args) run = args[1] or 'r' end\n"
"""Every wrk run gets a new id (bench passes one): its message ids are new."""


def _web_script(path: Path, link: str, tokens: list[str], replay: bool = False) -> Path:
    message_id = ("'replay' .. token:sub(1, 16)" if replay else
                  "string.format('w%s%012d', run, counter)")
    path.write_text(
        RUN_ID + "local tokens = {" + ",".join(f'"{t}"' for t in tokens) + "}\n"
        "local counter = 0\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        "  local token = tokens[math.random(#tokens)]\n"
        f"  local body = '{{\"message_id\":\"' .. {message_id} .. '\",\"text\":\"skip\"}}'\n"
        f"  return wrk.format('POST', '/api/v1/surveys/{link}/conversation/messages',\n"
        "    {['Content-Type'] = 'application/json', ['Authorization'] = 'Bearer ' .. token}, "
        "body)\nend\n")
    return path


def _bare_script(path: Path, sessions: range) -> Path:
    path.write_text(
        RUN_ID + "local counter = 0\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        "  local body = string.format('{\"message_id\":\"b%s%012d\",\"session\":\"s%d\"}', "
        f"run, counter, math.random({sessions.start}, {sessions.stop - 1}))\n"
        "  return wrk.format('POST', '/bare', {['Content-Type'] = 'application/json'}, body)\n"
        "end\n")
    return path


def _sms_script(path: Path, senders: range, sms_url: str) -> Path:
    """Signed webhook requests from one slice of senders, with message ids no run used."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(TOKEN)
    prefix = secrets.token_hex(6)
    entries = []
    for i in range(SMS_REQUESTS_PER_RUN):
        params = _sms_params(senders[i % len(senders)], "skip", f"SM{prefix}{i:020d}")
        body = "&".join(f"{k}={urllib.parse.quote(v)}" for k, v in params.items())
        entries.append(f'{{"{body}","{validator.compute_signature(sms_url, params)}"}}')
    path.write_text(
        "local requests = {" + ",".join(entries) + "}\n"
        "local counter = 0\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        "  local item = requests[(counter - 1) % #requests + 1]\n"
        "  return wrk.format('POST', '/sms/inbound', {['Content-Type'] = "
        "'application/x-www-form-urlencoded', ['X-Twilio-Signature'] = item[2]}, item[1])\n"
        "end\n")
    return path


def run() -> str:
    import urllib.parse  # noqa: F401 - used by _sms_script

    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: `make bench` installs it (apt install wrk)")
    tmp = Path(tempfile.mkdtemp(prefix="chatsurvey-bench-"))
    redis = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket", str(tmp / "r.sock"),
                              "--dir", str(tmp), "--appendonly", "yes", "--appendfsync",
                              "everysec", "--save", ""], stdout=subprocess.DEVNULL)
    servers: list[subprocess.Popen] = []
    names = ("bare endpoint", "web chat turn", "SMS turn (signed webhook)")
    runs: dict[str, list[tuple[dict, dict]]] = {name: [] for name in names}
    try:
        while not (tmp / "r.sock").exists():
            time.sleep(0.05)
        app_port, bare_port = _port(), _port()
        env = dict(os.environ, REDIS_URL=f"unix://{tmp / 'r.sock'}",
                   DATABASE_URL=os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/b.db",
                   CHATSURVEY_SECRET_KEY=secrets.token_urlsafe(32),
                   CHATSURVEY_RATELIMIT_ENABLED="false",  # one load generator, many "people"
                   CHATSURVEY_PUBLIC_BASE_URL=f"http://127.0.0.1:{app_port}")
        link, slices, memory, largest = _seed(env)
        sms_url = f"http://127.0.0.1:{app_port}/sms/inbound"
        for module, port in (("wsgi:app", app_port), ("bench.bare:app", bare_port)):
            servers.append(subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
                 "--log-level", "warning", module], cwd=ROOT, env=env))
        _wait(f"http://127.0.0.1:{app_port}/healthz")
        time.sleep(1)
        workers = {app_port: _children(servers[0].pid), bare_port: _children(servers[1].pid)}

        def scripts(k: int) -> list[tuple[str, int, Path]]:
            """The three endpoints' scripts for run slice ``k``."""
            senders = range(k * SMS_PER_RUN, (k + 1) * SMS_PER_RUN)
            return [(names[0], bare_port, _bare_script(tmp / f"bare{k}.lua",
                                                       range(k * 1000, (k + 1) * 1000))),
                    (names[1], app_port, _web_script(tmp / f"web{k}.lua", link, slices[k])),
                    (names[2], app_port, _sms_script(tmp / f"sms{k}.lua", senders, sms_url))]

        # Warm up first: each gunicorn worker loads and compiles the flow on its first turn.
        for _name, port, script in scripts(0):
            _wrk(f"http://127.0.0.1:{port}", script, 2, workers[port], redis.pid, seconds=2)
        k = 1
        for _ in range(ROUNDS):
            one, four = scripts(k), scripts(k + 1)
            k += 2
            for (name, port, script1), (_, _, script4) in zip(one, four, strict=True):
                url = f"http://127.0.0.1:{port}"
                runs[name].append((_wrk(url, script1, 1, workers[port], redis.pid),
                                   _wrk(url, script4, 4, workers[port], redis.pid)))
        replay = _web_script(tmp / "replay.lua", link, slices[k][:50], replay=True)
        replayed = _wrk(f"http://127.0.0.1:{app_port}", replay, 4, workers[app_port], redis.pid)
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)
        redis.terminate()
        redis.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    body = _report(runs, replayed, memory, largest)
    write_section("http", body)
    return body


def _report(runs: dict, replayed: dict, memory: dict[str, float], largest: int) -> str:
    bare = runs["bare endpoint"]
    lines = [
        "## Chat turns over HTTP (targets, CPU per turn against the bare endpoint's: Redis "
        "≤ 1.2×, workers ≤ 1.2× web and ≤ 1.35× SMS; memory ≤ 1.5 KB a conversation)",
        "",
        f"`python -m bench http`: gunicorn with 2 sync workers, Redis with AOF everysec on a "
        f"unix socket, wrk (1 thread) on the same 2 cores. Each endpoint is run {ROUNDS} times "
        f"({SECONDS} s with 1 connection, then {SECONDS} s with 4), the endpoints taking turns, "
        "after a 2 s warm-up. Every run sends new message ids to conversations no other run "
        f"touched (web: {WEB_PER_RUN} a run, SMS: {SMS_PER_RUN} senders a run). A turn is a "
        "young person's \"skip\" in the built-in survey (the whole path runs); the bare "
        "endpoint reads and writes a state on the same stack. CPU per turn is user + system "
        "time over the 4-connection runs, of the gunicorn workers and of Redis; each ratio is "
        "the median of each round's own ratio to the bare endpoint in that round.",
        "",
        "| endpoint | 1 in flight: turns/s | p50 ms | p99 ms | 4 in flight: turns/s | "
        "worker CPU µs/turn | × bare (each round) | Redis CPU µs/turn | × bare (each round) "
        "| errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, results in runs.items():
        def median(figure: str, flight: int, results=results) -> float:
            return statistics.median(r[flight][figure] for r in results)

        def ratios(figure: str, results=results) -> str:
            each = [r[1][figure] / b[1][figure] for r, b in zip(results, bare, strict=True)]
            return (f"{statistics.median(each):.2f}× "
                    f"({', '.join(f'{x:.2f}' for x in each)})")

        errors = sum(r[0]["errors"] + r[1]["errors"] for r in results)
        lines.append(
            f"| {name} | {median('rps', 0):.0f} | {median('p50', 0):.2f} | "
            f"{median('p99', 0):.2f} | {median('rps', 1):.0f} | {median('worker_us', 1):.0f} | "
            f"{ratios('worker_us')} | {median('redis_us', 1):.0f} | {ratios('redis_us')} | "
            f"{errors} |")
    lines.append(
        f"| replays (labelled: the same message again and again, web) | | | | "
        f"{replayed['rps']:.0f} | {replayed['worker_us']:.0f} | | {replayed['redis_us']:.0f} "
        f"| | {replayed['errors']} |")
    lines += [
        "",
        "Redis memory per conversation in progress, every key counted (`used_memory` "
        f"growth over the seeding, divided by the conversations; target ≤ 1.5 KB): web "
        f"**{memory['web']:.0f} bytes**, SMS **{memory['sms']:.0f} bytes** (its sender's "
        "record and the flood check's counters). The largest record of one SMS conversation "
        "taken through the longest survey (11-18, 45 questions, free text answered): "
        f"{largest} bytes (`MEMORY USAGE`)."]
    return "\n".join(lines)
