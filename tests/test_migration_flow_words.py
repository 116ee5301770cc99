"""Upgrading keeps the words of versions published before they were kept with them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime

from sqlalchemy import create_engine, text

from tests.helpers import FIXTURE_FLOWS, PROJECT


def _flask_db(env: dict, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "chatsurvey", "db", *args], env=env,
                          cwd=PROJECT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_versions_published_before_get_their_words_from_the_catalogues(tmp_path, redis_url):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url,
           "CHATSURVEY_SECRET_KEY": "migration-test",
           "CHATSURVEY_LOCALES_DIR": str(FIXTURE_FLOWS / "locales")}
    env.pop("CHATSURVEY_DATABASE_URL", None)
    _flask_db(env, "upgrade", "0005")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO flow_versions (flow_id, version, title, survey, source, bundle,"
                " published_at) VALUES ('pets', 1, 'Pets', 'demo', :source, '{}', :at)"),
                {"source": (FIXTURE_FLOWS / "pets.yaml").read_text("utf-8"),
                 "at": datetime.now(UTC)})
        _flask_db(env, "upgrade")
        with engine.connect() as connection:
            words = connection.execute(text("SELECT translations FROM flow_versions")).scalar()
        words = json.loads(words) if isinstance(words, str) else words
        assert words["cy"]["pets:has_pet"] == {"id": "Do you have a pet?",
                                               "str": "Oes gennych chi anifail anwes?"}
        assert "router:consent" not in words["cy"]  # only its own messages, and the engine's
        assert words["cy"]["system:opt.yes"]["str"] == "Ie"
        _flask_db(env, "downgrade", "0005")
    finally:
        engine.dispose()
