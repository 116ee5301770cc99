"""A newcomer's first commands, run as a fresh shell runs them: no settings in the environment.

`chatsurvey --help` lists every command without a traceback; commands that need
neither a secret key nor Redis (migrations, reports, listing councils) just
work; the others stop with one line saying what to set; the web app still
refuses to start without them; `make demo` with its port taken says what to do.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.helpers import PROJECT

pytestmark = pytest.mark.slow

CHATSURVEY = str(Path(sys.executable).parent / "chatsurvey")


def bare(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """Run `chatsurvey ARGS` with nothing set but PATH, HOME and ``env``, in ``tmp_path``."""
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
                   "DATABASE_URL": f"sqlite:///{tmp_path / 'chatsurvey.db'}", **env}
    return subprocess.run([CHATSURVEY, *args], cwd=tmp_path, env=environment,  # noqa: S603
                          capture_output=True, text=True, timeout=120, check=False)


def test_help_with_an_empty_environment_has_no_traceback_and_lists_every_command(tmp_path):
    shown = bare(tmp_path, "--help")
    assert shown.returncode == 0, shown.stderr
    assert "Traceback" not in shown.stdout + shown.stderr
    commands = shown.stdout.split("Commands:")[1]
    for name in ("db", "report", "tenants", "rounds", "worker", "flows", "demo"):
        assert f"\n  {name} " in commands, name


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A database made by `chatsurvey db upgrade` with no settings at all."""
    where = tmp_path_factory.mktemp("migrated")
    done = bare(where, "db", "upgrade")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return where / "chatsurvey.db"


def test_a_report_needs_neither_a_secret_key_nor_redis(make_app, migrated, tmp_path):
    """A council with a Twilio token (encrypted) and a closed round: listed and reported bare."""
    from chatsurvey.extensions import db
    from tests.helpers import open_round, publish_fixture_flows, seed_tenant

    (tmp_path / "chatsurvey.db").write_bytes(migrated.read_bytes())
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'chatsurvey.db'}")
    with app.app_context():
        tenant = seed_tenant("fife", country="scotland")
        open_round(tenant, publish_fixture_flows()["router"], name="Winter",
                   opens_at=datetime(2026, 1, 1, tzinfo=UTC),
                   closes_at=datetime(2026, 2, 1, tzinfo=UTC))
        db.session.remove()
    for step in (["tenants", "list"], ["rounds", "list"], ["tenants", "show", "fife"],
                 ["report", "fife", "Winter", "--format", "html", "--out",
                  str(tmp_path / "r.html")]):
        done = bare(tmp_path, *step)
        assert done.returncode == 0, (step, done.stdout, done.stderr)
        assert "is not set" not in done.stdout + done.stderr, step
    assert "Fife Council" in (tmp_path / "r.html").read_text("utf-8")


@pytest.mark.parametrize(("args", "setting"), [
    (["worker"], "REDIS_URL"),
    (["jobs"], "REDIS_URL"),
    (["tenants", "add", "fife", "--name", "Fife", "--country", "scotland", "--twilio-sid",
      "AC" + "1" * 32, "--twilio-token", "a-token"], "CHATSURVEY_SECRET_KEY"),
])
def test_a_command_that_needs_a_setting_says_so_in_one_line(migrated, tmp_path, args, setting):
    (tmp_path / "chatsurvey.db").write_bytes(migrated.read_bytes())
    done = bare(tmp_path, *args)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"Error: {setting} is not set."), lines


def test_the_web_app_still_refuses_to_start_without_its_settings(monkeypatch, tmp_path):
    from chatsurvey import create_app
    from chatsurvey.config import MissingSetting

    for name in ("CHATSURVEY_SECRET_KEY", "REDIS_URL", "CHATSURVEY_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(MissingSetting, match="CHATSURVEY_SECRET_KEY is not set"):
        create_app()
    with pytest.raises(MissingSetting, match="REDIS_URL is not set"):
        create_app({"SECRET_KEY": "x" * 48})
    done = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=PROJECT,  # noqa: S603
                          env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)},
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0 and "CHATSURVEY_SECRET_KEY is not set" in done.stderr


def test_the_demo_with_its_port_taken_says_what_to_do(monkeypatch, tmp_path, redis_url):
    from devtools.cli import demo

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    monkeypatch.setenv("REDIS_URL", redis_url)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = pytest.importorskip("click.testing").CliRunner().invoke(
            demo, ["--port", str(port)])
    assert result.exit_code == 1
    assert f"port {port} on 127.0.0.1 is in use" in result.output
    assert "make demo PORT=" in result.output
    assert "chatsurvey demo is running" not in result.output
    assert not (tmp_path / "demo.db").exists()  # nothing was started or made first


def test_the_demo_banner_names_the_database_file_it_uses(make_app, monkeypatch):
    from chatsurvey.config import PROJECT_DIR
    from devtools.demo import database_line

    app = make_app(SQLALCHEMY_DATABASE_URI="sqlite:///chatsurvey.db")
    assert database_line(app) == f"SQLite, {PROJECT_DIR / 'instance' / 'chatsurvey.db'}"
