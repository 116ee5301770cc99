"""The anonymous web chat API under attack: stolen starts, borrowed tokens, floods, stuffing.

Nobody signs in to the chat, so every promise here is one an anonymous client tries
to break: replaying someone else's start to take their conversation, carrying a
token to another survey link or past the round's close, starting conversations by
the hundred, racing through fake complete responses. Every exchange goes through
the contract check of test_webchat_api (429 must be documented like any answer).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chatsurvey.conversations.keyspace import record_key
from chatsurvey.extensions import db, redis_client
from tests.helpers import open_round, record_of
from tests.test_webchat_api import Api

pytestmark = pytest.mark.redis


@pytest.fixture
def api(client, survey):
    return Api(client, survey.link)


def _start(api, **body):
    response = api.start(**body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["conversation"]


def _finish_quickly(api, token) -> str:
    """The fixture router flow's 4-7 path, complete (a bot filling in a response)."""
    for value in ("en", "yes", 4, "yes"):
        last = api.send(token, value=value)
    return last.get_json()["status"] if last.status_code == 200 else str(last.status_code)


# -- a start belongs to the client that made it --


def test_replaying_someone_s_start_does_not_hand_over_their_conversation(api):
    victim = _start(api, message_id="start-seen-in-a-log-01", start_secret="victim-only-secret-1")
    for stolen in ({}, {"start_secret": "attacker-guess-000001"}):
        replay = api.start(message_id="start-seen-in-a-log-01", **stolen)
        assert replay.status_code == 201
        assert replay.get_json()["conversation"] != victim, stolen
    assert api.send(victim, value="en").status_code == 200, "the victim carries on undisturbed"


def test_a_start_whose_answer_was_lost_can_be_sent_again(api):
    first = api.start(message_id="start-lost-answer-001", start_secret="kept-in-page-memory-1")
    again = api.start(message_id="start-lost-answer-001", start_secret="kept-in-page-memory-1")
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert len(redis_client().keys("cs:c:*")) == 1


def test_a_start_replayed_on_another_link_is_a_start_of_that_link(api, survey):
    other = open_round(survey.tenant, survey.flow_version, name="Another round")
    here = _start(api, message_id="same-start-two-links", start_secret="same-secret-two-links")
    there = _start(api, link=other.link, message_id="same-start-two-links",
                   start_secret="same-secret-two-links")
    assert here != there
    assert record_of(record_key(there))["m"]["round_id"] == other.id


def test_the_start_secret_is_never_kept_as_it_was_sent(api):
    _start(api, message_id="start-secret-hygiene-1", start_secret="plain-secret-never-kept")
    for key in redis_client().keys("*"):
        assert b"plain-secret-never-kept" not in key
        if redis_client().type(key) == b"string":
            assert b"plain-secret-never-kept" not in redis_client().get(key)


# -- a token works on its own link, while its round is open --


def test_a_token_is_refused_on_another_link_of_the_same_council(api, survey):
    other = open_round(survey.tenant, survey.flow_version, name="Another round")
    token = _start(api)
    sent = api.send(token, link=other.link, value="en")
    assert sent.status_code == 404 and sent.get_json()["error"]["code"] == "not_found"
    assert api.send(token, link=other.link, message_id="test-message-000001",
                    value="en").status_code == 404, "not even as a replay of a real message"
    api.send(token, message_id="answered-on-own-link-1", value="en")
    assert api.fetch(token, "answered-on-own-link-1", link=other.link).status_code == 404
    assert api.exit(token, link=other.link).status_code == 200  # reveals nothing...
    assert redis_client().exists(record_key(token)), "...and closes nothing"
    assert api.send(token, value="yes").status_code == 200


def test_a_token_is_refused_once_its_round_has_closed(api, survey):
    token = _start(api)
    api.send(token, value="en")
    survey.closes_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    api.client.application.extensions.pop("chatsurvey.web_links", None)  # no cached round
    late = api.send(token, value="yes")
    assert late.status_code == 410 and late.get_json()["error"]["code"] == "survey_closed"
    assert api.exit(token).status_code == 200, "quick exit always works"


# -- floods and stuffing --


def test_one_client_cannot_start_conversations_by_the_hundred(app, api):
    statuses = [api.start().status_code for _ in range(60)]
    assert statuses.count(201) <= 5, "at most 5 starts in 10 seconds from one client"
    refused = api.start()
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 10
    elsewhere = Api(app.test_client(), api.link)
    elsewhere.client.environ_base["REMOTE_ADDR"] = "198.51.100.23"
    assert elsewhere.start().status_code == 201, "a young person elsewhere still gets in"


def test_one_survey_link_cannot_be_started_without_end(app, api):
    app.config["WEB_LIMIT_START_PER_LINK"] = "30 per hour"
    started = 0
    for n in range(40):
        client = Api(app.test_client(), api.link)
        client.client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 1}"
        started += client.start().status_code == 201
    assert started == 30, "many clients together are held by the link's own limit"


def test_one_client_cannot_stuff_the_ballot_box(app, api):
    finished = 0
    for _ in range(15):
        response = api.start(age_band="4-7")
        if response.status_code != 201:
            break
        finished += _finish_quickly(api, response.get_json()["conversation"]) == "complete"
    assert 1 <= finished <= 5, f"{finished} complete responses from one client in seconds"


def test_one_conversation_cannot_be_answered_faster_than_a_person_can(app, api):
    token = _start(api)
    statuses = [api.send(token, command="help").status_code for _ in range(40)]
    assert 429 in statuses and statuses.index(429) <= 30


def test_the_limits_keep_no_address_and_no_token(app, api):
    api.client.environ_base["REMOTE_ADDR"] = "203.0.113.77"
    token = _start(api)
    api.send(token, value="en")
    keys = redis_client().keys("*")
    limits = [k for k in keys if k.startswith(b"cs:lim")]
    assert limits, "the limits were counted"
    assert not [k for k in keys if b"203.0.113.77" in k]
    assert not [k for k in limits if token.encode() in k]


def test_the_limits_are_kept_in_the_app_s_own_redis_even_on_a_unix_socket(app, api):
    from chatsurvey.channels.web.limits import storage_uri

    assert storage_uri("unix:///run/redis.sock?db=3") == "redis+unix:///run/redis.sock?db=3"
    assert storage_uri("redis://cache:6379/0") == "redis://cache:6379/0"
    assert storage_uri("rediss://cache:6380/0") == "rediss://cache:6380/0"
    api.start()
    assert redis_client().keys("cs:lim*"), "the limit counters are in the app's Redis"
    from limits.storage import storage_from_string

    url = app.config["REDIS_URL"]
    direct = storage_from_string(storage_uri(url))  # limits itself, on the same URL
    assert direct.check(), url


# -- a start costs Redis a bounded amount --


def test_a_start_never_costs_redis_more_than_its_cap(app, api, survey):
    """Whatever a start says, what it leaves in Redis is bounded (the rate limits bound how many)."""
    survey.tenant.locales = ["en", "cy", "ar"]
    db.session.commit()
    before = set(redis_client().keys("*"))
    token = _start(api, message_id="m" * 64, start_secret="s" * 64, locale="ar", age_band="10-99")
    created = [k for k in redis_client().keys("*") if k not in before]
    used = sum(redis_client().memory_usage(k) or 0 for k in created)
    assert redis_client().exists(record_key(token)), "the start left no conversation in Redis"
    assert used <= app.config["WEB_START_MAX_BYTES"], (used, created)


@pytest.mark.slow
def test_no_built_in_survey_starts_bigger_than_the_cap(app, survey):
    """The same bound for every flow the programme ships (their first words differ)."""
    from chatsurvey.flows.publish import publish_directory
    from tests.helpers import PROJECT

    survey.tenant.locales = ["en", "cy"]
    versions = publish_directory(PROJECT / "flows")
    db.session.commit()
    for n, version in enumerate(versions):
        survey_round = open_round(survey.tenant, version, name=version.flow_id)
        before = set(redis_client().keys("*"))
        client = Api(app.test_client(), survey_round.link)
        client.client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 1}"  # past the limits
        token = _start(client, locale="cy", message_id=f"built-in-start-{n:06d}",
                       start_secret="s" * 64)
        created = [k for k in redis_client().keys("*") if k not in before]
        used = sum(redis_client().memory_usage(k) or 0 for k in created)
        assert redis_client().exists(record_key(token)) and used <= app.config["WEB_START_MAX_BYTES"], \
            (version.flow_id, used)
