"""POST /sms/inbound against real Redis: signatures, replays, races, expiry, STOP/START/HELP."""

from __future__ import annotations

import secrets
import threading
import time

import pytest
from flask import current_app
from twilio.request_validator import RequestValidator

import chatsurvey.invitations.models  # noqa: F401  (the SMS tables, until app.py imports them)
from chatsurvey import conversations
from chatsurvey.conversations.keyspace import finished_key, pointer_key, sessions
from chatsurvey.crypto import crypto
from chatsurvey.extensions import db, redis_client
from chatsurvey.invitations.models import Invitation, OptOut
from devtools.phone import Phone, reply_texts
from tests.helpers import open_round, publish_fixture_flows, record_of, seed_tenant, waiting

pytestmark = pytest.mark.redis

TO = "+447700900001"
SENDER = "+447700900123"
TOKEN = "twilio-test-token"
ACCOUNT = "AC" + "0" * 32
URL = "http://localhost/sms/inbound"


def new_sid() -> str:
    return "SM" + secrets.token_hex(16)


def text(client, body, *, sid=None, sender=SENDER, to=TO, token=TOKEN, url=URL, headers=None,
         base_url=None, form=None):
    """Post a webhook signed as Twilio would; returns the response."""
    data = form if form is not None else {
        "From": sender, "To": to, "Body": body, "MessageSid": sid or new_sid(),
        "AccountSid": ACCOUNT, "NumMedia": "0"}
    signature = RequestValidator(token).compute_signature(url, data)
    kwargs = {"base_url": base_url} if base_url else {}
    return client.post("/sms/inbound", data=data, **kwargs,
                       headers={"X-Twilio-Signature": signature, **(headers or {})})


def texts(response) -> list[str]:
    assert response.mimetype == "text/xml"
    return reply_texts(response.get_data(as_text=True))


def pointer(sender=SENDER, tenant_id=None):
    tenant_id = tenant_id or 1
    return pointer_key(tenant_id, crypto().phone_hash(sender))


def turns(key) -> int:
    """Turns taken in the conversation of the sender whose record is ``key``."""
    return record_of(key)["s"]["t"]


def conversation_keys() -> list[bytes]:
    """Every chatsurvey key but the flood check's counter, which lives for one window."""
    return [k for k in redis_client().keys("cs:*") if not k.startswith(b"cs:sw:")]


def nothing_kept(tenant_id) -> bool:
    redis = redis_client()
    return (not redis.keys("cs:*") and db.session.query(OptOut).count() == 0
            and sessions().find(pointer(tenant_id=tenant_id)) is None)


# -- the happy path ------------------------------------------------------------------


def test_any_text_starts_the_survey_in_one_message(client, survey):
    response = text(client, "hi")
    assert response.status_code == 200
    [message] = texts(response)
    assert message.startswith("Which language?") and "1" in message
    assert "<Message>" in response.get_data(as_text=True)
    cid = sessions().find(pointer(tenant_id=survey.tenant_id))
    assert cid is not None and turns(pointer(tenant_id=survey.tenant_id)) == 0  # "hi" started the flow; it was not an answer


def test_the_replies_of_one_turn_are_joined_into_one_sms(client, survey):
    text(client, "hi")
    response = text(client, "1")
    assert response.get_data(as_text=True).count("<Message>") == 1
    assert texts(response) == ["Hello from Testshire Council!\n\nNobody will know it was you.\n\n"
                               "Do you want to take part?\n1 Yes\n2 No"]


def test_the_number_is_never_stored_or_logged(client, survey, caplog):
    caplog.set_level("DEBUG")
    sid = new_sid()
    text(client, "hi there", sid=sid)
    text(client, "English")
    redis = redis_client()
    for key in redis.keys("*"):
        assert SENDER.encode() not in key and b"7700900123" not in key
        if redis.type(key) == b"string":
            assert b"7700900123" not in redis.get(key)
    assert "7700900123" not in caplog.text and "hi there" not in caplog.text
    assert sid in caplog.text and "testshire" in caplog.text


def test_every_twiml_reply_carries_each_security_header_once(client, survey):
    expected = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
                "Content-Security-Policy": "frame-ancestors 'none'"}
    for response in (text(client, "hi"), text(client, "hi", token="wrong-token")):
        assert response.status_code in (200, 403)
        for name, value in expected.items():
            assert response.headers.getlist(name) == [value]
        [hsts] = response.headers.getlist("Strict-Transport-Security")
        assert hsts.startswith("max-age=")


# -- signatures ----------------------------------------------------------------------


def test_a_bad_signature_is_refused_and_nothing_is_kept(client, survey):
    for token in ("wrong-token", ""):
        response = text(client, "hi", token=token or "x", headers={} if token else {
            "X-Twilio-Signature": ""})
        assert response.status_code == 403
        assert texts(response) == []
    response = text(client, "STOP", token="wrong-token")
    assert response.status_code == 403
    assert nothing_kept(survey.tenant_id)


def test_a_signature_over_another_url_or_other_fields_is_refused(client, survey):
    assert text(client, "hi", url="http://localhost/sms/other").status_code == 403
    data = {"From": SENDER, "To": TO, "Body": "hi", "MessageSid": new_sid()}
    signature = RequestValidator(TOKEN).compute_signature(URL, data)
    tampered = {**data, "Body": "STOP"}
    response = client.post("/sms/inbound", data=tampered,
                           headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert nothing_kept(survey.tenant_id)


def test_a_signature_over_the_url_with_or_without_its_port_is_accepted(client, survey):
    assert text(client, "hi", url="http://localhost:80/sms/inbound").status_code == 200
    assert text(client, "English", url="http://localhost/sms/inbound").status_code == 200
    assert text(client, "yes", url="http://localhost:81/sms/inbound").status_code == 403
    foreign = text(client, "yes", headers={"X-Twilio-Signature": "x" * 27 + "é"})
    assert foreign.status_code == 403  # not ASCII: refused, not an error


def test_a_request_for_another_twilio_account_is_refused(client, survey):
    data = {"From": SENDER, "To": TO, "Body": "hi", "MessageSid": new_sid(),
            "AccountSid": "AC" + "f" * 32}
    assert text(client, "", form=data).status_code == 403
    assert nothing_kept(survey.tenant_id)


def test_another_council_s_token_does_not_sign_for_this_one(client, survey):
    seed_tenant(slug="otherton", number="+447700900002", auth_token="other-token")
    assert text(client, "hi", token="other-token").status_code == 403
    assert text(client, "hi", to="+447700900002", token="other-token").status_code == 200


def test_a_new_auth_token_works_at_once_and_the_old_one_stops(client, survey):
    assert text(client, "hi").status_code == 200  # the council is now remembered
    survey.tenant.twilio_auth_token = "rotated-token"
    db.session.commit()
    assert text(client, "English", token="rotated-token").status_code == 200
    assert text(client, "yes", token=TOKEN).status_code == 403


def test_behind_a_proxy_the_public_url_is_signed(make_app):
    public = "https://surveys.example.org/sms/inbound"
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "surveys.example.org"}
    for proxied, expected in ((True, 200), (False, 403)):
        settings = {"PROXY_X_PROTO": 1, "PROXY_X_HOST": 1} if proxied else {}
        app = make_app(settings)
        redis_client(app).flushdb()
        with app.app_context():
            db.create_all()
            try:
                survey_round = open_round(seed_tenant(), publish_fixture_flows()["router"])
                assert survey_round.id
                response = text(app.test_client(), "hi", url=public, headers=headers)
                assert response.status_code == expected
            finally:
                db.session.remove()  # the request shared this app context: end its transaction
                db.drop_all()


# -- malformed, too big, not ours --------------------------------------------------------


@pytest.mark.parametrize("missing", ["From", "To", "MessageSid", "Body"])
def test_a_form_without_a_required_field_is_400(client, survey, missing):
    form = {"From": SENDER, "To": TO, "Body": "hi", "MessageSid": new_sid()}
    del form[missing]
    response = text(client, "", form=form)
    assert response.status_code == 400 and texts(response) == []
    assert nothing_kept(survey.tenant_id)


def test_json_and_odd_message_ids_are_400(client, survey):
    response = client.post("/sms/inbound", json={"From": SENDER, "To": TO, "Body": "hi",
                                                  "MessageSid": new_sid()})
    assert response.status_code == 400
    assert text(client, "hi", sid="SM../../x").status_code == 400
    assert nothing_kept(survey.tenant_id)


def test_a_huge_body_is_413(client, survey):
    response = text(client, "x" * (current_app.config["MAX_CONTENT_LENGTH"] + 1))
    assert response.status_code == 413
    assert nothing_kept(survey.tenant_id)


def test_an_unknown_number_is_404_with_empty_twiml(client, survey):
    for to in ("+447700900999", "not-a-number"):
        response = text(client, "hi", to=to)
        assert response.status_code == 404 and texts(response) == []
    assert nothing_kept(survey.tenant_id)


# -- replays and races -------------------------------------------------------------------


def test_a_replayed_first_message_gets_the_same_twiml_and_starts_nothing_new(client, survey):
    sid = new_sid()
    first = text(client, "hi", sid=sid)
    cid = sessions().find(pointer(tenant_id=survey.tenant_id))
    again = text(client, "hi", sid=sid)
    assert again.status_code == 200 and again.get_data() == first.get_data()
    assert sessions().find(pointer(tenant_id=survey.tenant_id)) == cid
    assert len(redis_client().keys("cs:s:*")) == 1
    assert record_of(pointer(tenant_id=survey.tenant_id))["v"] == "1"


def test_a_replayed_answer_changes_nothing(client, survey):
    text(client, "hi")
    key = pointer(tenant_id=survey.tenant_id)
    sid = new_sid()
    first = text(client, "English", sid=sid)
    assert turns(key) == 1
    for _ in range(3):
        assert text(client, "English", sid=sid).get_data() == first.get_data()
    assert turns(key) == 1
    assert texts(text(client, "yes"))[0].startswith("Your age?")  # then on as normal


def test_concurrent_replies_to_one_conversation_are_all_taken_in_turn(app, client, survey):
    text(client, "hi")
    text(client, "English")
    key = pointer(tenant_id=survey.tenant_id)
    results = []

    def send(i):
        with app.test_client() as own:
            results.append(text(own, "how do i answer").status_code)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 8
    assert turns(key) == 1 + 8


def test_two_first_messages_at_once_make_one_conversation(app, client, survey):
    results = []
    barrier = threading.Barrier(6)

    def send(i):
        with app.test_client() as own:
            barrier.wait()
            results.append(text(own, "hi").status_code)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 6
    assert len(redis_client().keys("cs:s:*")) == 1
    assert turns(pointer(tenant_id=survey.tenant_id)) == 5  # one started it, five answered in it


def test_a_busy_conversation_answers_503_so_twilio_retries(client, survey, monkeypatch):
    from chatsurvey.conversations.keyspace import SessionStore

    text(client, "hi")
    key = pointer(tenant_id=survey.tenant_id)
    sid = new_sid()
    with monkeypatch.context() as patch:  # other messages keep changing it
        patch.setattr(SessionStore, "save", lambda *args, **kwargs: False)
        response = text(client, "English", sid=sid)
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert turns(key) == 0
    assert text(client, "English", sid=sid).status_code == 200 and turns(key) == 1


def test_redis_away_answers_503_so_twilio_retries_and_keeps_nothing(client, survey,
                                                                    monkeypatch):
    from redis.exceptions import ConnectionError as RedisConnectionError

    from chatsurvey.conversations.keyspace import SessionStore

    text(client, "hi")

    def away(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    sid = new_sid()
    with monkeypatch.context() as patch:
        patch.setattr(SessionStore, "read", away)
        response = text(client, "English", sid=sid)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert turns(pointer(tenant_id=survey.tenant_id)) == 0
    assert texts(text(client, "English", sid=sid))[0].startswith("Hello")


# -- expiry ------------------------------------------------------------------------------


def _wait_gone(*keys):
    for _ in range(200):
        if not redis_client().exists(*keys):
            return
        time.sleep(0.01)
    raise AssertionError("the keys did not expire")


def test_an_expired_conversation_is_gone_and_a_new_text_starts_afresh(client, survey):
    text(client, "hi")
    text(client, "English")
    key = pointer(tenant_id=survey.tenant_id)
    cid = sessions().find(key)
    redis = redis_client()
    assert redis.ttl(key) > 6 * 24 * 3600
    redis.pexpire(key, 1)
    _wait_gone(key)
    [message] = texts(text(client, "yes"))
    assert message.startswith("Which language?")  # "yes" starts afresh, not an answer
    new = sessions().find(key)
    assert new not in (None, cid) and turns(key) == 0


def test_a_replayed_sms_is_answered_the_same_even_after_the_end(client, survey):
    text(client, "hi")
    text(client, "English")
    sid = new_sid()
    first = texts(text(client, "no", sid=sid))  # no consent: the conversation ends
    assert sessions().find(pointer(tenant_id=survey.tenant_id)) is None
    assert texts(text(client, "no", sid=sid)) == first


# -- STOP, START, HELP ---------------------------------------------------------------------


def test_stop_ends_the_conversation_discards_answers_and_opts_out(client, survey):
    text(client, "hi")
    text(client, "English")
    text(client, "yes")
    cid = sessions().find(pointer(tenant_id=survey.tenant_id))
    response = text(client, "Stop")
    assert response.status_code == 200 and texts(response) == []  # Twilio confirms STOP itself
    assert cid is not None and sessions().find(pointer(tenant_id=survey.tenant_id)) is None
    assert "s" not in record_of(pointer(tenant_id=survey.tenant_id))
    assert waiting() == []  # nothing handed on to be stored
    assert OptOut.exists(survey.tenant_id, crypto().phone_hash(SENDER))


@pytest.mark.parametrize("word", ["STOP", "stopall", "UNSUBSCRIBE", "cancel", "End", "QUIT",
                                  "revoke", "optout", " stop "])
def test_every_twilio_stop_word_opts_out_silently(client, survey, word):
    response = text(client, word)
    assert texts(response) == []
    assert OptOut.exists(survey.tenant_id, crypto().phone_hash(SENDER))
    assert sessions().find(pointer(tenant_id=survey.tenant_id)) is None


def test_stop_in_a_sentence_is_not_an_opt_out(client, survey):
    text(client, "hi")
    text(client, "stop please")
    assert not OptOut.exists(survey.tenant_id, crypto().phone_hash(SENDER))


def test_a_welsh_stop_word_is_confirmed_in_welsh(client, survey):
    [message] = texts(text(client, "Stopio"))
    assert "START" in message and "negeseuon" in message
    assert OptOut.exists(survey.tenant_id, crypto().phone_hash(SENDER))
    [message] = texts(text(client, "STOP!"))  # not a word Twilio knows: we confirm it
    assert message.startswith("OK, you will not get any more texts")


def test_a_replayed_stop_gets_the_same_empty_answer(client, survey):
    text(client, "hi")
    sid = new_sid()
    first = text(client, "STOP", sid=sid)
    again = text(client, "STOP", sid=sid)
    assert again.get_data() == first.get_data() and texts(again) == []
    assert db.session.query(OptOut).count() == 1


def test_after_stop_texts_start_nothing_until_start(client, survey):
    text(client, "STOP")
    [message] = texts(text(client, "hello"))
    assert "START" in message and sessions().find(pointer(tenant_id=survey.tenant_id)) is None
    [message] = texts(text(client, "START"))
    assert message.startswith("Which language?")
    assert not OptOut.exists(survey.tenant_id, crypto().phone_hash(SENDER))


def test_yes_also_opts_back_in_as_twilio_does(client, survey):
    text(client, "STOP")
    assert texts(text(client, "YES"))[0].startswith("Which language?")
    assert not OptOut.exists(survey.tenant_id, crypto().phone_hash(SENDER))


def test_help_sends_the_council_s_help_text(client, survey):
    for word in ("HELP", "info", "Help."):
        assert texts(text(client, word)) == ["Testshire survey. Text STOP to leave."]
    assert sessions().find(pointer(tenant_id=survey.tenant_id)) is None
    survey.tenant.help_text = None
    db.session.commit()
    [message] = texts(text(client, "help"))
    assert message.startswith("This number is run by Testshire Council")


def test_help_in_a_conversation_leaves_it_where_it_was(client, survey):
    text(client, "hi")
    assert sessions().find(pointer(tenant_id=survey.tenant_id)) is not None
    assert texts(text(client, "help")) == ["Testshire survey. Text STOP to leave."]
    assert turns(pointer(tenant_id=survey.tenant_id)) == 0
    assert texts(text(client, "English"))[0].startswith("Hello")


def test_a_question_mark_shows_where_you_were_as_the_reminder_promises(client, survey):
    text(client, "hi")
    text(client, "English")
    [message] = texts(text(client, "?"))
    assert message.endswith("Do you want to take part?\n1 Yes\n2 No")


def test_a_welsh_council_s_own_texts_are_in_welsh(client, survey):
    survey.tenant.country = "wales"
    survey.closes_at = survey.opens_at  # no round open
    db.session.commit()
    [message] = texts(text(client, "helo"))
    assert message.startswith("Helo! Does dim arolwg")


# -- which round -----------------------------------------------------------------------------


def test_no_open_round_gets_a_kind_reply_and_nothing_starts(client, survey):
    survey.closes_at = survey.opens_at
    db.session.commit()
    [message] = texts(text(client, "hi"))
    assert message.startswith("Hi! There is no survey running at the moment.")
    assert message.endswith("Testshire survey. Text STOP to leave.")
    assert not conversation_keys()


def test_a_round_without_sms_is_not_started_by_text(client, survey):
    survey.channels = ["web"]
    db.session.commit()
    assert texts(text(client, "hi"))[0].startswith("Hi! There is no survey")


def _two_rounds(survey, keywords=("AUTUMN", "PETS")):
    from chatsurvey.flows.models import FlowVersion

    survey.keyword = keywords[0]
    pets = db.session.query(FlowVersion).filter_by(flow_id="pets").one()
    other = open_round(survey.tenant, pets, keyword=keywords[1], name="Pets")
    db.session.commit()
    return other


def test_with_two_open_rounds_the_keyword_picks_one(client, survey):
    _two_rounds(survey)
    [message] = texts(text(client, "pets please"))
    assert message.startswith("Hi! This is a short chat about pets.")
    [message] = texts(text(client, "Autumn", sender="+447700900124"))
    assert message.startswith("Which language?")


def test_with_two_open_rounds_and_no_keyword_we_ask_which(client, survey):
    _two_rounds(survey)
    [message] = texts(text(client, "hello"))
    assert message == "Which survey? Please text one of these words: AUTUMN, PETS"
    assert not conversation_keys()


def test_with_two_open_rounds_an_invited_phone_gets_its_round(client, survey):
    other = _two_rounds(survey)
    db.session.add(Invitation(round_id=other.id, phone_hash=crypto().phone_hash(SENDER),
                              status="sent", attempts=1))
    db.session.commit()
    [message] = texts(text(client, "YES"))
    assert message.startswith("Hi! This is a short chat about pets.")
    assert record_of(pointer(tenant_id=survey.tenant_id))["m"]["round_id"] == other.id


def test_a_finished_conversation_lets_the_next_text_start_again(client, survey):
    text(client, "hi")
    text(client, "English")
    [message] = texts(text(client, "no"))
    assert "Bye" in message
    assert sessions().find(pointer(tenant_id=survey.tenant_id)) is None
    assert texts(text(client, "hi"))[0].startswith("Which language?")


def finish_the_survey(client, survey, sender=SENDER):
    text(client, "hi", sender=sender)
    text(client, "English", sender=sender)
    text(client, "yes", sender=sender)
    for _ in range(60):
        if sessions().find(pointer(sender, tenant_id=survey.tenant_id)) is None:
            return
        text(client, "skip", sender=sender)
    raise AssertionError("the survey did not end")


def test_someone_who_finished_is_thanked_not_surveyed_again(client, survey):
    finish_the_survey(client, survey)
    [message] = texts(text(client, "thanks x"))
    assert message.startswith("You have already done this survey. Thank you!")
    assert sessions().find(pointer(tenant_id=survey.tenant_id)) is None
    # Nothing about the marker links it to the answers: it names the round, not the response,
    # and it goes with the whole round's, at a midnight after the round closes.
    keys = [k.decode() for k in redis_client().scan_iter("cs:f:*")]
    assert keys == [finished_key(pointer(tenant_id=survey.tenant_id), survey.id)]
    assert keys[0].endswith(f":{survey.tenant_id}:{crypto().phone_hash(SENDER)}:{survey.id}")
    expires = time.time() + redis_client().ttl(keys[0])  # EXPIRETIME needs Redis 7
    assert min(expires % 86400, 86400 - expires % 86400) < 3, "at a midnight: dates nobody"
    assert expires >= survey.closes_at.timestamp() + current_app.config[
        "SMS_FINISHED_AFTER_CLOSE"]
    # Someone else, texting the same number, still gets the survey.
    assert texts(text(client, "hi", sender="+447700900999"))[0].startswith("Which language?")


def test_a_new_round_can_be_answered_by_someone_who_finished_the_last(client, survey):
    finish_the_survey(client, survey)
    survey.closes_at = survey.opens_at  # the old round closes, a new one opens
    db.session.commit()
    open_round(survey.tenant, survey.flow_version)
    assert texts(text(client, "hi"))[0].startswith("Which language?")


# -- the terminal phone ----------------------------------------------------------------------


def test_the_terminal_phone_signs_like_twilio(survey, app):
    """The phone's request, replayed through the test client, passes the signature check."""
    sent = {}

    class Session:
        def post(self, url, data, timeout, headers):
            sent.update(url=url, data=data, headers=headers)
            response = app.test_client().post("/sms/inbound", data=data, headers=headers)
            return type("R", (), {"status_code": response.status_code,
                                  "headers": response.headers,
                                  "text": response.get_data(as_text=True)})()

    phone = Phone("http://localhost/", TO, SENDER, TOKEN, ACCOUNT)
    phone.session = Session()
    status, replies = phone.send("hi")
    assert sent["url"] == URL and sent["data"]["MessageSid"].startswith("SM")
    assert status == 200 and replies[0].startswith("Which language?")
    bad = Phone("http://localhost", TO, SENDER, "wrong", ACCOUNT)
    bad.session = Session()
    assert bad.send("hi")[0] == 403


def test_conversations_started_by_sms_are_sms_conversations(client, survey):
    text(client, "hi")
    outcome = conversations.reply_to_sender(pointer(tenant_id=survey.tenant_id),
                                            survey.tenant_id, "direct", "English")
    assert outcome.replies and "segments" in outcome.replies[-1]
    with pytest.raises(conversations.NotFound):  # not a web conversation's token
        conversations.reply(outcome.conversation, survey.tenant_id, "direct-2", "yes")


def test_the_phone_command_texts_a_running_server(app, survey):
    """End to end over HTTP: `chatsurvey phone` signs, posts and prints the replies."""
    from werkzeug.serving import make_server

    from devtools.cli import phone

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = app.test_cli_runner().invoke(phone, [
            "--to", "07700 900001", "--from", SENDER,
            "--url", f"http://127.0.0.1:{server.server_port}"], input="hi\nEnglish\n")
    finally:
        server.shutdown()
    assert result.exit_code == 0, result.output
    assert "  Which language? / Pa iaith?" in result.output
    assert "  Do you want to take part?" in result.output
    assert sessions().find(pointer(tenant_id=survey.tenant_id)) is not None
    unknown = app.test_cli_runner().invoke(phone, ["--to", "+447700900999"])
    assert unknown.exit_code != 0 and "not a council's number" in unknown.output
