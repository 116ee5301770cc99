"""WhatsApp threads are deleted from the council's Twilio account as SMS threads are.

The deletion job (chatsurvey/channels/sms/deletion.py) lists the messages to and
from each of the council's Twilio addresses; WhatsApp messages have the same
SIDs in the same Messages resource, under ``whatsapp:+44...`` addresses. Runs
once that job is part of the service.
"""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

import chatsurvey.invitations.models  # noqa: F401  (the SMS tables)
from chatsurvey.extensions import db
from devtools.phone import reply_texts
from tests import twilio_standin
from tests.twilio_standin import ACCOUNT, TOKEN

deletion = pytest.importorskip("chatsurvey.channels.sms.deletion")

pytestmark = pytest.mark.redis

COUNCIL = "whatsapp:+447700900001"
URL = "http://localhost/whatsapp/inbound"
FINISHER, STILL_ANSWERING = "whatsapp:+447700900301", "whatsapp:+447700900303"

twilio_server = twilio_standin.twilio_server
twilio = twilio_standin.twilio
app = twilio_standin.app  # this module's app talks to the stand-in


def write(client, twilio, sender: str, body: str) -> list[str]:
    """A WhatsApp message as Twilio handles it: kept, posted to the webhook, replies kept."""
    sid = twilio.received(ACCOUNT, sender, COUNCIL, body)
    data = {"From": sender, "To": COUNCIL, "Body": body, "MessageSid": sid,
            "AccountSid": ACCOUNT}
    signature = RequestValidator(TOKEN).compute_signature(URL, data)
    response = client.post("/whatsapp/inbound", data=data,
                           headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    replies = reply_texts(response.get_data(as_text=True))
    for reply in replies:
        twilio.replied(ACCOUNT, COUNCIL, sender, reply)
    return replies


def test_a_finished_whatsapp_thread_is_deleted_and_a_running_one_is_kept(
        app, client, survey, twilio):
    survey.channels = ["web", "sms", "whatsapp"]
    db.session.commit()
    for body in ["hi", "English", "yes", "STOP"]:
        write(client, twilio, FINISHER, body)
    for body in ["hi", "English"]:
        write(client, twilio, STILL_ANSWERING, body)
    assert twilio.thread(FINISHER)
    assert deletion.delete_finished_threads(survey.tenant_id).startswith("8 deleted")
    assert twilio.thread(FINISHER) == []
    assert len(twilio.thread(STILL_ANSWERING)) == 4  # two messages, two replies: still going
