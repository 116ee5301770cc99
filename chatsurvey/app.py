"""The application factory: configuration, then each part's ``init_app`` in turn."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

# Each domain's tables, registered with SQLAlchemy (migrations and create_all see them all).
import chatsurvey.accounts.models  # noqa: F401
import chatsurvey.audit  # noqa: F401
import chatsurvey.councils.models  # noqa: F401
import chatsurvey.flows.models  # noqa: F401
import chatsurvey.invitations.models  # noqa: F401
import chatsurvey.reports.models  # noqa: F401
import chatsurvey.responses.models  # noqa: F401
import chatsurvey.rounds.models  # noqa: F401
from chatsurvey import admin, channels, config, crypto, health, jobs, security
from chatsurvey.conversations import keyspace
from chatsurvey.extensions import db, has_redis, init_redis, migrate
from chatsurvey.flows import store as flow_store


def create_app(config_overrides: Mapping[str, Any] | None = None, *,
               require_services: bool = True) -> Flask:
    """Build the chatsurvey application.

    The web app refuses to start without a secret key and REDIS_URL. The command
    line builds it with ``require_services=False``: a command that needs neither
    (a report, a migration, --help) runs without them, and one that does stops
    at first use with a one-line message naming the setting.
    """
    app = Flask("chatsurvey", instance_path=str(config.PROJECT_DIR / "instance"))
    config.load(app, config_overrides, require_secret=require_services)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    proxies = {k: app.config[f"PROXY_X_{k.upper()}"] for k in ("for", "proto", "host", "prefix")}
    if any(proxies.values()):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies["for"], x_proto=proxies["proto"],
                                x_host=proxies["host"], x_prefix=proxies["prefix"])

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    init_redis(app, required=require_services)
    crypto.init_app(app)
    flow_store.init_app(app)
    if has_redis(app):
        keyspace.init_app(app)
    jobs.init_app(app)
    channels.init_app(app)
    health.init_app(app)
    security.init_app(app)
    admin.init_app(app)
    return app
