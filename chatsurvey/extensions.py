"""Extension objects, created unbound here and bound to an app in the factory."""

from __future__ import annotations

from typing import cast
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Flask, current_app
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from redis import Redis
from redis.cluster import RedisCluster

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
    app.extensions[REDIS] = connect(url) if url else None


def is_cluster(url: str) -> bool:
    """``REDIS_URL`` names a node of a Redis Cluster (``?cluster=true``)."""
    return parse_qs(urlsplit(url).query).get("cluster") == ["true"]


def connect(url: str) -> Redis:
    """A client for REDIS_URL: one server, or a Redis Cluster found from one of its nodes."""
    if is_cluster(url):
        parts = urlsplit(url)
        query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "cluster"])
        return cast(Redis, RedisCluster.from_url(
            urlunsplit(parts._replace(query=query, path="")), socket_timeout=5,
            socket_connect_timeout=5))
    return Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5,
                          health_check_interval=30)


def has_redis(app: Flask) -> bool:
    return app.extensions.get(REDIS) is not None


def redis_client(app: Flask | None = None) -> Redis:
    """The Redis client of ``app`` (or the current app); MissingSetting if there is none."""
    client = (app or current_app).extensions[REDIS]
    if client is None:
        raise MissingSetting.redis_url()
    return client
