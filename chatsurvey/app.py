"""The application factory: configuration, then each part's ``init_app`` in turn."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import (
    admin,
    channels,
    crypto,
    defaults,
    flowstore,
    health,
    jobs,
    models,  # noqa: F401  (registers the tables with SQLAlchemy)
    models_admin,  # noqa: F401
    models_reports,  # noqa: F401
    models_sms,  # noqa: F401
    security,
    sessions,
)
from .extensions import db, init_redis, migrate


def _database_url(url: str) -> str:
    """Use the psycopg 3 driver for PostgreSQL URLs written without one."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_config(app: Flask, config: Mapping[str, Any] | None) -> None:
    """Defaults, then the environment, then ``config`` (tests)."""
    app.config.from_object(defaults)
    for plain, name in (("DATABASE_URL", "SQLALCHEMY_DATABASE_URI"), ("REDIS_URL", "REDIS_URL")):
        if os.environ.get(plain):
            app.config[name] = os.environ[plain]
    app.config.from_prefixed_env("CHATSURVEY")
    if "CHATSURVEY_DATABASE_URL" in os.environ:
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["CHATSURVEY_DATABASE_URL"]
    if config:
        app.config.update(config)
    app.config["SQLALCHEMY_DATABASE_URI"] = _database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if not app.config.get("SECRET_KEY"):
        if not (app.config["TESTING"] or app.config["DEMO"]):
            raise RuntimeError(
                "CHATSURVEY_SECRET_KEY is not set. Set it to a long random value "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        app.config["SECRET_KEY"] = secrets.token_urlsafe(48)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the chatsurvey application."""
    app = Flask("chatsurvey", instance_path=str(defaults.PROJECT_DIR / "instance"))
    load_config(app, config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    proxies = {k: app.config[f"PROXY_X_{k.upper()}"] for k in ("for", "proto", "host", "prefix")}
    if any(proxies.values()):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies["for"], x_proto=proxies["proto"],
                                x_host=proxies["host"], x_prefix=proxies["prefix"])

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    init_redis(app)
    crypto.init_app(app)
    flowstore.init_app(app)
    sessions.init_app(app)
    jobs.init_app(app)
    channels.init_app(app)
    health.init_app(app)
    security.init_app(app)
    admin.init_app(app)
    return app
