"""From a finished conversation to a stored response, exactly once, whatever fails."""

import json

import pytest
from rq.registry import FailedJobRegistry
from sqlalchemy.exc import OperationalError

from chatsurvey import conversations
from chatsurvey.cli import main
from chatsurvey.cli.workers import make_worker
from chatsurvey.conversations.keyspace import DONE, sessions, transcript_key
from chatsurvey.extensions import db, redis_client
from chatsurvey.jobs import STORE, queue, queue_store, store_job_id
from chatsurvey.responses import store as response_store
from chatsurvey.responses.models import Comment, Response
from chatsurvey.responses.store import store_response
from chatsurvey.sweeper import sweep

pytestmark = pytest.mark.redis


@pytest.fixture
def fast_retries(app):
    app.config["STORE_RETRY_INTERVALS"] = (0, 0)


def finish(survey, *messages):
    outcome = conversations.begin(survey, "web")
    for i, message in enumerate(messages):
        outcome = conversations.reply(outcome.conversation, survey.tenant_id,
                                      f"{outcome.conversation}-{i}", message)
    return outcome


def submissions():
    return [s.decode() for s in redis_client().zrange(DONE, 0, -1)]


def work():
    make_worker([STORE]).work(burst=True)


def test_a_finished_conversation_is_stored_once(survey):
    finish(survey, "English", "yes", "12", "7", "never", "2", "1", "my carer Kevin hits me",
           "yes", "call 07700 900123")
    [submission] = submissions()
    work()
    response = db.session.get(Response, submission)
    assert response.survey == "demo" and response.age_band == "11-17"
    assert response.answers == {"happy_yesterday_10": 7, "lonely": "never",
                                "hobbies": ["music"], "good_friends": 1}
    assert "age" not in response.answers
    texts = {c.key: c for c in response.comments}
    assert texts["music_kind"].text == "my carer [name] hits me" and texts["music_kind"].flagged
    assert texts["better"].text == "call [phone]" and texts["better"].status == "pending"
    assert redis_client().get(transcript_key(submission)) is None and submissions() == []
    assert store_response(submission) == "already stored"
    assert db.session.query(Response).count() == 1


def test_a_job_delivered_twice_stores_one_response(survey):
    finish(survey, "English", "yes", "5", "3", "yes")
    [submission] = submissions()
    queue_store(submission, job_id=store_job_id(submission) + "-again")
    work()
    assert db.session.query(Response).count() == 1


def test_a_worker_that_died_after_the_commit_leaves_nothing_twice(survey):
    finish(survey, "English", "yes", "5", "3", "yes")
    [submission] = submissions()
    raw = redis_client().get(transcript_key(submission))
    assert store_response(submission) == "stored"
    redis_client().set(transcript_key(submission), raw)  # as if the delete never happened
    redis_client().zadd(DONE, {submission: 1})
    assert store_response(submission) == "already stored"
    assert redis_client().get(transcript_key(submission)) is None and submissions() == []
    assert db.session.query(Response).count() == 1


def test_a_lost_transcript_is_reported_not_invented(app):
    with app.app_context():
        redis_client().zadd(DONE, {"f" * 32: 1})
        assert store_response("f" * 32) == "nothing to store"
        assert submissions() == []


def test_a_database_outage_is_retried_then_kept_visible(survey, monkeypatch, fast_retries):
    finish(survey, "English", "yes", "5", "3", "yes")
    [submission] = submissions()
    real_commit = db.session.commit
    failures = {"left": 2}

    def flaky_commit():
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("INSERT", {}, Exception("database went away"))
        return real_commit()

    monkeypatch.setattr(db.session, "commit", flaky_commit)
    work()  # fails twice, stored on the third try
    assert db.session.query(Response).count() == 1

    finish(survey, "English", "yes", "5", "3", "yes")
    failures["left"] = 99
    work()
    [second] = submissions()
    failed = FailedJobRegistry(queue=queue(STORE))
    assert failed.get_job_ids() == [store_job_id(second)]
    assert redis_client().get(transcript_key(second)) is not None  # nothing lost
    runner = survey_runner()
    result = runner.invoke(main, ["jobs"])
    assert result.exit_code == 0, result.exception
    status = result.output
    assert "1 failed" in status and "database went away" in status
    assert "not yet stored: 1" in status
    assert sweep()["orphans"] == 0  # a failed job is left for a person to see
    monkeypatch.setattr(db.session, "commit", real_commit)
    assert "1 job put back" in runner.invoke(main, ["jobs", "retry", "--all"]).output
    work()
    assert db.session.query(Response).count() == 2 and submissions() == []


def survey_runner():
    from flask import current_app

    return current_app.test_cli_runner()


def test_the_sweeper_gives_lost_transcripts_a_job(survey, app):
    finish(survey, "English", "yes", "5", "3", "yes")
    [submission] = submissions()
    queue(STORE).empty()  # the job was lost (say, a Redis fail-over)
    assert sweep()["orphans"] == 0  # too recent to call it lost
    later = redis_client().zscore(DONE, submission) + app.config["ORPHAN_AFTER"] + 1
    assert sweep(now=later)["orphans"] == 1
    assert sweep(now=later)["orphans"] == 0  # queued now: not enqueued again
    work()
    assert db.session.query(Response).count() == 1


def test_the_sweeper_closes_abandoned_conversations(survey):
    kept = conversations.begin(survey, "web")
    for i, m in enumerate(["English", "yes", "12", "6"]):
        conversations.reply(kept.conversation, survey.tenant_id, f"k{i}", m)
    dropped = conversations.begin(survey, "web")
    store = sessions()
    result = sweep(now=store.clock() + store.ttl_web + 1)
    assert result["closed"] == 2
    work()
    [response] = db.session.query(Response).all()
    assert response.status == "partial" and response.answers == {"happy_yesterday_10": 6}
    assert store.due(now=store.clock() + 10 * store.ttl_web) == []
    assert dropped.conversation not in store.due()


def test_the_sweeper_forgets_idle_entries_of_vanished_conversations(survey):
    store = sessions()
    redis_client().zadd("cs:idle", {"ghost": 1})
    assert sweep()["closed"] == 0 and store.due(now=2) == []


def test_comments_wait_for_review(survey):
    finish(survey, "English", "yes", "12", "7", "never", "1", "0", "no thanks")
    work()
    comment = db.session.query(Comment).one()
    assert comment.status == "pending" and comment.text == "no thanks"
    assert json.loads(json.dumps(comment.found)) == {}


def test_a_councils_own_redaction_terms_apply_and_a_new_one_applies_soon(survey, monkeypatch):

    tenant = survey.tenant
    tenant.redact_terms = ["Zorbly"]
    db.session.commit()
    answers = ("English", "yes", "12", "7", "never", "2", "1", "football at zorbly and quendale",
               "more trips")
    finish(survey, *answers)
    work()
    tenant.redact_terms = ["Zorbly", "Quendale"]
    db.session.commit()
    finish(survey, *answers)
    work()  # within REDACT_TERMS_TTL: the terms read for the first response still apply
    monkeypatch.setattr(response_store, "REDACT_TERMS_TTL", 0.0)
    from flask import current_app

    assert current_app.extensions["chatsurvey.redact_terms"]  # what the first job read
    finish(survey, *answers)
    work()
    comments = db.session.query(Comment).filter_by(key="music_kind").order_by(Comment.id).all()
    assert [c.text for c in comments] == [
        "football at [removed] and quendale", "football at [removed] and quendale",
        "football at [removed] and [removed]"]


# -- batches -------------------------------------------------------------------

SHORT = ("English", "yes", "5", "3", "yes")


def test_one_job_stores_the_conversations_waiting_and_their_jobs_leave_the_queue(survey):
    from rq.job import Job

    for _ in range(5):
        finish(survey, *SHORT)
    waiting = submissions()
    assert len(waiting) == 5 and queue(STORE).count == 5
    first = queue(STORE).job_ids[0].removeprefix("store-")
    assert store_response(first) == "stored, with 4 more"
    assert {r.id for r in db.session.query(Response)} == set(waiting)
    assert submissions() == [] and not redis_client().keys("cs:t:*")
    assert queue(STORE).count == 1  # the first job's own entry: a worker would take it next
    assert not redis_client().keys("cs:k:*")  # claims given back
    leftover = [Job.key_for(store_job_id(s)) for s in waiting if s != first]
    assert all(0 < redis_client().ttl(key) <= 600 for key in leftover)  # records expire
    work()  # the first job again (as if delivered twice): nothing stored twice
    assert db.session.query(Response).count() == 5


def test_a_batch_of_one_stores_each_conversation_in_its_own_job(survey, app):
    app.config["STORE_BATCH"] = 1
    for _ in range(3):
        finish(survey, *SHORT)
    first = submissions()[0]
    assert store_response(first) == "stored"
    assert len(submissions()) == 2 and queue(STORE).count == 3


def test_conversations_another_worker_claimed_are_left_to_it(survey):
    from chatsurvey.responses.store import claim_key

    for _ in range(3):
        finish(survey, *SHORT)
    first, taken, free = submissions()
    redis_client().set(claim_key(taken), "another job", ex=60)
    assert store_response(first) == "stored, with 1 more"
    assert submissions() == [taken]
    assert redis_client().get(claim_key(taken)) == b"another job"


def test_a_batch_that_meets_a_response_stored_meanwhile_stores_its_own_alone(survey, app):
    from chatsurvey.responses.store import _anonymised, insert_responses

    for _ in range(3):
        finish(survey, *SHORT)
    first, raced, other = submissions()
    # Another worker stored `raced` and has not yet deleted its transcript.
    insert_responses([_anonymised(redis_client().get(transcript_key(raced)))])
    db.session.commit()
    assert store_response(first) == "stored"
    assert sorted(submissions()) == sorted([raced, other])
    assert not redis_client().keys("cs:k:*") and queue(STORE).count == 3
    work()  # their own jobs finish the work
    assert {r.id for r in db.session.query(Response)} == {first, raced, other}
    assert submissions() == []


def test_a_transcript_that_cannot_be_read_fails_its_own_job_not_the_batch(survey, fast_retries):
    for _ in range(3):
        finish(survey, *SHORT)
    first, broken, other = submissions()
    redis_client().set(transcript_key(broken), b"{not json")
    assert store_response(first) == "stored, with 1 more"
    assert submissions() == [broken] and not redis_client().keys("cs:k:*")
    assert {r.id for r in db.session.query(Response)} == {first, other}


def test_a_failed_job_whose_conversation_a_batch_stores_keeps_its_record(survey):
    from rq.job import Job

    for _ in range(2):
        finish(survey, *SHORT)
    first, failed = submissions()
    queue(STORE).remove(store_job_id(failed))  # as if it had failed and sat in the registry
    assert store_response(first) == "stored, with 1 more"
    assert redis_client().ttl(Job.key_for(store_job_id(failed))) == -1  # RQ's, left alone
