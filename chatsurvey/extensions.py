"""Extension objects, created unbound here and bound to an app in the factory."""

from __future__ import annotations

from flask import Flask, current_app
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from redis import Redis

from chatsurvey.config import MissingSetting

db = SQLAlchemy()
migrate = Migrate()

REDIS = "chatsurvey.redis"


def init_redis(app: Flask, required: bool = True) -> None:
    """Create the process's one Redis client (a client per request costs ~0.2 ms of CPU).

    Without REDIS_URL the app refuses to start, unless ``required`` is off (the
    command line): then the first use of Redis raises MissingSetting, so commands
    that never touch Redis (reports, migrations, --help) run without it.
    """
    url = app.config.get("REDIS_URL")
    if not url and required:
        raise MissingSetting.redis_url()
    app.extensions[REDIS] = Redis.from_url(
        url, socket_timeout=5, socket_connect_timeout=5, health_check_interval=30
    ) if url else None


def has_redis(app: Flask) -> bool:
    return app.extensions.get(REDIS) is not None


def redis_client(app: Flask | None = None) -> Redis:
    """The Redis client of ``app`` (or the current app); MissingSetting if there is none."""
    client = (app or current_app).extensions[REDIS]
    if client is None:
        raise MissingSetting.redis_url()
    return client
