"""Invitations and the one reminder: the upload, the pace, the quiet hours, the numbers' end.

Time is a fake clock whose sleep moves it on, so pacing is measured exactly
and nothing waits on the wall clock. Texts go through the real Twilio client
to a local stand-in (tests/twilio_standin.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import create_engine, inspect, text

import chatsurvey.invitations.models  # noqa: F401  (the SMS tables, until app.py imports them)
from chatsurvey import conversations, texts
from chatsurvey.cli.invitations import invitations as invitations_cli
from chatsurvey.conversations.keyspace import pointer_key, sessions
from chatsurvey.crypto import crypto
from chatsurvey.extensions import db, redis_client
from chatsurvey.invitations.actions import add_invitations, status
from chatsurvey.invitations.models import Invitation, OptOut
from chatsurvey.invitations.schedule import InvitationError, quiet, quiet_ends
from chatsurvey.invitations.sending import Sender, queue_invitations, twilio_client
from chatsurvey.invitations.upload import (
    ALREADY,
    NO_NUMBER,
    NOT_A_NUMBER,
    NOT_MOBILE,
    OPTED_OUT,
    REPEATED,
)
from chatsurvey.jobs import SEND, queue
from tests import twilio_standin
from tests.helpers import PROJECT
from tests.twilio_standin import ACCOUNT

pytestmark = pytest.mark.redis

LONDON = ZoneInfo("Europe/London")
A, B, C = "+447700900201", "+447700900202", "+447700900203"

twilio_server = twilio_standin.twilio_server
twilio = twilio_standin.twilio
app = twilio_standin.app  # this module's app talks to the stand-in


class Clock:
    """Fake time: sleeping moves it on, and every sleep is written down."""

    def __init__(self, moment: datetime) -> None:
        self.t = moment.timestamp()
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


class Recording:
    """The real client, noting the (fake) time of each text."""

    def __init__(self, tenant, clock, times):
        self.client, self.clock, self.times = twilio_client(tenant), clock, times

    @property
    def messages(self):
        return self

    def create(self, **kwargs):
        self.times.append(self.clock())
        return self.client.messages.create(**kwargs)


def tomorrow(hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A London time tomorrow (the fixture round is open from yesterday for a month)."""
    day = datetime.now(UTC).date() + timedelta(days=1)
    return datetime.combine(day, time(hour, minute, second), tzinfo=LONDON)


def sender(clock: Clock, times: list | None = None) -> Sender:
    times = [] if times is None else times
    return Sender(clock=clock, sleep=clock.sleep,
                  client=lambda tenant: Recording(tenant, clock, times))


def invite(survey, *numbers) -> None:
    report = add_invitations(survey, "phone\n" + "\n".join(numbers), send=False)
    assert report.accepted == len(numbers), report.summary()


def rows(survey) -> dict[str, Invitation]:
    db.session.expire_all()
    found = db.session.query(Invitation).filter_by(round_id=survey.id).all()
    return {i.phone_hash: i for i in found}


def row(survey, number) -> Invitation:
    return rows(survey)[crypto().phone_hash(number)]


def scheduled(kind: str) -> list[datetime]:
    registry = queue(SEND).scheduled_job_registry
    return sorted(registry.get_scheduled_time(job_id) for job_id in registry.get_job_ids()
                  if job_id.startswith(f"sms-{kind}-"))


# -- the upload ----------------------------------------------------------------------------


def test_the_upload_report_says_why_each_number_was_not_accepted(survey):
    db.session.add(OptOut(tenant_id=survey.tenant_id, phone_hash=crypto().phone_hash(
        "+447700900126")))
    db.session.commit()
    csv_text = "\n".join([
        "Name,Mobile number,Notes",    # 1
        "Sam,07700 900123,",           # 2 accepted
        "Alex,+44 7700 900124,",       # 3 accepted
        "Jo,07700900123,again",        # 4 repeated
        "Kim,not known,",              # 5 not a number
        "Lee,,",                       # 6 no number
        "",                            # 7 blank: ignored
        "Max,020 7946 0000,",          # 8 a landline
        "Ola,7700900125,",             # 9 Excel dropped the 0: accepted
        "Pat,07700 900126,",           # 10 texted STOP before
    ])
    report = add_invitations(survey, csv_text, send=False)
    assert (report.lines, report.accepted) == (8, 3)
    assert report.rejected == [(4, REPEATED), (5, NOT_A_NUMBER), (6, NO_NUMBER),
                               (8, NOT_MOBILE), (10, OPTED_OUT)]
    summary = "\n".join(report.summary())
    assert summary.startswith("8 numbers read: 3 accepted, 5 not accepted.")
    assert "  not a phone number (1): line 5" in summary
    assert "7700" not in summary  # the report never repeats a number

    again = add_invitations(survey, "mobile\n07700900124\n07700900127\n", send=False)
    assert again.accepted == 1 and again.rejected == [(2, ALREADY)]


def test_a_400_number_upload_gets_a_short_clear_report(survey):
    lines = ["phone"] + [f"07700 900{i:03d}" if i % 20 else "07700" for i in range(400)]
    report = add_invitations(survey, "\n".join(lines), send=False)
    assert (report.lines, report.accepted, len(report.rejected)) == (400, 380, 20)
    summary = report.summary()
    assert summary[0] == "400 numbers read: 380 accepted, 20 not accepted."
    assert summary[1] == ("  not a phone number (20): lines 2, 22, 42, 62, 82, 102, 122, 142, "
                          "162, 182, 202, 222, 242, 262, 282 and 5 more")
    assert db.session.query(Invitation).count() == 380


def test_numbers_are_kept_only_encrypted_and_found_by_their_hash(survey):
    invite(survey, "07700 900123")
    raw = db.session.execute(text("SELECT number, phone_hash, status FROM sms_invitations")
                             ).one()
    assert "7700900123" not in raw.number and raw.status == "queued"
    assert raw.phone_hash == crypto().phone_hash("+447700900123")
    assert crypto().decrypt(raw.number) == "+447700900123"


def test_files_without_a_header_or_with_semicolons_are_read(survey):
    report = add_invitations(survey, "\ufeff07700900123;Sam\r\n07700900124;Alex\r\n", send=False)
    assert report.accepted == 2 and report.rejected == []
    report = add_invitations(survey, "Sam,07700900125\nAlex,07700900126\n", send=False)
    assert report.accepted == 2


def test_a_file_with_no_numbers_says_which_column_to_name(survey):
    with pytest.raises(InvitationError, match="phone"):
        add_invitations(survey, "Name,Age\nSam,fifteen\n", send=False)
    assert add_invitations(survey, "", send=False).lines == 0


def test_a_round_that_cannot_text_takes_no_invitations(survey):
    survey.channels = ["web"]
    with pytest.raises(InvitationError, match="does not run by SMS"):
        add_invitations(survey, "07700900123", send=False)
    survey.channels = ["web", "sms"]
    survey.closes_at = datetime.now(UTC) - timedelta(minutes=1)
    with pytest.raises(InvitationError, match="closed"):
        add_invitations(survey, "07700900123", send=False)
    survey.closes_at = datetime.now(UTC) + timedelta(days=1)
    survey.tenant.twilio_auth_token = None
    with pytest.raises(InvitationError, match="auth token"):
        add_invitations(survey, "07700900123", send=False)
    assert db.session.query(Invitation).count() == 0


# -- when we may text ------------------------------------------------------------------------


@pytest.mark.parametrize("moment, is_quiet", [
    (datetime(2026, 7, 1, 19, 59, tzinfo=UTC), False),   # 20:59 BST
    (datetime(2026, 7, 1, 20, 0, tzinfo=UTC), True),     # 21:00 BST
    (datetime(2026, 1, 15, 20, 30, tzinfo=UTC), False),  # 20:30 GMT
    (datetime(2026, 1, 15, 21, 0, tzinfo=UTC), True),    # 21:00 GMT
    (datetime(2026, 1, 15, 7, 59, tzinfo=UTC), True),    # 07:59 GMT
    (datetime(2026, 7, 1, 7, 0, tzinfo=UTC), False),     # 08:00 BST
    (datetime(2026, 1, 15, 3, 0, tzinfo=UTC), True),
])
def test_quiet_hours_are_local_time(app, moment, is_quiet):
    with app.app_context():
        assert quiet(moment) is is_quiet


@pytest.mark.parametrize("moment, ends", [
    (datetime(2026, 7, 1, 22, 0, tzinfo=UTC), datetime(2026, 7, 2, 7, 0, tzinfo=UTC)),
    (datetime(2026, 1, 15, 3, 0, tzinfo=UTC), datetime(2026, 1, 15, 8, 0, tzinfo=UTC)),
    (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), datetime(2026, 3, 29, 7, 0, tzinfo=UTC)),  # DST
    (datetime(2026, 1, 15, 12, 0, tzinfo=UTC), datetime(2026, 1, 15, 12, 0, tzinfo=UTC)),
])
def test_quiet_hours_end_at_eight_local_time(app, moment, ends):
    with app.app_context():
        assert quiet_ends(moment) == ends


# -- sending invitations -----------------------------------------------------------------------


def test_invitations_go_out_at_the_number_s_pace(survey, twilio):
    survey.tenant.numbers[0].per_second = 2
    db.session.commit()
    numbers = [f"+4477009003{i:02d}" for i in range(5)]
    invite(survey, *numbers)
    clock, times = Clock(tomorrow(10)), []
    assert sender(clock, times).invitations(survey.id).startswith("5 sent")
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert gaps == [pytest.approx(0.5, abs=0.002)] * 4
    assert [m.to for m in twilio.messages] == numbers
    assert {m.from_ for m in twilio.messages} == {"+447700900001"}
    assert {m.account for m in twilio.messages} == {ACCOUNT}
    assert twilio.messages[0].body == texts.INVITE.english % {"council": "Testshire Council"}
    assert all(i.status == "sent" and i.sent_at for i in rows(survey).values())


def test_the_pace_is_shared_by_every_worker_and_counts_segments(survey):
    number = survey.tenant.numbers[0]
    number.per_second = 4
    clock = Clock(tomorrow(10))
    first, second = Sender(clock=clock, sleep=clock.sleep), Sender(clock=clock, sleep=clock.sleep)
    first.pace(number, 1)
    second.pace(number, 3)   # waits for the first's slot: 0.25 s
    first.pace(number, 1)    # waits for three segments' worth: 0.75 s
    assert clock.sleeps == [pytest.approx(0.25, abs=0.002), pytest.approx(0.75, abs=0.002)]


def test_invitations_fit_one_sms_and_say_nothing_about_care(survey):
    from chatsurvey.councils.models import Tenant
    from chatsurvey.engine.sms import segments

    for locale in ("en", "cy", "gd"):
        council = Tenant(name="Much Wenlock and District Council", country="england",
                         locales=[locale], branding={})
        for kind in (texts.INVITE, texts.REMINDER):
            message = texts.sms_text(council, kind)
            assert segments(message) == 1, (locale, kind, len(message))
            assert "care" not in message.lower() and "survey" not in message.lower()
            assert (message == kind.english % {"council": council.name}) == (locale == "en")


def test_at_night_nothing_is_sent_and_the_job_waits_for_eight(survey, twilio):
    invite(survey, A, B)
    clock = Clock(tomorrow(22, 30))
    assert sender(clock).invitations(survey.id) == "not now"
    assert twilio.requests == 0
    assert scheduled("invitations") == [tomorrow(8).astimezone(UTC) + timedelta(days=1)]


def test_sending_stops_when_the_night_begins(survey, twilio):
    survey.tenant.numbers[0].per_second = 1
    db.session.commit()
    invite(survey, A, B, C)
    clock = Clock(tomorrow(20, 59, 59))
    result = sender(clock).invitations(survey.id)
    assert result.endswith("quiet hours") and len(twilio.messages) == 1
    assert [i.status for i in rows(survey).values()].count("queued") == 2
    assert scheduled("invitations") == [tomorrow(8).astimezone(UTC) + timedelta(days=1)]


def test_a_round_that_has_not_opened_waits_for_its_opening(survey, twilio):
    invite(survey, A)
    survey.opens_at = tomorrow(14).astimezone(UTC)
    db.session.commit()
    assert sender(Clock(tomorrow(10))).invitations(survey.id) == "not now"
    assert scheduled("invitations") == [tomorrow(14).astimezone(UTC)]
    assert twilio.requests == 0


def test_when_all_are_sent_the_reminder_check_is_booked(survey, app):
    invite(survey, A)
    clock = Clock(tomorrow(10))
    sender(clock).invitations(survey.id)
    hours = app.config["REMINDER_AFTER_HOURS"]
    assert scheduled("reminders") == [tomorrow(10).astimezone(UTC) + timedelta(hours=hours)]


def test_a_run_twice_at_once_sends_once(survey, twilio):
    invite(survey, A)
    clock = Clock(tomorrow(10))
    redis_client().set(f"cs:send:{survey.id}", "another-worker", ex=60)
    assert sender(clock).invitations(survey.id) == "another run is sending"
    redis_client().delete(f"cs:send:{survey.id}")
    sender(clock).invitations(survey.id)
    sender(clock).invitations(survey.id)
    assert len(twilio.messages) == 1


# -- what Twilio says back ---------------------------------------------------------------------


def test_twilio_21610_means_opted_out(survey, twilio):
    invite(survey, A, B)
    twilio.opted_out.add(A)
    sender(Clock(tomorrow(10))).invitations(survey.id)
    skipped = row(survey, A)
    assert (skipped.status, skipped.error, skipped.number) == ("skipped", "21610", None)
    assert OptOut.exists(survey.tenant_id, crypto().phone_hash(A))
    assert row(survey, B).status == "sent"
    assert status(survey)["errors"] == {
        "skipped: the person had texted STOP to this number": 1}


def test_someone_who_texted_stop_is_not_invited(survey, twilio):
    invite(survey, A)
    db.session.add(OptOut(tenant_id=survey.tenant_id, phone_hash=crypto().phone_hash(A)))
    db.session.commit()
    sender(Clock(tomorrow(10))).invitations(survey.id)
    assert twilio.requests == 0
    assert (row(survey, A).status, row(survey, A).number) == ("skipped", None)


def test_someone_already_taking_part_is_not_invited(survey, twilio):
    invite(survey, A)
    conversations.begin(survey, "sms", pointer=pointer_key(survey.tenant_id,
                                                           crypto().phone_hash(A)))
    sender(Clock(tomorrow(10))).invitations(survey.id)
    assert twilio.requests == 0 and row(survey, A).error == "already-started"


def test_a_busy_twilio_is_tried_again_after_a_pause(survey, twilio):
    invite(survey, A)
    twilio.fail_next(429, 20429, times=2)
    clock = Clock(tomorrow(10))
    sender(clock).invitations(survey.id)
    assert row(survey, A).status == "sent" and clock.sleeps[:2] == [1, 2]


def test_twilio_busy_for_long_is_tried_later_then_given_up(survey, twilio):
    invite(survey, A, B)
    clock = Clock(tomorrow(10))
    for attempt in range(1, 6):
        twilio.fail_next(429, 20429, times=4)
        result = sender(clock).invitations(survey.id)
        late = row(survey, A)
        assert late.attempts == attempt
        if attempt < 5:
            assert result.endswith("Twilio unavailable") and late.status == "queued"
            assert late.number is not None
            retry_at = datetime.fromtimestamp(int(clock.t) + 300, UTC)  # RQ keeps whole seconds
            assert retry_at in scheduled("invitations")
    assert (late.status, late.error, late.number) == ("failed", "20429", None)
    assert row(survey, B).status == "sent"


def test_a_number_twilio_refuses_fails_and_is_deleted(survey, twilio):
    invite(survey, A, B)
    twilio.fail_next(400, 21211)
    sender(Clock(tomorrow(10))).invitations(survey.id)
    failed = row(survey, A)
    assert (failed.status, failed.error, failed.number) == ("failed", "21211", None)
    assert row(survey, B).status == "sent"
    assert status(survey)["errors"] == {"failed: Twilio says the number is not valid": 1}


def test_wrong_credentials_stop_the_run_and_fail_no_one(survey, twilio, caplog):
    invite(survey, A, B)
    twilio.account(ACCOUNT, "a-different-token")
    result = sender(Clock(tomorrow(10))).invitations(survey.id)
    assert "refused the council's account SID or auth token" in result
    assert {i.status for i in rows(survey).values()} == {"queued"}
    assert {i.attempts for i in rows(survey).values()} == {0}
    assert scheduled("invitations") == [] and "refused" in caplog.text


# -- the one reminder ----------------------------------------------------------------------------


def start_conversation(survey, number, at: datetime) -> None:
    """As if ``number`` replied to the invitation at ``at`` and then said nothing more."""
    store = sessions()
    store.clock = lambda: at.timestamp()
    try:
        conversations.begin(survey, "sms",
                            pointer=pointer_key(survey.tenant_id, crypto().phone_hash(number)))
    finally:
        del store.clock


def test_one_reminder_only_to_those_who_started_and_went_quiet(survey, twilio, app):
    invite(survey, A, B, C)
    now = tomorrow(10)
    sender(Clock(now)).invitations(survey.id)
    start_conversation(survey, A, now - timedelta(hours=49))   # quiet for two days
    start_conversation(survey, B, now - timedelta(hours=1))    # answering now
    reminder = texts.REMINDER.english % {"council": "Testshire Council"}

    result = sender(Clock(now)).reminders(survey.id)
    assert result == "1 reminded, 2 may need one later"
    assert [(m.to, m.body) for m in twilio.messages[3:]] == [(A, reminder)]
    assert row(survey, A).reminded_at is not None and row(survey, A).number is None
    assert row(survey, B).number is not None and row(survey, C).number is not None
    check = app.config["REMINDER_CHECK_MINUTES"]
    assert now.astimezone(UTC) + timedelta(minutes=check) in scheduled("reminders")

    later = Clock(now + timedelta(hours=48))
    assert sender(later).reminders(survey.id) == "1 reminded, 1 may need one later"
    assert sender(later).reminders(survey.id) == "0 reminded, 1 may need one later"
    assert [m.to for m in twilio.messages[3:]] == [A, B]   # once each, and never to C


def test_no_reminder_at_night(survey, twilio):
    invite(survey, A)
    sender(Clock(tomorrow(10))).invitations(survey.id)
    start_conversation(survey, A, tomorrow(10) - timedelta(hours=3))
    night = tomorrow(23)
    assert sender(Clock(night)).reminders(survey.id) == "quiet hours"
    assert len(twilio.messages) == 1
    assert tomorrow(8).astimezone(UTC) + timedelta(days=1) in scheduled("reminders")


def test_no_reminder_to_an_abandoned_conversation_or_after_stop(survey, twilio):
    invite(survey, A, B)
    now = tomorrow(10)
    sender(Clock(now)).invitations(survey.id)
    start_conversation(survey, A, now - timedelta(days=8))   # past SESSION_TTL_SMS
    start_conversation(survey, B, now - timedelta(hours=50))
    db.session.add(OptOut(tenant_id=survey.tenant_id, phone_hash=crypto().phone_hash(B)))
    db.session.commit()
    sender(Clock(now)).reminders(survey.id)
    assert len(twilio.messages) == 2   # the two invitations only
    assert row(survey, B).number is None and row(survey, B).error == "opted-out"


def test_when_the_round_closes_no_number_is_kept(survey, twilio):
    invite(survey, A, B, C)
    survey.tenant.numbers[0].per_second = 1
    db.session.commit()
    clock = Clock(tomorrow(20, 59, 59))
    sender(clock).invitations(survey.id)       # one sent, then night falls
    assert sum(i.number is not None for i in rows(survey).values()) == 3
    after = Clock(survey.closes_at + timedelta(minutes=1))
    assert sender(after).reminders(survey.id) == "round closed, 3 numbers deleted"
    found = rows(survey)
    assert all(i.number is None for i in found.values())
    assert sorted(i.status for i in found.values()) == ["sent", "skipped", "skipped"]
    assert status(survey)["numbers_held"] == 0
    assert sender(after).invitations(survey.id) == "round closed, 0 numbers deleted"


# -- through RQ, with the real client ------------------------------------------------------------


def test_a_worker_sends_through_the_real_twilio_client(survey, twilio, app):
    app.config["QUIET_HOURS"] = (0, 0)   # never quiet: this test runs at any hour
    invite(survey, A, B)
    queue_invitations(survey.id)
    worker = SimpleWorker([queue(SEND)], connection=redis_client(), serializer=JSONSerializer)
    assert worker.work(burst=True)
    assert sorted(m.to for m in twilio.messages) == [A, B]
    assert {i.status for i in rows(survey).values()} == {"sent"}
    assert queue(SEND).failed_job_registry.count == 0


def test_no_number_reaches_the_logs(survey, twilio, caplog):
    caplog.set_level("DEBUG")
    invite(survey, A)
    twilio.fail_next(400, 21211)
    sender(Clock(tomorrow(10))).invitations(survey.id)
    assert "7700900201" not in caplog.text and "round" in caplog.text


# -- the commands ---------------------------------------------------------------------------------


def test_the_commands_report_an_upload_and_the_round_s_state(survey, app, tmp_path):
    path = tmp_path / "numbers.csv"
    path.write_bytes("Mobile\n07700900201\nnope\n07700900201\n".encode("cp1252"))
    runner = app.test_cli_runner()
    result = runner.invoke(invitations_cli, ["add", str(survey.id), str(path), "--no-send"])
    assert result.exit_code == 0, result.output
    assert "3 numbers read: 1 accepted, 2 not accepted." in result.output
    assert "  not a phone number (1): line 3" in result.output
    assert "invitations send" in result.output and queue(SEND).count == 0
    result = runner.invoke(invitations_cli, ["add", str(survey.id), str(path)])
    assert "already invited" in result.output
    result = runner.invoke(invitations_cli, ["send", str(survey.id)])
    assert result.exit_code == 0 and queue(SEND).count == 1
    result = runner.invoke(invitations_cli, ["status", str(survey.id)])
    assert result.exit_code == 0
    assert "1 invited" in result.output and "numbers still held:" in result.output
    assert "7700" not in result.output
    result = runner.invoke(invitations_cli, ["status", "999"])
    assert result.exit_code != 0 and "no round 999" in result.output


def test_the_admin_and_the_command_line_take_one_path(survey, app, tmp_path):
    """Both doors audit an upload (counts only), and queue texts only for a round that can."""
    from chatsurvey.audit import AuditEntry

    path = tmp_path / "numbers.csv"
    path.write_text("phone\n07700900201\n")
    runner = app.test_cli_runner()
    result = runner.invoke(invitations_cli, ["add", str(survey.id), str(path)])
    assert result.exit_code == 0 and queue(SEND).count == 1
    entry = db.session.query(AuditEntry).filter_by(action="invitations.uploaded").one()
    assert entry.actor == "cli" and entry.details == {"channel": "sms", "lines": 1, "accepted": 1,
                                                     "refused": 0}
    survey.channels = ["web"]
    db.session.commit()
    refused = runner.invoke(invitations_cli, ["send", str(survey.id)])
    assert refused.exit_code == 1 and "does not run by SMS" in refused.output
    assert queue(SEND).count == 1
    again = runner.invoke(invitations_cli, ["add", str(survey.id), str(path)])
    assert again.exit_code == 1 and "does not run by SMS" in again.output
    assert db.session.query(AuditEntry).filter_by(action="invitations.uploaded").count() == 1


# -- the migration ---------------------------------------------------------------------------------


def test_the_migration_makes_the_tables_the_models_describe(tmp_path, redis_url):
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url,
           "CHATSURVEY_SECRET_KEY": "migration-test"}

    def flask_db(*args):
        subprocess.run([sys.executable, "-m", "chatsurvey", "db", *args], env=env, check=True,
                       cwd=PROJECT, capture_output=True)

    flask_db("upgrade")  # to the head: later migrations add columns (channel)
    engine = create_engine(url)
    try:
        found = inspect(engine)
        for model in (Invitation, OptOut):
            columns = {c["name"] for c in found.get_columns(model.__tablename__)}
            assert columns == set(model.__table__.columns.keys())
        flask_db("downgrade", "0001")
        assert not {"sms_invitations", "sms_opt_outs"} & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()

