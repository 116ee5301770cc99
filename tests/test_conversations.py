"""Conversations in Redis: turns, replays, races, expiry, versions and the hand-off."""

import threading

import pytest
from flask import current_app

from chatsurvey import conversations
from chatsurvey.conversations import NotFound
from chatsurvey.conversations.keyspace import (
    GROUPS,
    finished_key,
    outbox_keys,
    pointer_key,
    record_key,
    sessions,
)
from chatsurvey.engine import Expire, QuickExit
from chatsurvey.extensions import db, redis_client
from chatsurvey.flows.publish import publish_version
from tests.helpers import FIXTURE_FLOWS, open_round, record_of, waiting

pytestmark = pytest.mark.redis


def begin(survey, **kwargs):
    return conversations.begin(survey, "web", **kwargs)


def say(survey, outcome, *messages):
    for i, message in enumerate(messages):
        outcome = conversations.reply(outcome.conversation, survey.tenant_id,
                                      f"m-{outcome.conversation}-{i}-{message}", message)
    return outcome


def turns(key):
    return record_of(key)["s"]["t"]


def test_a_conversation_starts_in_redis(survey):
    outcome = begin(survey, message_id="start-1")
    assert outcome.status == "active" and outcome.replies[0]["text"].startswith("Which language")
    record = record_of(record_key(outcome.conversation))
    assert record["m"]["flow_id"] == "router" and record["s"]["f"] == "router"
    assert record["v"] == "1" and record["i"] == outcome.conversation
    assert record["o"][0] == "start:start-1"
    assert redis_client().ttl(record_key(outcome.conversation)) > 2 * 3600


def test_every_key_of_a_conversation_or_sender_shares_a_hash_tag(survey):
    outcome = begin(survey)
    key = record_key(outcome.conversation)
    tag = key.split(":")[2]
    assert tag.startswith("{g") and tag.endswith("}")
    pointer = pointer_key(survey.tenant_id, "abc")
    assert finished_key(pointer, 7).split(":")[2] == pointer.split(":")[2]
    assert len(set(outbox_keys())) == GROUPS
    assert f"cs:o:{tag}" in outbox_keys()  # the outbox stream it finishes into


def test_the_council_s_first_language_is_used(survey, app):
    survey.tenant.country = "wales"
    db.session.commit()
    assert begin(survey).replies[-1]["lang"] == "en"  # the question is written in all three
    outcome = begin(survey, locale="ar")
    assert outcome.replies[-1]["dir"] == "ltr"
    assert record_of(record_key(outcome.conversation))["s"]["x"][1] == "ar"


def test_a_turn_advances_and_saves(survey):
    outcome = say(survey, begin(survey), "English", "yes")
    assert outcome.status == "active"
    assert outcome.replies[-1]["text"] == "How old are you?"
    assert record_of(record_key(outcome.conversation))["v"] == "3"


def test_a_replayed_message_gets_the_same_reply_and_changes_nothing(survey):
    outcome = say(survey, begin(survey), "English")
    cid, tenant = outcome.conversation, survey.tenant_id
    first = conversations.reply(cid, tenant, "SM-same", "yes")
    again = conversations.reply(cid, tenant, "SM-same", "yes")
    assert again.replayed and not first.replayed
    assert again.replies == first.replies and again.status == first.status
    assert turns(record_key(cid)) == 2  # two turns, not three


def test_an_older_message_sent_again_changes_nothing_and_says_nothing_again(survey):
    outcome = say(survey, begin(survey), "English")
    cid, tenant = outcome.conversation, survey.tenant_id
    conversations.reply(cid, tenant, "first", "yes")
    conversations.reply(cid, tenant, "second", "5")
    late = conversations.reply(cid, tenant, "first", "yes")  # a retry that arrived late
    assert late.replayed and late.replies == []
    assert turns(record_key(cid)) == 3


def test_concurrent_messages_to_one_conversation_are_all_counted(survey):
    outcome = say(survey, begin(survey), "English", "yes", "12")
    cid, tenant = outcome.conversation, survey.tenant_id
    real_app = current_app._get_current_object()
    errors = []

    def send(i):
        with real_app.app_context():
            try:
                conversations.reply(cid, tenant, f"race-{i}", "help")
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert turns(record_key(cid)) == 3 + 8  # every turn counted: none lost to a race


def test_a_save_over_a_changed_record_writes_nothing(survey):
    outcome = begin(survey)
    store, key = sessions(), record_key(outcome.conversation)
    stale = store.read(key)
    conversations.reply(outcome.conversation, survey.tenant_id, "m1", "English")
    before = record_of(key)
    conversation = stale.conversation
    assert not store.save(stale, conversation, stale.outcomes.then("m2", "active", []))
    assert record_of(key) == before


def test_stop_wins_over_a_turn_saved_meanwhile(survey, monkeypatch):
    """A STOP read version n; another message saved n+1 before STOP saved: STOP withdraws."""
    outcome = say(survey, begin(survey), "English", "yes", "5")
    cid, key = outcome.conversation, record_key(outcome.conversation)
    store = sessions()
    real_read = store.read

    def read_then_another_message_lands(k):
        record = real_read(k)
        monkeypatch.setattr(store, "read", real_read)
        conversations.reply(cid, survey.tenant_id, "meanwhile", "3")
        return record

    monkeypatch.setattr(store, "read", read_then_another_message_lands)
    stopped = conversations.reply(cid, survey.tenant_id, "stop-id", "stop")
    assert stopped.status == "withdrawn"
    assert "s" not in record_of(key) and waiting() == []


def test_unknown_and_foreign_conversations_are_not_found(survey):
    with pytest.raises(NotFound):
        conversations.reply("no-such-conversation", survey.tenant_id, "m1", "yes")
    outcome = begin(survey)
    with pytest.raises(NotFound):
        conversations.reply(outcome.conversation, survey.tenant_id + 1, "m1", "yes")
    with pytest.raises(NotFound):
        conversations.reply(outcome.conversation, survey.tenant_id, "m1", "yes",
                            round_id=survey.id + 1)


def test_a_finished_conversation_is_handed_off_in_the_same_step(survey):
    outcome = say(survey, begin(survey), "English", "yes", "5", "3", "yes")
    assert outcome.status == "complete"
    record = record_of(record_key(outcome.conversation))
    assert "s" not in record and record["m"] == {"tenant_id": survey.tenant_id,
                                                  "round_id": survey.id}
    [kept] = waiting()
    assert kept["answers"] == {"age": 5, "happy_yesterday": 3, "feels_safe": "yes"}
    assert kept["tenant_id"] == survey.tenant_id and kept["round_id"] == survey.id
    assert kept["survey"] == "little-ones" and kept["age_band"] == "4-7"
    assert kept["started_at"] <= kept["finished_at"]
    assert len(kept["submission_id"]) == 32


def test_what_is_left_after_the_end_carries_no_time_and_expires_on_a_day(survey):
    outcome = say(survey, begin(survey), "English", "yes", "5", "3", "yes")
    key = record_key(outcome.conversation)
    assert set(record_of(key)) == {"v", "i", "m", "o"}
    now = int(sessions().clock())
    expires = now + redis_client().ttl(key)
    assert abs((expires - current_app.config["ENDED_TTL"]) % 86400) <= 2 or \
        abs((expires - current_app.config["ENDED_TTL"]) % 86400 - 86400) <= 2


def test_the_last_message_is_replayed_after_the_end(survey):
    outcome = say(survey, begin(survey), "English", "yes", "5", "3")
    cid = outcome.conversation
    done = conversations.reply(cid, survey.tenant_id, "last", "yes")
    again = conversations.reply(cid, survey.tenant_id, "last", "yes")
    assert again.replayed and again.replies == done.replies and again.status == "complete"
    assert len(waiting()) == 1
    assert conversations.replayed(cid, survey.tenant_id, "last").replies == done.replies
    assert conversations.replayed(cid, survey.tenant_id + 1, "last") is None


def test_stop_discards_everything(survey):
    outcome = say(survey, begin(survey), "English", "yes", "5", "3", "stop")
    assert outcome.status == "withdrawn"
    assert waiting() == []
    assert "s" not in record_of(record_key(outcome.conversation))


def test_declining_keeps_nothing(survey):
    outcome = say(survey, begin(survey), "English", "no")
    assert outcome.status == "declined" and waiting() == []


@pytest.mark.parametrize("leave", [None, Expire(), QuickExit()],
                         ids=["default", "expire", "quick-exit"])
def test_closing_keeps_consented_answers_as_partial(survey, leave):
    kept = say(survey, begin(survey), "English", "yes", "5", "3")
    assert conversations.close(kept.conversation, resume=leave).status == "partial"
    [record] = waiting()
    assert record["status"] == "partial" and record["answers"]["happy_yesterday"] == 3
    nothing = say(survey, begin(survey), "English", "yes")
    conversations.close(nothing.conversation)
    assert len(waiting()) == 1  # consent but no answer: nothing kept
    with pytest.raises(NotFound):
        conversations.close(nothing.conversation)


def test_abandoned_conversations_become_due(survey):
    store = sessions()
    outcome = begin(survey)
    key = record_key(outcome.conversation)
    assert key not in store.due()
    redis_client().expire(key, store.grace - 1)  # as if idle past its timeout
    assert store.due() == [key]
    assert conversations.expire(key).status == "partial"  # no consent yet: nothing kept
    assert store.due() == [] and waiting() == []


def test_a_conversation_finishes_on_the_version_it_started_on(survey, app):
    outcome = say(survey, begin(survey), "English", "yes")
    source = (FIXTURE_FLOWS / "router.yaml").read_text().replace(
        'age:\n    text: "How old are you?"', 'age:\n    text: "What age are you?"')
    new = publish_version(source)
    db.session.commit()
    assert new.version == 2
    later = open_round(survey.tenant, new, name="Spring")
    assert say(later, begin(later), "English", "yes").replies[-1]["text"] == "What age are you?"
    outcome = say(survey, outcome, "skip")  # the first conversation is still on version 1
    assert outcome.replies[-1]["text"].startswith("How happy did you feel")


def test_sms_start_race(survey):
    pointer = pointer_key(survey.tenant_id, "abc123")
    first = conversations.begin(survey, "sms", pointer=pointer, message_id="SM1")
    assert first is not None and sessions().find(pointer) == first.conversation
    assert conversations.begin(survey, "sms", pointer=pointer, message_id="SM2") is None
    again = conversations.begin(survey, "sms", pointer=pointer, message_id="SM1")
    assert again.replayed and again.replies == first.replies
    assert redis_client().ttl(pointer) > 6 * 24 * 3600
    conversations.reply_to_sender(pointer, survey.tenant_id, "SM3", "English")
    done = conversations.reply_to_sender(pointer, survey.tenant_id, "SM4", "no")
    assert done.status == "declined" and sessions().find(pointer) is None


def test_an_sms_sender_is_answered_in_the_conversation_they_are_in(survey):
    pointer = pointer_key(survey.tenant_id, "def456")
    tenant = survey.tenant_id
    assert conversations.reply_to_sender(pointer, tenant, "SM0", "hi") is None  # in none yet
    first = conversations.begin(survey, "sms", pointer=pointer, message_id="SM1")
    answered = conversations.reply_to_sender(pointer, tenant, "SM2", "English")
    assert answered.conversation == first.conversation and not answered.replayed
    assert answered.replies[-1]["text"].startswith("Do you want to take part?")
    ended = conversations.reply_to_sender(pointer, tenant, "SM3", "no")
    assert ended.status == "declined" and sessions().find(pointer) is None
    again = conversations.reply_to_sender(pointer, tenant, "SM3", "no")  # Twilio retried
    assert again.replayed and again.replies == ended.replies
    # The same sender starts again in the same record: a new conversation.
    second = conversations.begin(survey, "sms", pointer=pointer, message_id="SM4")
    assert second is not None and second.conversation != first.conversation


def test_an_sms_sender_who_finishes_gets_a_marker_with_the_same_tag(survey):
    pointer = pointer_key(survey.tenant_id, "jkl012")
    first = conversations.begin(survey, "sms", pointer=pointer, message_id="SM1")
    for i, text in enumerate(("English", "yes", "5", "3", "yes")):
        outcome = conversations.reply_to_sender(pointer, survey.tenant_id, f"SM{i + 2}", text)
    assert outcome.status == "complete" and outcome.conversation == first.conversation
    assert sessions().finished(pointer, survey.id)
    assert len(waiting()) == 1


def test_a_start_replayed_returns_the_same_conversation(survey):
    token = conversations.start_token(survey.id, "start-again", "secret-of-the-client")
    first = begin(survey, message_id="start-again", cid=token)
    again = begin(survey, message_id="start-again", cid=token)
    assert again.conversation == first.conversation == token and again.replayed
    assert len(list(sessions().running())) == 1
    other = conversations.start_token(survey.id, "start-again", "another-secret")
    assert other != token


def test_a_message_id_of_another_conversation_is_its_own_here(survey):
    one, two = begin(survey), begin(survey)
    first = conversations.reply(one.conversation, survey.tenant_id, "shared-id", "English")
    second = conversations.reply(two.conversation, survey.tenant_id, "shared-id", "English")
    assert not first.replayed and not second.replayed


def test_the_council_s_name_is_given_to_the_flow(survey):
    outcome = say(survey, begin(survey), "English")
    assert outcome.replies[0]["text"] == "Hello from Testshire Council!"
