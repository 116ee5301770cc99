"""From a finished conversation to a stored response, exactly once, whatever fails."""

import json

import pytest
from sqlalchemy.exc import OperationalError

from chatsurvey import conversations
from chatsurvey.cli import main
from chatsurvey.conversations.keyspace import STORE_GROUP, outbox_keys, sessions
from chatsurvey.extensions import db, redis_client
from chatsurvey.responses.models import Comment, Response
from chatsurvey.responses.store import store_batch
from chatsurvey.sweeper import sweep
from tests.helpers import store_waiting, waiting

pytestmark = pytest.mark.redis
SHORT = ("English", "yes", "5", "3", "yes")


@pytest.fixture(autouse=True)
def quick(app, survey):
    app.config["STORE_HOLD"] = 0
    sessions().ensure_outbox()


def finish(survey, *messages):
    outcome = conversations.begin(survey, "web")
    for i, message in enumerate(messages):
        outcome = conversations.reply(outcome.conversation, survey.tenant_id,
                                      f"{outcome.conversation}-{i}", message)
    return outcome


def submissions():
    return [t["submission_id"] for t in waiting()]


def entries():
    """Every outbox entry: (stream, entry id, fields)."""
    return [(key, entry_id, fields) for key in outbox_keys()
            for entry_id, fields in redis_client().xrange(key)]


def pending():
    return sum(redis_client().xpending(key, STORE_GROUP)["pending"] for key in outbox_keys())


def runner():
    from flask import current_app

    return current_app.test_cli_runner()


def test_a_finished_conversation_is_stored_once(survey):
    finish(survey, "English", "yes", "12", "7", "never", "2", "1", "my carer Kevin hits me",
           "yes", "call 07700 900123")
    [submission] = submissions()
    store_waiting()
    response = db.session.get(Response, submission)
    assert response.survey == "demo" and response.age_band == "11-17"
    assert response.answers == {"happy_yesterday_10": 7, "lonely": "never",
                                "hobbies": ["music"], "good_friends": 1}
    assert "age" not in response.answers
    texts = {c.key: c for c in response.comments}
    assert texts["music_kind"].text == "my carer [name] hits me" and texts["music_kind"].flagged
    assert texts["better"].text == "call [phone]" and texts["better"].status == "pending"
    assert entries() == [] and pending() == 0  # nothing left naming it, with or without a time


def test_an_entry_delivered_twice_stores_one_response(survey):
    finish(survey, *SHORT)
    [(stream, _, fields)] = entries()
    redis_client().xadd(stream, fields)  # the same finished conversation, twice
    store_waiting()
    assert db.session.query(Response).count() == 1 and entries() == []


def test_a_worker_that_died_after_the_commit_leaves_nothing_twice(survey, monkeypatch):
    finish(survey, *SHORT)
    store = sessions()
    monkeypatch.setattr(store, "done", lambda taken: None)  # dies before the delete
    assert store_batch("dies") == 1
    monkeypatch.undo()
    sessions().ensure_outbox()
    assert db.session.query(Response).count() == 1 and len(entries()) == 1
    assert store_batch("dies") == 1  # it starts again and finds its batch: already stored
    assert db.session.query(Response).count() == 1 and entries() == [] and pending() == 0


def test_a_dead_worker_s_batch_is_taken_over_by_another(survey, app, monkeypatch):
    for _ in range(3):
        finish(survey, *SHORT)
    monkeypatch.setattr(db.session, "commit", lambda: (_ for _ in ()).throw(
        OperationalError("INSERT", {}, Exception("killed"))))
    with pytest.raises(OperationalError):
        store_batch("dead-worker")
    monkeypatch.undo()
    assert pending() == 3
    app.config["STORE_CLAIM_AFTER"] = 60
    assert store_batch("live-worker") == 0  # not idle long enough to be taken over
    app.config["STORE_CLAIM_AFTER"] = 0
    assert store_batch("live-worker") == 3
    assert db.session.query(Response).count() == 3 and entries() == [] and pending() == 0


def test_a_database_outage_keeps_everything_waiting_and_visible(survey, monkeypatch):
    finish(survey, *SHORT)
    [submission] = submissions()

    def outage():
        raise OperationalError("INSERT", {}, Exception("database went away"))

    monkeypatch.setattr(db.session, "commit", outage)
    with pytest.raises(OperationalError):
        store_batch("w")
    monkeypatch.undo()
    assert submissions() == [submission]  # nothing lost
    status = runner().invoke(main, ["jobs"])
    assert status.exit_code == 0, status.exception
    assert "not yet stored: 1" in status.output
    assert store_batch("w") == 1 and db.session.query(Response).count() == 1


def test_a_transcript_that_cannot_be_read_is_set_aside_not_the_batch(survey, monkeypatch):
    for _ in range(3):
        finish(survey, *SHORT)
    first, broken, other = entries()
    redis_client().xdel(broken[0], broken[1])
    redis_client().xadd(broken[0], {"s": broken[2][b"s"], "t": b"{not json"})
    store_waiting()
    assert db.session.query(Response).count() == 2 and entries() == []
    status = runner().invoke(main, ["jobs"]).output
    assert "not yet stored: 0; set aside" in status and "anonymised, see the worker's log): 1" \
        in status
    assert "1 job put back" in runner().invoke(main, ["jobs", "retry", "--all"]).output
    assert len(entries()) == 1


def test_a_batch_stores_everything_waiting_and_skips_what_was_stored_meanwhile(survey):
    from chatsurvey.responses.store import _anonymised, insert_responses

    for _ in range(5):
        finish(survey, *SHORT)
    raced = entries()[2][2]
    insert_responses([_anonymised(json.loads(raced[b"t"]), {})])  # another worker stored it
    db.session.commit()
    ids = set(submissions())
    assert store_batch("w") == 5
    assert {r.id for r in db.session.query(Response)} == ids
    assert entries() == [] and pending() == 0


def test_the_sweeper_closes_abandoned_conversations(survey):
    kept = conversations.begin(survey, "web")
    for i, m in enumerate(["English", "yes", "12", "6"]):
        conversations.reply(kept.conversation, survey.tenant_id, f"k{i}", m)
    dropped = conversations.begin(survey, "web")
    store = sessions()
    for key in (k for batch in store.records() for k in batch):
        redis_client().expire(key, store.grace - 1)  # idle past their timeout
    assert sweep()["closed"] == 2
    store_waiting()
    [response] = db.session.query(Response).all()
    assert response.status == "partial" and response.answers == {"happy_yesterday_10": 6}
    assert store.due() == [] and list(store.running()) == []
    assert dropped.conversation


def test_the_sweeper_leaves_conversations_in_progress_alone(survey):
    conversations.begin(survey, "web")
    assert sweep()["closed"] == 0 and len(list(sessions().running())) == 1


def test_comments_wait_for_review(survey):
    finish(survey, "English", "yes", "12", "7", "never", "1", "0", "no thanks")
    store_waiting()
    comment = db.session.query(Comment).one()
    assert comment.status == "pending" and comment.text == "no thanks"
    assert json.loads(json.dumps(comment.found)) == {}


def test_a_councils_own_redaction_terms_apply_and_a_new_one_applies_at_once(survey):
    tenant = survey.tenant
    tenant.redact_terms = ["Zorbly"]
    db.session.commit()
    answers = ("English", "yes", "12", "7", "never", "2", "1", "football at zorbly and quendale",
               "more trips")
    finish(survey, *answers)
    store_waiting()
    tenant.redact_terms = ["Zorbly", "Quendale"]
    db.session.commit()
    finish(survey, *answers)
    store_waiting()
    comments = db.session.query(Comment).filter_by(key="music_kind").order_by(Comment.id).all()
    assert [c.text for c in comments] == [
        "football at [removed] and quendale", "football at [removed] and [removed]"]
