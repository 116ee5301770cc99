"""The web chat API, chat page and widget over HTTP, against real Redis.

Every API call here goes through `api`, which checks the exchange against the OpenAPI
document (chatsurvey/channels/openapi.yaml): the path and method are documented, the
status is documented for that operation, the response body matches its schema (and a
successful request's body matches the request schema), Content-Type and Cache-Control
are as promised, and no cookie is ever set. `test_the_contract_check_can_fail` shows
the check catches a response that drifts from the document.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from chatsurvey.channels.web import api as webchat
from chatsurvey.channels.web.theme import PAGE_BG, contrast
from chatsurvey.conversations.keyspace import record_key
from chatsurvey.extensions import db, redis_client
from tests.helpers import open_round, record_of, seed_tenant, waiting

pytestmark = pytest.mark.redis

SPEC_URI = "urn:chatsurvey:web-api"
SPEC = yaml.safe_load((webchat.HERE / "openapi.yaml").read_text("utf-8"))


def pointer(*parts: str) -> str:
    """A JSON pointer to ``parts`` (paths contain slashes, so they are escaped)."""
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


class Contract:
    """Checks real requests and responses against the OpenAPI document."""

    def __init__(self, spec: dict) -> None:
        self.spec = spec
        self.registry = Registry().with_resource(
            SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012))
        self.paths = [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$"), p)
                      for p in spec["paths"]]

    def validate(self, location: str, instance) -> None:
        """Validate ``instance`` against the schema at ``location`` (a pointer into the document)."""
        validator = Draft202012Validator({"$ref": f"{SPEC_URI}#{location}"},
                                         registry=self.registry)
        error = next(iter(validator.iter_errors(instance)), None)
        if error is not None:
            raise AssertionError(f"not as documented at {location}: {error.message} "
                                 f"(at {list(error.absolute_path)})")

    def operation(self, method: str, path: str) -> tuple[str, dict]:
        for pattern, template in self.paths:
            if pattern.match(path):
                found = self.spec["paths"][template].get(method.lower())
                assert found is not None, f"{method} {template} is not documented"
                return template, found
        raise AssertionError(f"{method} {path} is not documented")

    def response_location(self, template: str, method: str, status: str) -> str:
        """Where the documented response is (following a $ref to components/responses)."""
        location = pointer("paths", template, method.lower(), "responses", status)
        node = self.spec["paths"][template][method.lower()]["responses"][status]
        if "$ref" in node:
            location = node["$ref"][1:]
        return location

    def at(self, location: str) -> dict:
        node = self.spec
        for part in location.lstrip("/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def check(self, method: str, path: str, body, response) -> None:
        template, op = self.operation(method, path)
        status = str(response.status_code)
        assert status in op["responses"], f"{status} is not documented for {method} {template}"
        location = self.response_location(template, method, status)
        documented = self.at(location)
        if body is not None and response.status_code < 300 and "requestBody" in op:
            self.validate(pointer("paths", template, method.lower(), "requestBody", "content",
                                  "application/json", "schema"), body)
        assert "application/json" in documented["content"]
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        self.validate(location + pointer("content", "application/json", "schema"),
                      response.get_json())
        for name, header in documented.get("headers", {}).items():
            assert name in response.headers, f"documented header {name} is missing"
            schema = header.get("schema", header)
            if "const" in schema:
                assert response.headers[name] == schema["const"]
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "Set-Cookie" not in response.headers
        for name in ("Cache-Control", "X-Content-Type-Options", "Referrer-Policy",
                     "Content-Security-Policy", "Strict-Transport-Security"):
            assert len(response.headers.getlist(name)) == 1, f"{name} must be sent once"


CONTRACT = Contract(SPEC)


class Api:
    """The test client, with every exchange checked against the document."""

    def __init__(self, client, link: str) -> None:
        self.client, self.link = client, link
        self.counter = 0

    def mid(self) -> str:
        self.counter += 1
        return f"test-message-{self.counter:06d}"

    def call(self, method: str, path: str, body=None, token=None, check=True, **kwargs):
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None and "data" not in kwargs:
            kwargs["json"] = body
        response = self.client.open(path, method=method, headers=headers, **kwargs)
        if check:
            CONTRACT.check(method, path, body, response)
        return response

    def start(self, link=None, **body):
        body.setdefault("message_id", self.mid())
        body.setdefault("start_secret", f"secret-for-{body['message_id']}")
        return self.call("POST", f"/api/v1/surveys/{link or self.link}/conversations", body)

    def send(self, token, link=None, **body):
        body.setdefault("message_id", self.mid())
        return self.call("POST", f"/api/v1/surveys/{link or self.link}/conversation/messages",
                         body, token)

    def fetch(self, token, message_id, link=None):
        return self.call("GET", f"/api/v1/surveys/{link or self.link}/conversation", None, token,
                         query_string={"message_id": message_id})

    def exit(self, token, link=None):
        return self.call("POST", f"/api/v1/surveys/{link or self.link}/conversation/exit",
                         None, token)


@pytest.fixture
def api(client, survey):
    return Api(client, survey.link)


def started(api, **body):
    response = api.start(**body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["conversation"]


def turns(token) -> int:
    return record_of(record_key(token))["s"]["t"]


def last_question(response) -> dict:
    return [r for r in response.get_json()["replies"] if r["type"] == "question"][-1]


# -- whole conversations --

def test_a_whole_survey_for_a_little_one(api, survey):
    response = api.start(age_band="4-7")
    assert response.status_code == 201
    token = response.get_json()["conversation"]
    assert last_question(response)["input"] == "choice"
    assert last_question(api.send(token, value="en"))["ask"] == "consent"
    faces = last_question(api.send(token, value="yes"))
    assert faces["input"] == "faces" and faces["progress"] == {
        "n": 1, "total": 2, "text": "Question 1 of 2"}
    assert [o["emoji"] for o in faces["options"]] and faces["options"][0]["label"] == "Very sad"
    api.send(token, value=4)
    done = api.send(token, value="yes").get_json()
    assert done["status"] == "complete" and done["replies"][-1]["text"] == "Thank you!"
    [record] = waiting()
    assert record["answers"] == {"happy_yesterday": 4, "feels_safe": "yes"}
    assert record["age_band"] == "4-7" and record["channel"] == "web"
    after = api.send(token, value="yes")
    assert after.status_code == 404 and after.get_json()["error"]["code"] == "not_found"


def test_every_kind_of_answer_for_a_teenager(api):
    token = started(api)
    api.send(token, text="English")
    api.send(token, command="help")
    api.send(token, value="yes")
    scale = last_question(api.send(token, text="15"))
    assert scale["input"] == "scale" and (scale["min"], scale["max"]) == (0, 10)
    assert scale["ends"] == "0 is not at all happy. 10 is completely happy."
    lonely = last_question(api.send(token, value=7))
    assert lonely["sensitive"] and lonely["intro"] and lonely["skip"]
    hobbies = last_question(api.send(token, command="skip"))
    assert hobbies["input"] == "multi" and hobbies["send_label"] == "Send"
    number = last_question(api.send(token, value=["music", "games"]))
    assert number["input"] == "number"
    text = last_question(api.send(token, text="three"))
    assert text["input"] == "text" and text["max_length"] == 40
    assert text["text"] == "What music do you like, Music, Games fan?"
    api.send(token, text="Loud guitars")
    done = api.send(token, text="More time with my friends")
    assert done.get_json()["status"] == "complete"


def test_talk_to_someone_offers_help_then_carries_on(api):
    token = started(api)
    api.send(token, value="en")
    api.send(token, value="yes")
    help_offered = api.send(token, command="support").get_json()["replies"]
    assert any("Childline" in r["text"] for r in help_offered)
    assert last_question_of(help_offered)["text"] == "Do you want to carry on?"
    back = api.send(token, value="yes").get_json()["replies"]
    assert last_question_of(back)["text"] == "How old are you?"


def last_question_of(replies: list[dict]) -> dict:
    return [r for r in replies if r["type"] == "question"][-1]


def test_right_to_left_replies_carry_their_direction(api, survey):
    survey.tenant.locales = ["en", "ar"]
    db.session.commit()
    token = started(api, locale="ar")
    consent = last_question(api.send(token, value="ar"))
    assert consent["lang"] == "ar" and consent["dir"] == "rtl"
    assert [o["label"] for o in consent["options"]] == ["نعم", "لا"]


# -- replays --

def test_a_replayed_message_gets_the_same_reply_and_is_recorded_once(api):
    token = started(api)
    first = api.send(token, message_id="same-message-id-0001", value="en")
    assert turns(token) == 1
    again = api.send(token, message_id="same-message-id-0001", value="en")
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert turns(token) == 1, "the replay was not recorded as another turn"
    different_body = api.send(token, message_id="same-message-id-0001", value="cy")
    assert different_body.get_json() == first.get_json(), "an id is answered once, whatever follows"
    assert turns(token) == 1


def test_a_replayed_start_returns_the_same_conversation(api):
    first = api.start(message_id="start-message-id-0001", start_secret="start-secret-00001")
    again = api.start(message_id="start-message-id-0001", start_secret="start-secret-00001")
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert len(redis_client().keys("cs:c:*")) == 1
    other = api.start(message_id="start-message-id-0001", start_secret="another-secret-0001")
    assert other.get_json()["conversation"] != first.get_json()["conversation"], \
        "the message id alone is not enough to be handed the conversation"


def test_fetching_what_a_message_produced(api):
    first = api.start(message_id="start-message-id-0002")
    token = first.get_json()["conversation"]
    sent = api.send(token, message_id="first-answer-id-0001", value="en")
    assert api.fetch(token, "first-answer-id-0001").get_json() == sent.get_json()
    assert api.fetch(token, "start-message-id-0002").status_code == 404, \
        "a start's id never goes in a URL: a lost start is sent again, with its secret"
    other = started(api)
    assert api.fetch(other, "first-answer-id-0001").status_code == 404
    assert api.fetch(other, "start-message-id-0002").status_code == 404, \
        "a start message id never gives away another conversation"
    missing = api.call("GET", f"/api/v1/surveys/{api.link}/conversation", None, token)
    assert missing.status_code == 400 and "message_id" in missing.get_json()["error"]["message"]


def test_message_ids_are_per_conversation(api):
    one, two = started(api), started(api)
    api.send(one, message_id="shared-message-id-001", value="en")
    api.send(two, message_id="shared-message-id-001", value="cy")
    assert turns(one) == turns(two) == 1, "the second one was handled, not replayed"


# -- malformed, huge, unauthorised --

@pytest.mark.parametrize(("body", "why"), [
    ({}, "message_id"),
    ({"message_id": "short", "value": "en"}, "message_id"),
    ({"message_id": "has spaces in it 123", "value": "en"}, "message_id"),
    ({"message_id": "valid-message-id-0001"}, "exactly one"),
    ({"message_id": "valid-message-id-0001", "text": "a", "value": "b"}, "exactly one"),
    ({"message_id": "valid-message-id-0001", "command": "explode"}, "command"),
    ({"message_id": "valid-message-id-0001", "value": True}, "value"),
    ({"message_id": "valid-message-id-0001", "value": {"a": 1}}, "value"),
    ({"message_id": "valid-message-id-0001", "value": ["a", 1]}, "value"),
    ({"message_id": "valid-message-id-0001", "value": "x" * 201}, "value"),
    ({"message_id": "valid-message-id-0001", "text": 12}, "text"),
    ({"message_id": "valid-message-id-0001", "text": "hi", "extra": 1}, "Unknown field: extra"),
])
def test_malformed_messages_get_a_clear_400(api, body, why):
    token = started(api)
    response = api.send(token, **body) if body.get("message_id") else api.call(
        "POST", f"/api/v1/surveys/{api.link}/conversation/messages", body, token)
    error = response.get_json()["error"]
    assert response.status_code == 400 and error["code"] == "bad_request"
    assert why in error["message"]


@pytest.mark.parametrize(("data", "content_type", "status"), [
    (b"{not json", "application/json", 400),
    (b"[1, 2]", "application/json", 400),
    (b'"a string"', "application/json", 400),
    (b'{"message_id": "valid-message-id-0001", "value": NaN}', "application/json", 400),
    ("\udcff".encode("utf-8", "surrogatepass"), "application/json", 400),
    (b'{"message_id": "valid-message-id-0001", "text": "\\ud800"}', "application/json", 400),
    (b'{"message_id": "valid-message-id-0001", "value": 1e999}', "application/json", 400),
    (b"[" * 60000, "application/json", 400),
    (b"[" * 100000, "application/json", 413),
    (b"message_id=x&value=en", "application/x-www-form-urlencoded", 415),
    (b'{"message_id": "valid-message-id-0001", "value": "en"}', "text/plain", 415),
])
def test_bodies_that_are_not_a_json_object(api, data, content_type, status):
    token = started(api)
    response = api.call("POST", f"/api/v1/surveys/{api.link}/conversation/messages", None, token,
                        data=data, content_type=content_type)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] in ("bad_request", "too_large",
                                                    "unsupported_media_type")


def test_a_huge_body_is_refused_with_413(api, app):
    token = started(api)
    huge = json.dumps({"message_id": "valid-message-id-0001",
                       "text": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)})
    for path in ("conversation/messages", "conversations"):
        response = api.call("POST", f"/api/v1/surveys/{api.link}/{path}", None, token, data=huge,
                            content_type="application/json")
        assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_large"


def test_a_long_text_is_cut_kindly(api):
    token = started(api)
    api.send(token, value="en")
    api.send(token, value="yes")
    api.send(token, text="15")
    for answer in (5, "never", ["music"], 2):
        api.send(token, value=answer)
    reply = api.send(token, text="guitars " * 10).get_json()
    assert any(r["type"] == "notice" and "40" in r["text"] for r in reply["replies"])


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Basic abc", "Bearer short",
                                           "Bearer " + "x" * 65, "Bearer has spaces in it"])
def test_a_missing_or_malformed_token_is_401(api, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = api.call("POST", f"/api/v1/surveys/{api.link}/conversation/messages",
                        {"message_id": "valid-message-id-0001", "value": "en"}, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert api.call("POST", f"/api/v1/surveys/{api.link}/conversation/exit",
                    headers=headers).status_code == 401


# -- links, rounds, councils, expiry --

def test_an_unknown_link_is_404_everywhere(api, client):
    token = started(api)
    for link in ("no-such-link", "bad%20link", "x" * 40):
        assert api.start(link=link).status_code == 404
        assert api.send(token, link=link, value="en").status_code == 404
        assert api.exit(token, link=link).status_code == 404
        page = client.get(f"/s/{link}")
        assert page.status_code == 404 and "We could not find this survey" in page.text
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    stray = api.call("GET", "/api/v1/nothing/here", check=False)
    assert stray.status_code == 404 and stray.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(("opens", "closes", "status", "code", "words"), [
    (-30, -1, 410, "survey_closed", "This survey has closed"),
    (2, 30, 403, "survey_not_open", "This survey has not started yet"),
])
def test_a_round_that_is_not_open_says_so_kindly(api, client, survey, opens, closes, status,
                                                 code, words):
    now = datetime.now(UTC)
    survey.opens_at, survey.closes_at = now + timedelta(days=opens), now + timedelta(days=closes)
    db.session.commit()
    response = api.start()
    assert response.status_code == status and response.get_json()["error"]["code"] == code
    page = client.get(f"/s/{survey.link}")
    assert page.status_code == status and words in page.text and "Childline" in page.text
    assert "frame-ancestors https://www.testshire.gov.uk" in page.headers[
        "Content-Security-Policy"]


def test_a_conversation_takes_no_answers_after_its_round_closes(api, survey):
    token = started(api)
    survey.closes_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    late = api.send(token, value="en")
    assert late.status_code == 410 and late.get_json()["error"]["code"] == "survey_closed"
    assert api.exit(token).status_code == 200


def test_an_sms_only_round_is_not_a_web_chat(api, client, survey):
    survey.channels = ["sms"]
    db.session.commit()
    response = api.start()
    assert response.status_code == 403 and response.get_json()["error"]["code"] == \
        "web_not_offered"
    assert client.get(f"/s/{survey.link}").status_code == 403


def test_another_council_s_token_is_not_found(api, survey):
    other = seed_tenant(slug="otherham", number="+447700900002", origins=())
    other_round = open_round(other, survey.flow_version, name="Otherham")
    token = started(api)
    assert api.send(token, link=other_round.link, value="en").status_code == 404
    assert api.fetch(token, "test-message-000001", link=other_round.link).status_code == 404
    assert api.exit(token, link=other_round.link).status_code == 200  # reveals nothing...
    assert api.send(token, value="en").status_code == 200  # ...and closed nothing


def test_an_expired_conversation_is_not_found(api):
    token = started(api)
    redis_client().pexpire(record_key(token), 1)
    time.sleep(0.01)
    assert not redis_client().exists(record_key(token))
    response = api.send(token, value="en")
    assert response.status_code == 404 and "timed out" in response.get_json()["error"]["message"]
    assert api.send("A" * 24, value="en").status_code == 404


def test_a_conversation_changed_by_other_messages_all_along_asks_for_a_retry(api, app,
                                                                              monkeypatch):
    from chatsurvey.conversations.keyspace import SessionStore

    token = started(api)
    monkeypatch.setattr(SessionStore, "save", lambda *args, **kwargs: False)
    response = api.send(token, value="en")
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert response.get_json()["error"]["code"] == "busy"


def test_redis_away_is_a_json_503_with_retry_after(api, app, monkeypatch):
    from redis.exceptions import ConnectionError as RedisConnectionError

    from chatsurvey.conversations.keyspace import SessionStore

    token = started(api)

    def away(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(SessionStore, "read", away)
    for response in (api.send(token, value="en"), api.start()):
        assert response.status_code == 503, response.data
        assert response.headers["Retry-After"] == "5"
        assert response.mimetype == "application/json"
        assert response.get_json()["error"]["code"] == "unavailable"


def test_locale_and_age_band_are_checked(api, survey):
    assert api.start(locale="cy").status_code == 400  # England offers English only
    assert api.start(age_band="eight").status_code == 400
    survey.tenant.locales = ["en", "cy"]
    db.session.commit()
    response = api.start(locale="cy", age_band="8-11")
    assert response.status_code == 201


# -- quick exit --

def test_quick_exit_keeps_consented_answers_and_always_says_closed(api):
    token = started(api)
    for value in ("en", "yes"):
        api.send(token, value=value)
    api.send(token, text="5")
    api.send(token, value=2)
    response = api.exit(token)
    assert response.status_code == 200 and response.get_json() == {"status": "closed"}
    [record] = waiting()
    assert record["status"] == "partial" and record["answers"]["happy_yesterday"] == 2
    assert api.send(token, value="yes").status_code == 404
    assert api.exit(token).get_json() == {"status": "closed"}
    assert api.exit("B" * 24).get_json() == {"status": "closed"}


def test_quick_exit_before_consent_keeps_nothing(api):
    token = started(api)
    api.send(token, value="en")
    assert api.exit(token).status_code == 200
    assert waiting() == [] and "s" not in record_of(record_key(token))


# -- the OpenAPI document --

def test_the_document_is_served_and_valid(api):
    response = api.call("GET", "/api/v1/openapi.json")
    assert response.get_json() == SPEC
    assert SPEC["openapi"].startswith("3.1")
    for schema in SPEC["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_every_api_route_is_documented_and_every_documented_route_exists(app):
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "webapi.api_not_found":
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
            served |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(m.upper(), p) for p, ops in SPEC["paths"].items() for m in ops
                  if m in ("get", "post", "put", "patch", "delete")}
    assert served == documented


def test_the_contract_check_can_fail(api):
    response = api.start()
    response.set_data(json.dumps({**response.get_json(), "surprise": True}))
    with pytest.raises(AssertionError, match="not as documented"):
        CONTRACT.check("POST", f"/api/v1/surveys/{api.link}/conversations", None, response)
    response.status_code = 418
    with pytest.raises(AssertionError, match="418 is not documented"):
        CONTRACT.check("POST", f"/api/v1/surveys/{api.link}/conversations", None, response)
    with pytest.raises(AssertionError, match="not documented"):
        CONTRACT.check("DELETE", f"/api/v1/surveys/{api.link}/conversations", None, response)


MESSAGE_BODIES = [
    {"text": "hello"}, {"text": ""}, {"value": "yes"}, {"value": 3}, {"value": -2147483648},
    {"value": 2147483648}, {"value": 3.0}, {"value": 3.5}, {"value": []}, {"value": ["a"] * 50},
    {"value": ["a"] * 51}, {"value": None}, {"value": False}, {"command": "skip"},
    {"command": "SKIP"}, {"command": "back", "text": "x"}, {}, {"text": "a", "other": 1},
    {"message_id": "x" * 15, "text": "a"}, {"message_id": "x" * 64, "text": "a"},
    {"message_id": "x" * 65, "text": "a"}, {"message_id": 123456789012345678, "text": "a"},
]


@pytest.mark.parametrize("body", MESSAGE_BODIES)
def test_the_api_accepts_exactly_the_messages_the_document_allows(api, body):
    body = {"message_id": "corpus-message-id-001", **body}
    well_formed_stranger = "C" * 24  # a valid token of no conversation: 404 once the body is OK
    response = api.call("POST", f"/api/v1/surveys/{api.link}/conversation/messages", body,
                        well_formed_stranger)
    location = pointer("components", "schemas", "Message")
    try:
        CONTRACT.validate(location, body)
        documented_ok = True
    except AssertionError:
        documented_ok = False
    assert (response.status_code != 400) == documented_ok, response.get_json()


@pytest.mark.parametrize("body", [
    {}, {"locale": None}, {"age_band": "8-11"}, {"age_band": "8 to 11"}, {"locale": "EN"},
    {"locale": "en", "age_band": None}, {"link": "x"}, {"message_id": "y" * 10},
])
def test_the_api_accepts_exactly_the_starts_the_document_allows(api, body):
    body = {"message_id": "corpus-start-id-00001", **body}
    response = api.call("POST", f"/api/v1/surveys/{api.link}/conversations", body)
    try:
        CONTRACT.validate(pointer("components", "schemas", "StartRequest"), body)
        documented_ok = True
    except AssertionError:
        documented_ok = False
    assert (response.status_code != 400) == documented_ok, response.get_json()


# -- the chat page --

def csp(response) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in
                response.headers["Content-Security-Policy"].split(";"))


def test_the_page_is_locked_down(client, survey):
    page = client.get(f"/s/{survey.link}")
    assert page.status_code == 200
    policy = csp(page)
    assert policy["frame-ancestors"] == "https://www.testshire.gov.uk"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["base-uri"] == "'none'"
    headers = page.headers
    assert headers["Cache-Control"] == "no-store" and headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff" and "Set-Cookie" not in headers
    html = page.text
    assert "style=" not in html and "<style" not in html
    scripts = re.findall(r"<script([^>]*)>", html)
    assert all("src=" in s or 'type="application/json"' in s for s in scripts)
    assert 'role="log"' in html and 'aria-live="polite"' in html
    assert '<html lang="en" dir="ltr">' in html


@pytest.mark.parametrize(("origins", "expected"), [
    ([], "'none'"),
    (["https://www.council.gov.uk/", "HTTPS://Schools.Council.gov.uk"],
     "https://www.council.gov.uk https://schools.council.gov.uk"),
    (["https://ok.example", "https://evil.example; script-src *", "http://plain.example", "*",
      "http://localhost:8000"], "https://ok.example http://localhost:8000"),
])
def test_only_the_council_s_own_sites_may_frame_the_page(client, survey, origins, expected):
    survey.tenant.web_origins = origins
    db.session.commit()
    assert csp(client.get(f"/s/{survey.link}"))["frame-ancestors"] == expected


def page_config(response) -> dict:
    found = re.search(r'<script type="application/json" id="chat-config">(.*?)</script>',
                      response.text, re.S)
    return json.loads(found.group(1))


def test_the_page_passes_on_language_age_and_embedding(client, survey):
    survey.tenant.locales = ["en", "ar"]
    survey.tenant.web_origins = ["https://www.testshire.gov.uk"]
    db.session.commit()
    page = client.get(f"/s/{survey.link}?lang=ar&age=8-11&embed=1"
                      "&parent=https://www.testshire.gov.uk")
    assert '<html lang="ar" dir="rtl" class="embed">' in page.text
    config = page_config(page)
    assert config["locale"] == "ar" and config["ageBand"] == "8-11" and config["embed"]
    assert config["parentOrigin"] == "https://www.testshire.gov.uk"
    assert config["api"] == f"/api/v1/surveys/{survey.link}" and config["uiLang"] == "ar"
    assert config["uiDir"] == "rtl" and config["strings"]["send"] == "إرسال"
    odd = page_config(client.get(f"/s/{survey.link}?lang=cy&age=eight&embed=1"
                                 "&parent=https://www.testshire.gov.uk"))
    assert odd["locale"] is None and odd["ageBand"] is None
    unlisted = client.get(f"/s/{survey.link}?embed=1&parent=https://evil.example")
    assert "chat-config" not in unlisted.text  # no chat, so nothing to talk to a parent


def test_the_widget_on_an_unlisted_site_says_what_to_do(client, survey):
    """Not the browser's "refused to connect": words for the young person and the site's owner."""
    survey.tenant.web_origins = ["https://www.testshire.gov.uk"]
    db.session.commit()
    page = client.get(f"/s/{survey.link}?embed=1&parent=https://www.other.example")
    assert page.status_code == 403
    assert csp(page)["frame-ancestors"] == "https://www.other.example"
    text = page.text.replace("&#39;", "'")
    assert "This survey cannot open on this website yet" in text
    assert f'href="/s/{survey.link}" target="_blank"' in text
    assert "add https://www.other.example to your council's Web chat sites" in text
    assert "chat-config" not in text and "chat.js" not in text
    for parent in ("javascript:alert(1)", "https://x.example; script-src *", ""):
        odd = client.get(f"/s/{survey.link}", query_string={"embed": "1", "parent": parent})
        assert odd.status_code == 200 and csp(odd)["frame-ancestors"] == (
            "https://www.testshire.gov.uk")


def test_the_page_words_come_from_a_catalogue(make_app, tmp_path):
    from tests.helpers import publish_fixture_flows

    catalogue = tmp_path / "cy" / "LC_MESSAGES"
    catalogue.mkdir(parents=True)
    (catalogue / "web.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Quick exit"\nmsgstr "Gadael yn gyflym"\n\n'
        'msgid "Send"\nmsgstr "Anfon"\n', "utf-8")
    app = make_app(TEXTS_DIR=str(tmp_path))
    redis_client(app).flushdb()
    with app.app_context():
        db.create_all()
        try:
            survey_round = open_round(seed_tenant(country="wales"),
                                      publish_fixture_flows()["router"])
            client = app.test_client()
            welsh = client.get(f"/s/{survey_round.link}")
            assert '<html lang="cy" dir="ltr">' in welsh.text
            assert "Gadael yn gyflym" in welsh.text and '<header class="bar" lang="cy">' in welsh.text
            assert page_config(welsh)["strings"]["send"] == "Anfon"
            assert page_config(welsh)["strings"]["back"] == "Go back"  # untranslated: English
            english = client.get(f"/s/{survey_round.link}?lang=en")
            assert "Quick exit" in english.text and page_config(english)["uiLang"] == "en"
        finally:
            db.session.remove()
            db.drop_all()


def test_the_council_colour_is_readable(client, survey):
    def theme(branding):
        survey.tenant.branding = branding
        db.session.commit()
        css = client.get(f"/s/{survey.link}/theme.css")
        assert css.mimetype == "text/css"
        return dict(re.findall(r"--([a-z-]+):(#[0-9a-f]{6})", css.text))

    assert theme({})["brand"] == "#1d5d90"
    yellow = theme({"colour": "#FFDD00", "text_colour": "#ffffff"})
    assert yellow["brand"] == "#ffdd00" and yellow["on-brand"] == "#0b0c0c"
    for colours in (yellow, theme({"colour": "#abc"}), theme({"colour": "#005ea5"}),
                    theme({"colour": "red; } body { display: none"})):
        assert contrast(colours["brand"], colours["on-brand"]) >= 4.5
        assert contrast(colours["brand-ink"], PAGE_BG) >= 4.5
    assert theme({"colour": "#005ea5", "text_colour": "#fff"})["on-brand"] == "#ffffff"
    assert client.get("/s/no-such-link/theme.css").status_code == 404


def test_the_widget_script_and_the_page_assets(client):
    with client.get("/widget.js") as widget:
        assert widget.status_code == 200
        assert widget.headers["Content-Type"] == "text/javascript; charset=utf-8"
        assert widget.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
        assert "max-age=3600" in widget.headers["Cache-Control"]
        source = widget.get_data(as_text=True)
    for name in ("chat.js", "chat.css"):
        with client.get(f"/chat/static/{name}") as asset:
            assert asset.status_code == 200 and asset.headers["X-Content-Type-Options"] == "nosniff"
            source += asset.get_data(as_text=True)
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", source, flags=re.S)  # what runs, not comments
    for forbidden in ("localStorage", "sessionStorage", "document.cookie", "indexedDB",
                      "'http", "\"http", "eval(", "innerHTML", "'*'"):
        assert forbidden not in code, f"the chat's own code must not use {forbidden}"


def test_the_page_words_template_is_up_to_date():
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg
    from babel.messages.pofile import read_po

    from tests.helpers import PROJECT

    with (PROJECT / "babel-web.cfg").open() as config:
        methods, options = parse_mapping_cfg(config)
    found = {m[2] for m in extract_from_dir(str(PROJECT), methods, options)}
    with (PROJECT / "chatsurvey" / "locales" / "web.pot").open("rb") as handle:
        extracted = {m.id for m in read_po(handle) if m.id}
    assert found == extracted, "run the web.pot extraction (see chatsurvey/i18n.py)"


def test_every_word_the_chat_script_shows_comes_from_the_page(client, survey):
    """chat.js shows only words the page hands it (translated from web.po): none missing, none spare."""
    from tests.helpers import PROJECT

    script = (PROJECT / "chatsurvey" / "static" / "chat" / "chat.js").read_text("utf-8")
    used = set(re.findall(r"\bS\.([A-Za-z]+)", script))
    given = set(page_config(client.get(f"/s/{survey.link}"))["strings"])
    assert used == given, f"missing: {sorted(used - given)}, unused: {sorted(given - used)}"
