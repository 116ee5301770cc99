"""`/healthz`: is this process able to serve (database and Redis reachable, Redis durable)?

Conversations in progress and finished ones not yet stored live only in Redis.
A Redis without an append-only file (AOF) loses them all when it restarts, so
unless REQUIRE_REDIS_AOF is off (the demo and the tests), the web process, the
workers and the sweeper refuse to start, and /healthz fails, when Redis keeps none.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from chatsurvey.extensions import db, redis_client

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 with each dependency's state, or 503 if one is down."""
    checks = {}
    try:
        redis_client().ping()
        checks["redis"] = durability(current_app)
    except RedisError as exc:
        checks["redis"] = f"down: {type(exc).__name__}"
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except SQLAlchemyError as exc:
        db.session.rollback()
        checks["database"] = f"down: {type(exc).__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return jsonify(status="ok" if healthy else "unavailable", **checks), 200 if healthy else 503


NO_AOF = ("no append-only file: a restart would lose every conversation in progress "
          "and every finished one not yet stored")


def durability(app: Flask) -> str:
    """"ok", or why Redis would lose what it holds on a restart (when AOF is required)."""
    if not app.config["REQUIRE_REDIS_AOF"]:
        return "ok"
    info = redis_client(app).info("persistence")
    # A cluster client answers for every node: each must keep an AOF.
    nodes = info.values() if info and all(isinstance(v, dict) for v in info.values()) else [info]
    return "ok" if all(str(n.get("aof_enabled")) == "1" for n in nodes) else NO_AOF


def refuse_without_aof(app: Flask) -> None:
    """Stop here, with the reason, if Redis keeps no AOF and one is required."""
    state = durability(app)
    if state != "ok":
        raise SystemExit(f"chatsurvey will not start: Redis has {state}. Turn on "
                         "`appendonly yes` in Redis (see README, 'Running it in production'), "
                         "or set CHATSURVEY_REQUIRE_REDIS_AOF=false for a demo.")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
