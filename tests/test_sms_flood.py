"""A flood of texts from one number gets silence, not replies on the council's bill.

One phone sent 200 messages in 9 seconds and got about 388 reply segments back. Now a
sender may send SMS_FLOOD_LIMIT messages in its window; past that every message is
answered with empty TwiML (no reply, no turn) until the number has been quiet for
SMS_FLOOD_CALM seconds. STOP always works. The count is kept per council and day,
keyed on the keyed phone hash, never the number, and `chatsurvey jobs` shows it.
"""

from __future__ import annotations

import time

import pytest

from chatsurvey.cli import main
from chatsurvey.crypto import crypto
from chatsurvey.extensions import redis_client
from chatsurvey.invitations.models import OptOut
from tests.helpers import record_of
from tests.test_sms_channel import SENDER, pointer, text, texts

pytestmark = pytest.mark.redis

OTHER = "+447700900456"


def _answered(responses) -> int:
    return sum(1 for r in responses if texts(r))


def test_a_flood_from_one_number_is_met_with_silence(app, client, survey):
    responses = [text(client, f"spam {i}") for i in range(60)]
    assert all(r.status_code == 200 for r in responses)
    limit = 15  # the promise: at most 15 messages in 30 seconds are answered
    assert _answered(responses) <= limit
    assert all(texts(r) == [] for r in responses[limit:]), "past the limit: no reply at all"
    assert record_of(pointer(tenant_id=survey.tenant_id))["s"]["t"] < limit, "the flood did not answer the survey either"


def test_another_number_is_still_answered_during_a_flood(client, survey):
    for i in range(40):
        text(client, f"spam {i}")
    assert texts(text(client, "hi", sender=OTHER)), "a young person texting meanwhile is answered"


def test_stop_works_in_the_middle_of_a_flood(client, survey):
    for i in range(40):
        text(client, f"spam {i}")
    text(client, "STOP")
    assert OptOut.exists(survey.tenant_id, crypto().phone_hash(SENDER))


def test_the_silence_lasts_until_the_number_calms_down(app, client, survey):
    # The calm is several seconds, so a slow machine answering one text slowly (a second or
    # more under load) does not look like a number that has calmed down.
    # The window is long enough that the first four texts fall in it however slow each is.
    app.config["SMS_FLOOD_LIMIT"] = (3, 3)
    app.config["SMS_FLOOD_CALM"] = 5
    for i in range(3):
        assert texts(text(client, f"one of three {i}"))
    started = time.monotonic()
    while time.monotonic() - started < 4:  # still texting: the window passes, the silence stays
        assert texts(text(client, "more")) == []
        time.sleep(0.2)
    time.sleep(5.2)  # quiet for longer than SMS_FLOOD_CALM
    assert texts(text(client, "sorry, hello?")), "a number that calmed down is answered again"


def test_the_throttle_keeps_no_phone_number(app, client, survey):
    for i in range(30):
        text(client, f"spam {i}")
    digits = SENDER.lstrip("+")
    for key in redis_client().keys("*"):
        for form in (digits, digits[-10:], "0" + digits[2:]):
            assert form.encode() not in key, key
        value = redis_client().get(key) if redis_client().type(key) == b"string" else b""
        assert digits.encode() not in (value or b""), key


def test_silenced_messages_are_counted_per_council_in_chatsurvey_jobs(app, client, survey):
    limit = 15
    for i in range(limit + 25):
        text(client, f"spam {i}")
    output = app.test_cli_runner().invoke(main, args=["jobs"]).output
    assert "texts not answered (floods)" in output
    assert f"{survey.tenant.slug}: 25 today" in output
