"""Chat turns over real HTTP: the web chat API and the Twilio webhook, beside a bare endpoint.

gunicorn (2 sync workers) on loopback, Redis with AOF (everysec, the production
setting), wrk as the load generator on the same two cores. Each turn is a
young person's "skip" in a conversation of the built-in survey, so every
request runs the whole path: channel, conversations, sessions (two Redis round
trips), the engine, the reply. The bare endpoint (bench/bare.py) does only the
two round trips on the same stack. Targets: at least 85% of the bare endpoint's
throughput; p99 under 3 ms with one request in flight. Also measured here: the
memory an in-progress conversation of the longest flow takes in Redis.
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


def _wrk(url: str, script: Path, connections: int, pids: list[int],
         seconds: int = SECONDS) -> dict:
    before = sum(_cpu(p) for p in pids)
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
                          "-s", str(script), url], capture_output=True, text=True,
                         check=True).stdout
    cpu = sum(_cpu(p) for p in pids) - before

    def latency(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\b", out, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": latency("50"), "p99": latency("99"), "requests": requests,
            "errors": int(errors.group(1)) if errors else 0,
            "cpu_us": cpu / requests * 1e6 if requests else 0.0}


def _seed(env: dict) -> tuple[str, list[str], float]:
    """A council, the built-in flows, an open round; web conversations at their first question."""
    from chatsurvey import conversations, create_app
    from chatsurvey.conversations.keyspace import record_key
    from chatsurvey.councils.models import SmsNumber, Tenant
    from chatsurvey.extensions import db, redis_client
    from chatsurvey.flows.publish import publish_directory
    from chatsurvey.rounds.models import SurveyRound

    app = create_app({"SECRET_KEY": env["CHATSURVEY_SECRET_KEY"], "REDIS_URL": env["REDIS_URL"],
                      "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"]})
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
        tokens = []
        for i in range(2000):
            outcome = conversations.begin(survey_round, "web")
            for j, message in enumerate(("yes", "14")):
                outcome = conversations.reply(outcome.conversation, tenant.id,
                                              f"seed{i:06d}{j:010d}", message)
            tokens.append(outcome.conversation)
        # Memory: one conversation taken through the longest flow with answers typed in.
        longest = conversations.begin(survey_round, "sms")
        turn = 0
        while longest.status == "active" and turn < 200:
            reply = longest.replies[-1]["text"]
            message = "yes" if "1 Yes" in reply else "14" if turn == 1 else \
                "my carer is kind and i like my school" if "?" in reply and "\n1 " not in reply \
                else "7" if " 0 " in reply or "0 is" in reply else "1"
            turn += 1
            before = redis_client().memory_usage(record_key(longest.conversation))
            longest = conversations.reply(longest.conversation, tenant.id, f"mem{turn:014d}",
                                          message)
            memory = before or 0
        link = survey_round.link
        _start_sms_conversations(app)
        db.session.remove()
        db.engine.dispose()
    return link, tokens, memory


def _sms_params(i: int, body: str) -> dict[str, str]:
    return {"From": f"+4477009{i:05d}", "To": NUMBER, "Body": body,
            "MessageSid": f"SM{body[:2]}{i:030d}", "AccountSid": "AC" + "1" * 32}


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


def _scripts(directory: Path, link: str, tokens: list[str], sms_url: str) -> dict[str, Path]:
    from twilio.request_validator import RequestValidator

    web = directory / "web.lua"
    web.write_text(
        "local tokens = {" + ",".join(f'"{t}"' for t in tokens) + "}\n"
        "local counter = 0\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        "  local token = tokens[math.random(#tokens)]\n"
        "  local body = string.format('{\"message_id\":\"w%015d\",\"text\":\"skip\"}', counter)\n"
        f"  return wrk.format('POST', '/api/v1/surveys/{link}/conversation/messages',\n"
        "    {['Content-Type'] = 'application/json', ['Authorization'] = 'Bearer ' .. token}, "
        "body)\nend\n")
    bare = directory / "bare.lua"
    bare.write_text(
        "local counter = 0\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        "  local body = string.format('{\"message_id\":\"b%015d\",\"session\":\"s%d\"}', "
        "counter, math.random(1, 2000))\n"
        "  return wrk.format('POST', '/bare', {['Content-Type'] = 'application/json'}, body)\n"
        "end\n")
    validator = RequestValidator(TOKEN)
    entries = []
    for i in range(40000):
        params = _sms_params(i % SMS_SENDERS, "skip")
        params["MessageSid"] = f"SM{i:032d}"
        body = "&".join(f"{k}={urllib.parse.quote(v)}" for k, v in params.items())
        entries.append(f'{{"{body}","{validator.compute_signature(sms_url, params)}"}}')
    sms = directory / "sms.lua"
    sms.write_text(
        "local requests = {" + ",".join(entries) + "}\n"
        "local counter = 0\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        "  local item = requests[(counter - 1) % #requests + 1]\n"
        "  return wrk.format('POST', '/sms/inbound', {['Content-Type'] = "
        "'application/x-www-form-urlencoded', ['X-Twilio-Signature'] = item[2]}, item[1])\n"
        "end\n")
    return {"web": web, "bare": bare, "sms": sms}


def run() -> str:
    import urllib.parse  # noqa: F401 - used by _scripts

    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: `make bench` installs it (apt install wrk)")
    tmp = Path(tempfile.mkdtemp(prefix="chatsurvey-bench-"))
    redis = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket", str(tmp / "r.sock"),
                              "--dir", str(tmp), "--appendonly", "yes", "--appendfsync",
                              "everysec", "--save", ""], stdout=subprocess.DEVNULL)
    servers: list[subprocess.Popen] = []
    try:
        while not (tmp / "r.sock").exists():
            time.sleep(0.05)
        app_port, bare_port = _port(), _port()
        env = dict(os.environ, REDIS_URL=f"unix://{tmp / 'r.sock'}",
                   DATABASE_URL=os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/b.db",
                   CHATSURVEY_SECRET_KEY=secrets.token_urlsafe(32),
                   CHATSURVEY_RATELIMIT_ENABLED="false",  # one load generator, many "people"
                   CHATSURVEY_PUBLIC_BASE_URL=f"http://127.0.0.1:{app_port}")
        link, tokens, memory = _seed(env)
        scripts = _scripts(tmp, link, tokens, f"http://127.0.0.1:{app_port}/sms/inbound")
        for module, port in (("wsgi:app", app_port), ("bench.bare:app", bare_port)):
            servers.append(subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
                 "--log-level", "warning", module], cwd=ROOT, env=env))
        _wait(f"http://127.0.0.1:{app_port}/healthz")
        time.sleep(1)
        endpoints = (("bare endpoint", bare_port, scripts["bare"]),
                     ("web chat turn", app_port, scripts["web"]),
                     ("SMS turn (signed webhook)", app_port, scripts["sms"]))
        pids = {}
        for name, port, script in endpoints:
            server = servers[0] if port == app_port else servers[1]
            pids[name] = _children(server.pid) + [redis.pid]
            # Warm up first: each gunicorn worker loads and compiles the flow on its first turn.
            _wrk(f"http://127.0.0.1:{port}", script, 2, pids[name], seconds=2)
        runs: dict[str, list[tuple[dict, dict]]] = {name: [] for name, _, _ in endpoints}
        for _ in range(ROUNDS):
            for name, port, script in endpoints:
                one = _wrk(f"http://127.0.0.1:{port}", script, 1, pids[name])
                four = _wrk(f"http://127.0.0.1:{port}", script, 4, pids[name])
                runs[name].append((one, four))
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)
        redis.terminate()
        redis.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    bare = runs["bare endpoint"]
    lines = [
        "## Chat turns over HTTP (targets: ≥ 85% of the bare endpoint's throughput; "
        "p99 < 3 ms with one in flight)",
        "",
        f"`python -m bench http`: gunicorn with 2 sync workers, Redis with AOF everysec on a "
        f"unix socket, wrk (1 thread) on the same 2 cores. Each endpoint is run {ROUNDS} times "
        f"({SECONDS} s with 1 connection, then {SECONDS} s with 4), the endpoints taking turns, "
        "after a 2 s warm-up; each figure is the median of its runs, and the share of bare "
        "is the median of each round's own share. A turn is a young person's \"skip\" in the "
        "built-in survey (the whole path runs); the bare endpoint does only the same two "
        "Redis round trips on the same stack. CPU per turn is the gunicorn workers' and "
        "Redis's user + system time over the 4-connection runs.",
        "",
        "| endpoint | 1 in flight: turns/s | p50 ms | p99 ms | 4 in flight: turns/s | "
        "p50 ms | p99 ms | share of bare (each round) | CPU µs/turn | errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, results in runs.items():
        def median(figure: str, flight: int, results=results) -> float:
            return statistics.median(r[flight][figure] for r in results)
        shares = [r[1]["rps"] / b[1]["rps"] for r, b in zip(results, bare, strict=True)]
        errors = sum(r[0]["errors"] + r[1]["errors"] for r in results)
        lines.append(
            f"| {name} | {median('rps', 0):.0f} | {median('p50', 0):.2f} | "
            f"{median('p99', 0):.2f} | {median('rps', 1):.0f} | {median('p50', 1):.2f} | "
            f"{median('p99', 1):.2f} | {statistics.median(shares):.0%} "
            f"({', '.join(f'{x:.0%}' for x in shares)}) | {median('cpu_us', 1):.0f} | "
            f"{errors} |")
    lines += ["", f"Memory: an in-progress SMS conversation near the end of the longest survey "
              f"(11-18, 45 questions, free text answered) takes **{memory} bytes** in Redis "
              "(`MEMORY USAGE` of its record; target: at most 1 KB)."]
    body = "\n".join(lines)
    write_section("http", body)
    return body
