"""Conversations in Redis: turns, replays, races, expiry, versions and the hand-off."""

import json
import threading

import pytest
from flask import current_app

from chatsurvey import conversations
from chatsurvey.conversations import NotFound, Outcome
from chatsurvey.conversations.keyspace import (
    DONE,
    IDLE,
    Busy,
    LockLost,
    lock_key,
    pointer_key,
    record_key,
    sessions,
    transcript_key,
)
from chatsurvey.engine import Expire, QuickExit
from chatsurvey.extensions import db, redis_client
from chatsurvey.flows.publish import publish_version
from chatsurvey.jobs import STORE, queue, store_job_id
from tests.helpers import FIXTURE_FLOWS, open_round

pytestmark = pytest.mark.redis


def begin(survey, **kwargs):
    return conversations.begin(survey, "web", **kwargs)


def say(survey, outcome, *messages):
    for i, message in enumerate(messages):
        outcome = conversations.reply(outcome.conversation, survey.tenant_id,
                                      f"m-{outcome.conversation}-{i}-{message}", message)
    return outcome


def test_a_conversation_starts_in_redis(survey):
    outcome = begin(survey, message_id="start-1")
    assert outcome.status == "active" and outcome.replies[0]["text"].startswith("Which language")
    raw = redis_client().get(record_key(outcome.conversation))
    meta, packed = raw.decode().split("\n")
    assert json.loads(meta)["flow_id"] == "router" and json.loads(packed)["f"] == "router"
    assert redis_client().ttl(record_key(outcome.conversation)) > 2 * 3600
    assert redis_client().zscore(IDLE, outcome.conversation) is not None


def test_the_council_s_first_language_is_used(survey, app):
    survey.tenant.country = "wales"
    db.session.commit()
    assert begin(survey).replies[-1]["lang"] == "en"  # the question is written in all three
    outcome = begin(survey, locale="ar")
    assert outcome.replies[-1]["dir"] == "ltr"
    assert json.loads(redis_client().get(record_key(outcome.conversation)).decode()
                      .split("\n")[1])["x"][1] == "ar"


def test_a_turn_advances_and_saves(survey):
    outcome = say(survey, begin(survey), "English", "yes")
    assert outcome.status == "active"
    assert outcome.replies[-1]["text"] == "How old are you?"


def test_a_replayed_message_gets_the_same_reply_and_changes_nothing(survey):
    outcome = say(survey, begin(survey), "English")
    cid, tenant = outcome.conversation, survey.tenant_id
    first = conversations.reply(cid, tenant, "SM-same", "yes")
    again = conversations.reply(cid, tenant, "SM-same", "yes")
    assert again.replayed and not first.replayed
    assert again.replies == first.replies and again.status == first.status
    record = redis_client().get(record_key(cid)).decode().split("\n")[1]
    assert json.loads(record)["t"] == 2  # two turns, not three


def test_concurrent_messages_to_one_conversation_are_serialised(survey):
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
    record = redis_client().get(record_key(cid)).decode().split("\n")[1]
    assert json.loads(record)["t"] == 3 + 8  # every turn counted: none lost to a race


def test_a_long_held_lock_makes_the_turn_give_up(survey, app):
    outcome = begin(survey)
    redis_client().set(lock_key(outcome.conversation), "someone-else", px=60000)
    sessions().lock_wait = 0.05
    with pytest.raises(Busy):
        conversations.reply(outcome.conversation, survey.tenant_id, "m1", "English")


def test_a_turn_that_outlives_its_lock_writes_nothing(survey):
    outcome = begin(survey)
    store = sessions()
    before = redis_client().get(record_key(outcome.conversation))
    with pytest.raises(LockLost), store.turn(outcome.conversation, survey.tenant_id,
                                             "m1") as turn:
        redis_client().set(lock_key(outcome.conversation), "stolen")
        turn.save(turn.conversation, "{}")
    assert redis_client().get(record_key(outcome.conversation)) == before
    assert store.outcome(survey.tenant_id, "m1") is None


def test_unknown_and_foreign_conversations_are_not_found(survey):
    with pytest.raises(NotFound):
        conversations.reply("no-such-conversation", survey.tenant_id, "m1", "yes")
    outcome = begin(survey)
    with pytest.raises(NotFound):
        conversations.reply(outcome.conversation, survey.tenant_id + 1, "m1", "yes")
    assert redis_client().get(lock_key(outcome.conversation)) is None  # lock released


def test_a_finished_conversation_is_handed_off(survey):
    outcome = say(survey, begin(survey), "English", "yes", "5", "3", "yes")
    assert outcome.status == "complete"
    assert redis_client().get(record_key(outcome.conversation)) is None
    [submission] = [s.decode() for s in redis_client().zrange(DONE, 0, -1)]
    record = json.loads(redis_client().get(transcript_key(submission)))
    assert record["answers"] == {"age": 5, "happy_yesterday": 3, "feels_safe": "yes"}
    assert record["tenant_id"] == survey.tenant_id and record["round_id"] == survey.id
    assert record["survey"] == "little-ones" and record["age_band"] == "4-7"
    assert record["started_at"] <= record["finished_at"]
    assert queue(STORE).fetch_job(store_job_id(submission)).args == [submission]
    assert redis_client().zscore(IDLE, outcome.conversation) is None


def test_stop_discards_everything(survey):
    outcome = say(survey, begin(survey), "English", "yes", "5", "3", "stop")
    assert outcome.status == "withdrawn"
    assert redis_client().zcard(DONE) == 0 and queue(STORE).count == 0
    assert redis_client().get(record_key(outcome.conversation)) is None


def test_declining_keeps_nothing(survey):
    outcome = say(survey, begin(survey), "English", "no")
    assert outcome.status == "declined" and redis_client().zcard(DONE) == 0


@pytest.mark.parametrize("leave", [None, Expire(), QuickExit()],
                         ids=["default", "expire", "quick-exit"])
def test_closing_keeps_consented_answers_as_partial(survey, leave):
    kept = say(survey, begin(survey), "English", "yes", "5", "3")
    assert conversations.close(kept.conversation, resume=leave).status == "partial"
    [submission] = [s.decode() for s in redis_client().zrange(DONE, 0, -1)]
    record = json.loads(redis_client().get(transcript_key(submission)))
    assert record["status"] == "partial" and record["answers"]["happy_yesterday"] == 3
    nothing = say(survey, begin(survey), "English", "yes")
    conversations.close(nothing.conversation)
    assert redis_client().zcard(DONE) == 1  # consent but no answer: nothing kept
    with pytest.raises(NotFound):
        conversations.close(nothing.conversation)


def test_abandoned_conversations_become_due(survey):
    store = sessions()
    outcome = begin(survey)
    assert outcome.conversation not in store.due()
    later = store.clock() + store.ttl_web + 1
    assert store.due(now=later) == [outcome.conversation]
    store.forget_idle(outcome.conversation)
    assert store.due(now=later) == []


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


def test_sms_pointer_start_race(survey):
    pointer = pointer_key(survey.tenant_id, "abc123")
    first = conversations.begin(survey, "sms", pointer=pointer, message_id="SM1")
    assert first is not None and sessions().find(pointer) == first.conversation
    assert conversations.begin(survey, "sms", pointer=pointer, message_id="SM2") is None
    assert Outcome.load(sessions().outcome(survey.tenant_id, "SM1")).replies == first.replies
    assert redis_client().ttl(pointer) > 6 * 24 * 3600
    done = say(survey, first, "English", "no")
    assert done.status == "declined" and sessions().find(pointer) is None


def test_an_sms_sender_is_answered_in_the_conversation_their_pointer_leads_to(survey):
    pointer = pointer_key(survey.tenant_id, "def456")
    tenant = survey.tenant_id
    assert conversations.reply_to_sender(pointer, tenant, "SM0", "hi") is None  # in none yet
    first = conversations.begin(survey, "sms", pointer=pointer, message_id="SM1")
    answered = conversations.reply_to_sender(pointer, tenant, "SM2", "English")
    assert answered.conversation == first.conversation and not answered.replayed
    assert answered.replies[-1]["text"].startswith("Do you want to take part?")
    redis_client().set(lock_key(first.conversation), "someone-else", px=60000)
    sessions().lock_wait = 0.05
    with pytest.raises(Busy):
        conversations.reply_to_sender(pointer, tenant, "SM3", "yes")
    redis_client().delete(lock_key(first.conversation))
    ended = conversations.reply_to_sender(pointer, tenant, "SM3", "no")
    assert ended.status == "declined" and sessions().find(pointer) is None
    again = conversations.reply_to_sender(pointer, tenant, "SM3", "no")  # Twilio retried
    assert again.replayed and again.replies == ended.replies


def test_a_sender_s_pointer_to_a_lost_conversation_is_not_found(survey):
    pointer = pointer_key(survey.tenant_id, "ghi789")
    first = conversations.begin(survey, "sms", pointer=pointer, message_id="SM1")
    redis_client().delete(record_key(first.conversation))
    with pytest.raises(NotFound) as gone:
        conversations.reply_to_sender(pointer, survey.tenant_id, "SM2", "English")
    assert gone.value.args[0] == first.conversation
    assert redis_client().get(lock_key(first.conversation)) is None  # lock released


def test_a_start_replayed_returns_the_same_conversation(survey):
    first = conversations.begin(survey, "web", message_id="start-again")
    again = conversations.begin(survey, "web", message_id="start-again")
    assert again.conversation == first.conversation and again.replayed
    assert redis_client().zcard(IDLE) == 1


def test_a_message_id_of_another_conversation_is_not_replayed_here(survey):
    one, two = begin(survey), begin(survey)
    conversations.reply(one.conversation, survey.tenant_id, "shared-id", "English")
    with pytest.raises(NotFound):
        conversations.reply(two.conversation, survey.tenant_id, "shared-id", "English")


def test_the_council_s_name_is_given_to_the_flow(survey):
    outcome = say(survey, begin(survey), "English")
    assert outcome.replies[0]["text"] == "Hello from Testshire Council!"


@pytest.mark.parametrize("text", ["Plain words", 'He said "no" \\ then </script>',
                                  "Sut wyt ti’n teimlo? 😊", "كيف حالك؟", "line\nbreak\ttab"])
def test_an_outcome_is_encoded_as_plain_json(text):
    """The outcome is written by hand from the replies' JSON: it must read back the same."""
    replies = [{"type": "question", "text": text, "options": [{"value": "a", "label": text}]}]
    outcome = Outcome("conv-id", "active", replies)
    assert json.loads(outcome.dump()) == {"conversation": "conv-id", "status": "active",
                                          "replies": replies}
    assert json.loads(outcome.turn_json()) == {"status": "active", "replies": replies}
    assert Outcome.load(outcome.dump()).replies == replies
