"""The application factory: configuration, secrets, and the health check."""

import pytest

from chatsurvey import create_app
from chatsurvey.config import _database_url
from chatsurvey.extensions import redis_client


def test_refuses_to_start_without_a_secret_key(monkeypatch, redis_url):
    monkeypatch.delenv("CHATSURVEY_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="CHATSURVEY_SECRET_KEY is not set"):
        create_app({"REDIS_URL": redis_url})


def test_demo_and_testing_get_a_generated_secret(redis_url):
    one = create_app({"DEMO": True, "REDIS_URL": redis_url})
    two = create_app({"TESTING": True, "REDIS_URL": redis_url})
    assert len(one.config["SECRET_KEY"]) > 40
    assert one.config["SECRET_KEY"] != two.config["SECRET_KEY"]


def test_refuses_to_start_without_redis(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("CHATSURVEY_REDIS_URL", raising=False)
    with pytest.raises(RuntimeError, match="REDIS_URL is not set"):
        create_app({"TESTING": True})


def test_configuration_comes_from_the_environment(monkeypatch, redis_url):
    monkeypatch.setenv("CHATSURVEY_SECRET_KEY", "from-env-" + "x" * 40)
    monkeypatch.setenv("CHATSURVEY_ENGINE_MAX_TURNS", "42")
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db/chatsurvey")
    app = create_app()
    assert app.config["SECRET_KEY"].startswith("from-env-")
    assert app.config["ENGINE_MAX_TURNS"] == 42
    assert app.config["REDIS_URL"] == redis_url
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/chatsurvey"
    monkeypatch.setenv("CHATSURVEY_DATABASE_URL", "sqlite:///other.db")
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///other.db"
    # A mapping passed in (tests) wins over the environment.
    assert create_app({"ENGINE_MAX_TURNS": 7}).config["ENGINE_MAX_TURNS"] == 7


@pytest.mark.parametrize("url, expected", [
    ("postgresql://a@b/c", "postgresql+psycopg://a@b/c"),
    ("postgres://a@b/c", "postgresql+psycopg://a@b/c"),
    ("postgresql+psycopg://a@b/c", "postgresql+psycopg://a@b/c"),
    ("sqlite:///x.db", "sqlite:///x.db"),
])
def test_database_urls_use_psycopg3(url, expected):
    assert _database_url(url) == expected


def test_one_redis_client_per_app(app):
    with app.app_context():
        assert redis_client() is redis_client(app)


def test_health_check(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "redis": "ok", "database": "ok"}


def test_without_an_aof_health_fails_and_the_service_refuses_to_start(make_app):
    from chatsurvey.extensions import redis_client
    from chatsurvey.health import refuse_without_aof

    app = make_app(REQUIRE_REDIS_AOF=True)
    if redis_client(app).info("persistence")["aof_enabled"]:
        pytest.skip("the test Redis keeps an AOF: nothing to refuse")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.json["redis"].startswith("no append-only")
    with pytest.raises(SystemExit, match="appendonly yes"):
        refuse_without_aof(app)


def test_with_an_aof_the_service_starts(make_app, monkeypatch):
    from redis import Redis

    from chatsurvey.health import refuse_without_aof

    app = make_app(REQUIRE_REDIS_AOF=True)
    real_info = Redis.info
    monkeypatch.setattr(Redis, "info", lambda self, section=None, *a, **k: (
        {"aof_enabled": 1} if section == "persistence" else real_info(self, section, *a, **k)))
    assert app.test_client().get("/healthz").status_code == 200
    refuse_without_aof(app)


def test_health_check_reports_a_dead_redis(make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["redis"].startswith("down: ") and response.json["database"] == "ok"


def test_health_check_reports_a_dead_database(make_app):
    app = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/x")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.json["database"].startswith("down: ")
