"""`/healthz`: is this process able to serve (database and Redis reachable)?"""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify
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
        checks["redis"] = "ok"
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


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
