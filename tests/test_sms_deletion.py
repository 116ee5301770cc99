"""Finished SMS threads are deleted from the council's Twilio account, through the real
Twilio client against the local stand-in (tests/twilio_standin.py).

Every text a young person sends is first put into the stand-in (as Twilio
keeps it) and then posted to the webhook with its MessageSid; every reply the
webhook answers with is put in as Twilio would send it. Then the deletion job
runs as a worker runs it.
"""

from __future__ import annotations

import time

import pytest
from rq import SimpleWorker
from rq.registry import FailedJobRegistry, ScheduledJobRegistry
from rq.serializers import JSONSerializer
from twilio.request_validator import RequestValidator

import chatsurvey.invitations.models  # noqa: F401  (the SMS tables)
from chatsurvey import texts
from chatsurvey.channels.sms.deletion import delete_finished_threads
from chatsurvey.extensions import db, redis_client
from chatsurvey.jobs import SEND, queue
from devtools.phone import reply_texts
from tests import twilio_standin
from tests.twilio_standin import ACCOUNT, TOKEN

pytestmark = pytest.mark.redis

COUNCIL = "+447700900001"
URL = "http://localhost/sms/inbound"
FINISHER, STOPPER, STILL_ANSWERING = "+447700900301", "+447700900302", "+447700900303"
SURVEY = ["hi", "English", "yes", "17", "7", "never", "1", "3", "more days out"]

twilio_server = twilio_standin.twilio_server
twilio = twilio_standin.twilio
app = twilio_standin.app  # this module's app talks to the stand-in


def text(client, twilio, sender: str, body: str) -> list[str]:
    """A text as Twilio handles it: kept, posted to the webhook, the replies kept too."""
    sid = twilio.received(ACCOUNT, sender, COUNCIL, body)
    data = {"From": sender, "To": COUNCIL, "Body": body, "MessageSid": sid,
            "AccountSid": ACCOUNT}
    signature = RequestValidator(TOKEN).compute_signature(URL, data)
    response = client.post("/sms/inbound", data=data, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    replies = reply_texts(response.get_data(as_text=True))
    for reply in replies:
        twilio.replied(ACCOUNT, COUNCIL, sender, reply)
    return replies


def run_due_jobs() -> None:
    """What a worker with the scheduler does once the deletion job is due."""
    send = queue(SEND)
    scheduled = ScheduledJobRegistry(queue=send)
    for job_id in scheduled.get_job_ids():
        job = send.fetch_job(job_id)
        scheduled.remove(job)
        send.enqueue_job(job)
    SimpleWorker([send], connection=redis_client(), serializer=JSONSerializer).work(burst=True)


def test_finished_and_stopped_threads_are_deleted_and_a_running_one_is_kept(
        app, client, survey, twilio):
    with app.app_context():
        for body in SURVEY:
            text(client, twilio, FINISHER, body)
        for body in ["hi", "English", "yes", "STOP"]:
            text(client, twilio, STOPPER, body)
        for body in ["hi", "English", "yes"]:
            text(client, twilio, STILL_ANSWERING, body)
        assert twilio.thread(FINISHER) and twilio.thread(STOPPER)
        scheduled = ScheduledJobRegistry(queue=queue(SEND)).get_job_ids()
        # One job a minute for the council, however many ended (two if a minute turned).
        assert 1 <= len(scheduled) <= 2
        for job_id in scheduled:
            job = queue(SEND).fetch_job(job_id)
            # The job names the council, nothing of anyone: no number, no SID, no response.
            record = repr(redis_client().hgetall(job.key))
            for number in (FINISHER, STOPPER, STILL_ANSWERING):
                assert number not in record and number[1:] not in record
            assert not any(m.sid in record for m in twilio.messages + twilio.deleted)
            assert job.args == [survey.tenant_id]
        run_due_jobs()
    assert twilio.thread(FINISHER) == [] and twilio.thread(STOPPER) == []
    assert {m.direction for m in twilio.deleted} == {"inbound", "outbound-reply"}
    kept = twilio.thread(STILL_ANSWERING)
    assert len(kept) == 6  # three texts, three replies: the conversation is still going


def test_a_message_twilio_is_still_processing_is_deleted_on_a_later_run(
        app, client, survey, twilio):
    with app.app_context():
        text(client, twilio, FINISHER, "help")
        [_, reply] = twilio.thread(FINISHER)
        twilio.processing.add(reply.sid)
        scheduled = ScheduledJobRegistry(queue=queue(SEND))
        before = set(scheduled.get_job_ids())
        assert delete_finished_threads(survey.tenant_id).startswith(
            "1 deleted, 1 still being processed")
        assert twilio.thread(FINISHER) == [reply]
        [later] = set(scheduled.get_job_ids()) - before
        wait = scheduled.get_scheduled_time(later).timestamp() - time.time()
        assert app.config["PROVIDER_DELETE_LATER"] - 5 < wait <= app.config[
            "PROVIDER_DELETE_LATER"] + 60
        twilio.processing.clear()
        assert delete_finished_threads(survey.tenant_id).startswith("1 deleted")
    assert twilio.thread(FINISHER) == []


def test_twilio_refusing_is_retried_then_kept_among_failed_jobs(app, client, survey, twilio):
    with app.app_context():
        text(client, twilio, FINISHER, "help")
        twilio.fail_next(500, 20500, times=10)
        run_due_jobs()
        send = queue(SEND)
        retrying = ScheduledJobRegistry(queue=send).get_job_ids()
        assert retrying, "a failed deletion must be tried again"
        for _ in range(6):
            run_due_jobs()
        failed = FailedJobRegistry(queue=send)
        assert failed.count == 1
        job = send.fetch_job(failed.get_job_ids()[0])
        reason = job.latest_result().exc_string
        assert "Twilio error 20500" in reason
        assert FINISHER not in reason and not any(m.sid in reason for m in twilio.messages)
        twilio.failures.clear()
        failed.requeue(job.id)
        SimpleWorker([send], connection=redis_client(), serializer=JSONSerializer).work(
            burst=True)
    assert twilio.thread(FINISHER) == []


def test_a_council_that_turns_it_off_keeps_its_threads(app, client, survey, twilio):
    with app.app_context():
        survey = db.session.merge(survey)
        survey.tenant.delete_sms_from_provider = False
        db.session.commit()
        replies = []
        for body in SURVEY:
            replies += text(client, twilio, FINISHER, body)
        assert delete_finished_threads(survey.tenant_id) == "off"
        assert texts.THREAD_KEPT.english in replies[0]
    assert len(twilio.thread(FINISHER)) == 2 * len(SURVEY)


def test_the_first_text_says_the_thread_stays_on_the_phone(app, client, survey, twilio):
    with app.app_context():
        [first] = text(client, twilio, FINISHER, "hi")
        [second] = text(client, twilio, FINISHER, "English")
    assert first.startswith("Which language?")
    assert first.endswith(texts.THREAD_DELETED.english)
    assert texts.THREAD_DELETED.english not in second
