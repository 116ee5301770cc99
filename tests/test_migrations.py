"""The migrations build exactly the schema the models describe, and come down again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

PROJECT = Path(__file__).resolve().parent.parent


def _flask_db(env: dict, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "chatsurvey", "db", *args], env=env,
                          cwd=PROJECT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_upgrade_to_head_matches_the_models_and_downgrade_empties(tmp_path, redis_url):
    from chatsurvey import create_app
    from chatsurvey.extensions import db

    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url,
           "CHATSURVEY_SECRET_KEY": "migration-test"}
    env.pop("CHATSURVEY_DATABASE_URL", None)
    _flask_db(env, "upgrade")
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "REDIS_URL": redis_url,
                      "SQLALCHEMY_DATABASE_URI": url})
    engine = create_engine(url)
    try:
        with app.app_context(), engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        # SQLite cannot tell some server defaults and type details apart; tables,
        # columns and indexes it can.
        significant = [d for d in differences
                       if isinstance(d, tuple) and d[0] in ("add_table", "remove_table",
                                                             "add_column", "remove_column",
                                                             "add_index", "remove_index")]
        assert significant == []
        _flask_db(env, "downgrade", "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
        with app.app_context():
            db.engine.dispose()
