"""WhatsApp through Twilio: the webhook, its 24-hour window and templates, against the stand-in.

Twilio writes WhatsApp senders as ``whatsapp:+44...``; the webhook is the SMS one
(chatsurvey/channels/sms/webhook.py) with the channel read from that prefix.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text as sql
from twilio.request_validator import RequestValidator

import chatsurvey.invitations.models  # noqa: F401  (the SMS tables, until app.py imports them)
from chatsurvey import texts
from chatsurvey.cli import main
from chatsurvey.conversations.keyspace import pointer_key, sessions
from chatsurvey.crypto import crypto
from chatsurvey.extensions import db, redis_client
from chatsurvey.invitations import whatsapp
from chatsurvey.invitations.actions import add_invitations
from chatsurvey.invitations.models import Invitation, OptOut
from chatsurvey.invitations.schedule import InvitationError
from chatsurvey.invitations.sending import Sender, twilio_client
from chatsurvey.reports.compute import build_report
from chatsurvey.reports.response_rates import band_channel_table
from chatsurvey.reports.rules import Rules
from chatsurvey.responses.models import Response
from devtools.phone import reply_texts
from tests import twilio_standin
from tests.admin_helpers import add_response
from tests.helpers import store_waiting
from tests.twilio_standin import ACCOUNT, TOKEN

pytestmark = pytest.mark.redis

TO = "+447700900001"
SENDER = "+447700900123"
DIGITS = "7700900123"
URL = "http://localhost/whatsapp/inbound"
INVITE_SID = "HX" + "a" * 32
REMINDER_SID = "HX" + "b" * 32
LONDON = ZoneInfo("Europe/London")

twilio_server = twilio_standin.twilio_server
twilio = twilio_standin.twilio
app = twilio_standin.app  # this module's app talks to the stand-in


@pytest.fixture
def survey(survey):
    """The conftest round, run on WhatsApp too (a new round's default is web and SMS)."""
    survey.channels = ["web", "sms", "whatsapp"]
    db.session.commit()
    return survey


def new_sid() -> str:
    return "SM" + secrets.token_hex(16)


def wa(client, body, *, sid=None, sender=SENDER, to=TO, token=TOKEN, url=URL, path=None,
       form=None):
    """Post a WhatsApp message signed as Twilio would; returns the response."""
    data = form if form is not None else {
        "From": f"whatsapp:{sender}", "To": f"whatsapp:{to}", "Body": body,
        "MessageSid": sid or new_sid(), "AccountSid": ACCOUNT, "NumMedia": "0",
        "ProfileName": "Zephyrine Q", "WaId": sender.lstrip("+")}
    signature = RequestValidator(token).compute_signature(url, data)
    return client.post(path or "/whatsapp/inbound", data=data,
                       headers={"X-Twilio-Signature": signature})


def said(response) -> list[str]:
    assert response.status_code == 200 and response.mimetype == "text/xml"
    return reply_texts(response.get_data(as_text=True))


def pointer(tenant_id, sender=SENDER):
    return pointer_key(tenant_id, crypto().phone_hash(sender))


def finish_on_whatsapp(client, survey, sender=SENDER) -> list[str]:
    """Answer the router flow to its end on WhatsApp; every reply, in order."""
    replies = said(wa(client, "hi", sender=sender))
    replies += said(wa(client, "English", sender=sender))
    replies += said(wa(client, "yes", sender=sender))
    for _ in range(60):
        if sessions().find(pointer(survey.tenant_id, sender)) is None:
            return replies
        replies += said(wa(client, "skip", sender=sender))
    raise AssertionError("the survey did not end")


def every_sql_value() -> str:
    """Every value in every table, as the database holds it (encrypted columns encrypted)."""
    out = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sql(f'SELECT * FROM "{table.name}"')):
            out.append(repr(tuple(row)))
    return "\n".join(out)


# -- the conversation ------------------------------------------------------------------


def test_a_whatsapp_message_starts_the_survey_with_numbered_options(client, survey):
    [message] = said(wa(client, "hi"))
    assert message.startswith("Which language?") and "\n1 " in message
    found = sessions().read(pointer(survey.tenant_id)).conversation
    assert found is not None and found.channel == "whatsapp"


def test_a_whole_whatsapp_conversation_is_stored_once_as_whatsapp(app, client, survey):
    replies = finish_on_whatsapp(client, survey)
    assert replies and not any("whatsapp:" in r for r in replies)
    store_waiting()
    [response] = db.session.query(Response).all()
    assert response.channel == "whatsapp" and response.status == "complete"
    sid = new_sid()
    wa(client, "thanks", sid=sid)
    wa(client, "thanks", sid=sid)  # a replay, and a message after the end
    store_waiting()
    assert db.session.query(Response).count() == 1


def test_the_report_shows_whatsapp_in_its_own_column_once_anyone_used_it(survey):
    for _ in range(20):
        add_response(survey, channel="web")
    table = band_channel_table(build_report(survey.tenant, survey), Rules())
    assert table is not None and "WhatsApp" not in table.col_labels
    for _ in range(20):
        add_response(survey, channel="whatsapp")
    table = band_channel_table(build_report(survey.tenant, survey), Rules())
    assert table is not None
    assert table.col_labels == ("Web chat", "Text message", "Paper", "WhatsApp")
    assert [row[-1] for row in table.cells] == [20]


def test_one_number_has_one_conversation_on_sms_and_whatsapp(client, survey):
    """A young person who texts and then writes on WhatsApp goes on where they were."""
    data = {"From": SENDER, "To": TO, "Body": "hi", "MessageSid": new_sid(),
            "AccountSid": ACCOUNT}
    sms_url = "http://localhost/sms/inbound"
    signature = RequestValidator(TOKEN).compute_signature(sms_url, data)
    client.post("/sms/inbound", data=data, headers={"X-Twilio-Signature": signature})
    cid = sessions().find(pointer(survey.tenant_id))
    [message] = said(wa(client, "English"))
    assert "Do you want to take part?" in message
    assert sessions().find(pointer(survey.tenant_id)) == cid


def test_a_round_not_run_by_whatsapp_is_not_started_on_it(client, survey):
    survey.channels = ["web", "sms"]
    db.session.commit()
    [message] = said(wa(client, "hi"))
    assert message.startswith(texts.NO_SURVEY.english[:20])
    assert sessions().find(pointer(survey.tenant_id)) is None


# -- STOP ----------------------------------------------------------------------------------


def test_stop_on_whatsapp_discards_the_answers_opts_out_and_is_confirmed(client, survey):
    wa(client, "hi")
    wa(client, "English")
    wa(client, "yes")
    assert sessions().find(pointer(survey.tenant_id)) is not None
    [message] = said(wa(client, "STOP"))  # Twilio does not answer STOP on WhatsApp: we do
    assert message == texts.STOPPED.english
    assert sessions().read(pointer(survey.tenant_id)).conversation is None
    assert sessions().waiting() == (0, 0)
    assert OptOut.exists(survey.tenant_id, crypto().phone_hash(SENDER))
    [again] = said(wa(client, "hello"))
    assert again == texts.OPTED_OUT.english
    assert sessions().find(pointer(survey.tenant_id)) is None


def test_stop_on_whatsapp_also_stops_sms_invitations(app, survey, twilio):
    wa(app.test_client(), "stop")
    report = add_invitations(survey, f"phone\n{SENDER}\n", send=False)
    assert report.accepted == 0 and report.rejected[0][1].startswith("this person texted STOP")


# -- signatures and malformed requests ----------------------------------------------------------


def test_a_bad_signature_is_refused_and_nothing_is_kept(client, survey):
    assert wa(client, "hi", token="not-the-token").status_code == 403
    assert wa(client, "hi", url="http://localhost/sms/inbound").status_code == 403
    assert not redis_client().keys("cs:*")
    assert db.session.query(OptOut).count() == 0


def test_whatsapp_to_sms_or_sms_to_whatsapp_is_400(client, survey):
    form = {"From": f"whatsapp:{SENDER}", "To": TO, "Body": "hi", "MessageSid": new_sid(),
            "AccountSid": ACCOUNT}
    assert wa(client, "", form=form).status_code == 400
    form = {"From": SENDER, "To": f"whatsapp:{TO}", "Body": "hi", "MessageSid": new_sid(),
            "AccountSid": ACCOUNT}
    assert wa(client, "", form=form).status_code == 400
    assert not redis_client().keys("cs:*")


def test_an_unknown_whatsapp_number_is_404(client, survey):
    assert wa(client, "hi", to="+447700900999").status_code == 404


def test_the_number_is_nowhere_in_sql_redis_or_logs(app, client, survey, caplog, twilio):
    caplog.set_level("DEBUG")
    sid = new_sid()
    wa(client, "hi there", sid=sid)
    set_up_templates(survey)
    add_invitations(survey, f"phone\n{SENDER}\n+447700900456\n", send=False,
                    channel="whatsapp")
    send_now(survey)
    finish_on_whatsapp(client, survey)
    store_waiting()
    assert db.session.query(Response).count() == 1
    stored = every_sql_value()
    assert DIGITS not in stored and "7700900456" not in stored
    assert "Zephyrine" not in stored  # the WhatsApp profile name Twilio sends is never read
    redis = redis_client()
    for key in redis.keys("*"):
        assert DIGITS.encode() not in key
        if redis.type(key) == b"string":
            assert DIGITS.encode() not in redis.get(key) and b"Zephyrine" not in redis.get(key)
    assert DIGITS not in caplog.text and "7700900456" not in caplog.text
    assert "hi there" not in caplog.text and "Zephyrine" not in caplog.text
    assert sid in caplog.text and "whatsapp inbound testshire" in caplog.text


# -- what we start: templates outside the window ----------------------------------------------


def set_up_templates(survey, invite=INVITE_SID, reminder=REMINDER_SID):
    whatsapp.set_up(survey.tenant, TO, {"invite": invite, "reminder": reminder})


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.t = moment.timestamp()

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


def ten_tomorrow() -> datetime:
    day = datetime.now(UTC).date() + timedelta(days=1)
    return datetime.combine(day, time(10), tzinfo=LONDON)


def send_now(survey) -> str:
    clock = Clock(ten_tomorrow())
    return Sender(clock=clock, sleep=clock.sleep, client=twilio_client).invitations(survey.id)


def test_an_invitation_outside_the_window_is_the_approved_template(survey, twilio):
    set_up_templates(survey)
    add_invitations(survey, f"phone\n{SENDER}\n", send=False, channel="whatsapp")
    assert send_now(survey).startswith("1 sent")
    [sent] = twilio.messages
    assert (sent.to, sent.from_) == (f"whatsapp:{SENDER}", f"whatsapp:{TO}")
    assert sent.content_sid == INVITE_SID and sent.body == ""
    assert sent.content_variables == '{"1": "Testshire Council"}'
    assert sent.error_code is None  # never free text outside the window (Twilio's 63016)
    assert "Testshire" not in sent.body


def test_no_marker_is_kept_of_when_a_number_last_wrote(client, survey):
    """Everything we start is a template, so the 24-hour window needs no tracking."""
    wa(client, "hi")
    wa(client, "English")
    kinds = {key.split(b":")[1] for key in redis_client().keys("cs:*")}
    assert kinds == {b"s", b"sw"}  # the sender's conversation, and the flood check


def test_without_a_template_nothing_is_sent(survey, twilio):
    with pytest.raises(InvitationError, match="cannot invite by WhatsApp yet: no WhatsApp "
                       "sender, no approved template for the invitation, no approved template "
                       "for the reminder"):
        add_invitations(survey, f"phone\n{SENDER}\n", send=False, channel="whatsapp")
    set_up_templates(survey)
    add_invitations(survey, f"phone\n{SENDER}\n", send=False, channel="whatsapp")
    whatsapp.set_up(survey.tenant, None, {"invite": ""})  # withdrawn after the upload
    assert send_now(survey).startswith("0 sent, 0 skipped, 1 failed")
    assert twilio.messages == []
    invitation = db.session.query(Invitation).one()
    assert (invitation.status, invitation.error, invitation.number) == (
        "failed", whatsapp.NO_TEMPLATE, None)


def test_a_reminder_outside_the_window_is_its_own_template(survey, twilio):
    set_up_templates(survey)
    add_invitations(survey, f"phone\n{SENDER}\n", send=False, channel="whatsapp")
    clock = Clock(ten_tomorrow())
    sender = Sender(clock=clock, sleep=clock.sleep, client=twilio_client)
    sender.invitations(survey.id)
    store = sessions()
    store.clock = lambda: clock.t - 49 * 3600
    try:
        from chatsurvey import conversations
        conversations.begin(survey, "whatsapp", pointer=pointer(survey.tenant_id))
    finally:
        del store.clock
    assert sender.reminders(survey.id).startswith("1 reminded")
    reminder = twilio.messages[-1]
    assert reminder.content_sid == REMINDER_SID and reminder.body == ""
    assert reminder.error_code is None


def test_sms_invitations_are_unchanged(survey, twilio):
    add_invitations(survey, f"phone\n{SENDER}\n", send=False)
    send_now(survey)
    [sent] = twilio.messages
    assert (sent.to, sent.from_, sent.content_sid) == (SENDER, TO, "")
    assert sent.body == texts.INVITE.english % {"council": "Testshire Council"}


# -- a council's set-up ----------------------------------------------------------------------


def test_the_set_up_refuses_what_twilio_would_not_take(survey):
    with pytest.raises(whatsapp.SetUpRefused, match="not one of testshire's numbers"):
        whatsapp.set_up(survey.tenant, "+447700900999", {})
    with pytest.raises(whatsapp.SetUpRefused, match="not a Content SID"):
        whatsapp.set_up(survey.tenant, None, {"invite": "HXnothex"})
    with pytest.raises(whatsapp.SetUpRefused, match="not a kind"):
        whatsapp.set_up(survey.tenant, None, {"birthday": INVITE_SID})
    assert whatsapp.problems(survey.tenant) == [
        "no WhatsApp sender", "no approved template for the invitation",
        "no approved template for the reminder"]
    whatsapp.set_up(survey.tenant, TO, {"invite": INVITE_SID})
    assert whatsapp.not_ready(survey.tenant) == (
        "Testshire Council cannot invite by WhatsApp yet: no approved template for the "
        "reminder (see docs/whatsapp.md)")


def test_the_tenants_whatsapp_command_sets_it_up(app, survey):
    result = app.test_cli_runner().invoke(main, [
        "tenants", "whatsapp", "testshire", "--sender", "07700 900001",
        "--invite", INVITE_SID, "--reminder", REMINDER_SID])
    assert result.exit_code == 0, result.output
    assert "sender +447700900001" in result.output and "cannot" not in result.output
    db.session.expire_all()
    assert whatsapp.problems(survey.tenant) == []


# -- deletion from Twilio ------------------------------------------------------------------------


def test_a_number_has_one_hash_by_sms_and_on_whatsapp(app):
    """So the deletion job's "is this sender in a conversation?" works for WhatsApp threads."""
    from chatsurvey.channels.sms.webhook import phone_hash

    with app.app_context():
        assert phone_hash(f"whatsapp:{SENDER}") == phone_hash(SENDER) == crypto().phone_hash(
            SENDER)
        assert phone_hash("WhatsApp:07700 900123") == phone_hash(SENDER)


def test_the_council_s_twilio_addresses_include_its_whatsapp_ones(survey):
    assert whatsapp.twilio_addresses(survey.tenant) == [TO, f"whatsapp:{TO}"]
