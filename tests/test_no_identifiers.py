"""After a realistic run, no table holds anything that could point at a young person.

Young people take the survey over the signed SMS webhook and the web chat API
with known phone numbers, message SIDs, conversation ids, IP addresses, user
agents and exact ages, type free text with a phone number, an e-mail address
and a name, one texts STOP, one leaves with the quick exit; the real store job
stores their responses. Then EVERY column of EVERY table (the database is
reflected, so a table added later is scanned too) is searched for each of
those identifiers, in the forms they are usually written in, and for exact
times of the run.

One thing is allowed, where `chatsurvey/invitations/models.py` documents it: the
opt-out list (and the invitation list) finds a sender by a keyed HMAC of the
number, and an opt-out records when it was made. Nothing there links to a
response. The same keyed hash anywhere else fails the test.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from datetime import UTC, date, datetime

import phonenumbers
import pytest
from sqlalchemy import MetaData, select
from twilio.request_validator import RequestValidator

from chatsurvey.conversations.keyspace import pointer_key, sessions
from chatsurvey.crypto import crypto
from chatsurvey.extensions import db
from chatsurvey.invitations.models import OptOut
from chatsurvey.responses.models import Response
from devtools.phone import reply_texts
from tests.helpers import store_waiting

pytestmark = pytest.mark.redis

COUNCIL_NUMBER = "+447700900001"
TOKEN = "twilio-test-token"
ACCOUNT = "AC" + "0" * 32
URL = "http://localhost/sms/inbound"
SMS_SENDERS = ["+447700900123", "+447700900456"]
STOPPING_SENDER = "+447700900789"
FREE_TEXT_PHONE = "07700 900654"
FREE_TEXT_EMAIL = "kev.smith@example.com"
FREE_TEXT_NAME = "Kevin"
REMOTE_ADDR = "198.51.100.23"
FORWARDED_FOR = "203.0.113.77"
USER_AGENT = "Mozilla/5.0 (Linux; Android 13; SM-A536B) IdentTestBrowser/7.3.1"
AGES = {"sms": 17, "web": 19}
"""Exact ages asked by the router flow; no other answer in this run is 17 or 19."""

DOCUMENTED = {
    ("sms_opt_outs", "phone_hash"): "keyed HMAC of a sender who texted STOP (invitations.models.OptOut)",
    ("sms_opt_outs", "created_at"): "when the opt-out was made (invitations.models.OptOut)",
    ("sms_invitations", "phone_hash"): "keyed HMAC of an invited number (invitations.models.Invitation)",
}
"""(table, column) allowed to hold the keyed phone hash or a time of the run, and why."""
def sign_and_post(client, sender: str, body: str, sid: str):
    data = {"From": sender, "To": COUNCIL_NUMBER, "Body": body, "MessageSid": sid,
            "AccountSid": ACCOUNT, "NumMedia": "0"}
    signature = RequestValidator(TOKEN).compute_signature(URL, data)
    response = client.post("/sms/inbound", data=data, headers={
        "X-Twilio-Signature": signature, "User-Agent": "TwilioProxy/1.1"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return reply_texts(response.get_data(as_text=True))


class Seen:
    """Every identifier the run produced, to be searched for afterwards."""

    def __init__(self) -> None:
        self.phones: list[str] = []
        self.strings: dict[str, str] = {}  # identifier -> what it is

    def add(self, kind: str, *values: str) -> None:
        for value in values:
            self.strings[value] = kind


def sms_conversation(client, survey, seen: Seen, sender: str, messages: list[str]) -> None:
    for message in messages:
        sid = "SM" + secrets.token_hex(16)
        seen.add("message SID", sid)
        sign_and_post(client, sender, message, sid)
        cid = sessions().find(pointer_key(survey.tenant_id, crypto().phone_hash(sender)))
        if cid:
            seen.add("conversation id", cid)


def web_conversation(client, survey, seen: Seen, answers: list[dict], exit_early=False) -> None:
    environ = {"REMOTE_ADDR": REMOTE_ADDR}
    headers = {"X-Forwarded-For": FORWARDED_FOR, "User-Agent": USER_AGENT}
    base = f"/api/v1/surveys/{survey.link}"

    def post(path, body, token=None):
        message_id = "web-" + secrets.token_hex(12)
        seen.add("web message id", message_id)
        auth = {"Authorization": f"Bearer {token}"} if token else {}
        response = client.post(base + path, json={"message_id": message_id, **body},
                               headers={**headers, **auth}, environ_base=environ)
        assert response.status_code < 300, response.get_json()
        return response.get_json()

    token = post("/conversations", {})["conversation"]
    seen.add("conversation id", token)
    for answer in answers:
        post("/conversation/messages", answer, token)
    if exit_early:
        post("/conversation/exit", {}, token)


def phone_forms(e164: str) -> set[str]:
    """The number as people and systems write it, and plain (unkeyed) hashes of those."""
    number = phonenumbers.parse(e164)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(number,
                                               phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    significant = phonenumbers.national_significant_number(number)
    forms = {e164, e164[1:], national, national.replace(" ", ""), international,
             international.replace(" ", ""), "0" + significant, significant,
             "00" + e164[1:]}
    hashes = {getattr(hashlib, name)(form.encode()).hexdigest()
              for form in forms for name in ("md5", "sha1", "sha256", "sha512")}
    return forms | hashes


def cell_text(value) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).decode("latin-1")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def json_items(value):
    """Every key and scalar value inside a JSON document."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from json_items(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from json_items(inner)
    elif value is not None:
        yield value


ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}")
LONG_NUMBER = re.compile(r"(?<!\d)\d{10,13}(?:\.\d+)?(?!\d)")


def test_no_table_holds_an_identifier(app, client, survey):
    seen = Seen()
    with app.app_context():
        survey = db.session.merge(survey)
        set_up = time.time()
        # Two young people by SMS, each to the end, with an exact age and free text.
        for sender, age in zip(SMS_SENDERS, (AGES["sms"], AGES["sms"]), strict=True):
            sms_conversation(client, survey, seen, sender, [
                "hi", "English", "yes", str(age), "7", "never", "2", "1",
                f"my mate {FREE_TEXT_NAME} likes grime",
                f"text me on {FREE_TEXT_PHONE} or {FREE_TEXT_EMAIL}"])
        # One consents, answers, then texts STOP: answers discarded, number opted out.
        sms_conversation(client, survey, seen, STOPPING_SENDER,
                         ["hi", "English", "yes", "STOP"])
        # Two by web chat: one to the end, one leaving with the quick exit.
        web_conversation(client, survey, seen, [
            {"text": "English"}, {"value": "yes"}, {"text": str(AGES["web"])}, {"value": 6},
            {"value": "never"}, {"value": ["music"]}, {"value": 2},
            {"text": f"{FREE_TEXT_NAME} and me like drill"},
            {"text": f"ring {FREE_TEXT_PHONE}, or e-mail {FREE_TEXT_EMAIL}"}])
        web_conversation(client, survey, seen, [
            {"text": "English"}, {"value": "yes"}, {"text": str(AGES["web"])}, {"value": 3}],
            exit_early=True)
        store_waiting()
        finished = time.time()
        assert db.session.query(Response).count() == 4
        assert OptOut.exists(survey.tenant_id, crypto().phone_hash(STOPPING_SENDER))

        searched: dict[str, str] = {}
        for e164 in [*SMS_SENDERS, STOPPING_SENDER]:
            searched.update(dict.fromkeys(phone_forms(e164), f"phone number {e164}"))
        searched.update(dict.fromkeys(phone_forms(
            phonenumbers.format_number(phonenumbers.parse(FREE_TEXT_PHONE, "GB"),
                                       phonenumbers.PhoneNumberFormat.E164)),
            "phone number in free text"))
        searched.update(seen.strings)
        searched.update({FREE_TEXT_EMAIL: "e-mail address in free text",
                         "kev.smith": "e-mail address in free text",
                         FREE_TEXT_NAME: "name in free text",
                         REMOTE_ADDR: "IP address", FORWARDED_FOR: "IP address",
                         USER_AGENT: "user agent", "IdentTestBrowser": "user agent",
                         "SM-A536B": "user agent"})
        keyed = {crypto().phone_hash(e164): e164 for e164 in [*SMS_SENDERS, STOPPING_SENDER]}
        found = scan(searched, keyed, set_up, finished)
    assert not found, "identifiers found in the database:\n" + "\n".join(found)


def scan(searched: dict[str, str], keyed: dict[str, str], set_up: float,
         finished: float) -> list[str]:
    """Every (table.column: what) that holds one of ``searched`` or a time of the run."""
    metadata = MetaData()
    metadata.reflect(bind=db.engine)
    assert {"responses", "comments", "sms_opt_outs"} <= set(metadata.tables)
    lowered = {value.lower(): what for value, what in searched.items()}
    found = []
    scanned = 0
    for table in metadata.sorted_tables:
        rows = db.session.execute(select(table)).mappings().all()
        for row in rows:
            for column, value in row.items():
                scanned += 1
                where = f"{table.name}.{column}"
                text = cell_text(value).lower()
                for identifier, what in lowered.items():
                    if identifier in text:
                        found.append(f"{where}: {what} ({identifier!r})")
                for digest, e164 in keyed.items():
                    if digest in text and (table.name, column) not in DOCUMENTED:
                        found.append(f"{where}: keyed hash of {e164}")
                found += exact_times(where, (table.name, column), value, text, set_up,
                                     finished)
                if isinstance(value, (dict, list)) or table.name == "responses":
                    found += exact_ages(where, value)
    assert scanned > 50  # the scan really looked at something
    return found


def exact_times(where: str, key: tuple[str, str], value, text: str, set_up: float,
                finished: float) -> list[str]:
    if key in DOCUMENTED:
        return []
    if isinstance(value, datetime):
        # The council's set-up (tenant, flows, round) was written before ``set_up``.
        moment = value.replace(tzinfo=value.tzinfo or UTC).timestamp()
        if set_up <= moment <= finished + 1:
            return [f"{where}: exact time of the run ({value.isoformat()})"]
        return []
    found = []
    if ISO_DATETIME.search(text):
        found.append(f"{where}: a date and time with seconds")
    for number in LONG_NUMBER.findall(text):
        moment = float(number)
        if moment > 1e12:
            moment /= 1000  # milliseconds
        if set_up - 60 <= moment <= finished + 60:
            found.append(f"{where}: epoch time of the run ({number})")
    return found


def exact_ages(where: str, value) -> list[str]:
    found = []
    for item in json_items(value):
        if item == "age":
            found.append(f"{where}: the key of an exact-age question")
        elif isinstance(item, int) and not isinstance(item, bool) and item in AGES.values():
            found.append(f"{where}: an exact age ({item})")
    return found


def test_the_scan_can_fail(app, client, survey):
    """The scan finds what it is looking for, wherever a later change might put it."""
    with app.app_context():
        survey = db.session.merge(survey)
        set_up = time.time()
        response = Response(id=secrets.token_hex(16), tenant_id=survey.tenant_id,
                            round_id=survey.id, flow_id="router", flow_version=3, survey="demo",
                            age_band="11-17", locale="en", channel="sms", week="2026-W48",
                            status="complete", helped=None,
                            answers={"age": 17, "seen": int(time.time())},
                            skipped=[f"+44 7700 900123 at {datetime.now(UTC).isoformat()}",
                                     crypto().phone_hash("+447700900123")])
        db.session.add(response)
        db.session.commit()
        found = scan(dict.fromkeys(phone_forms("+447700900123"), "phone number"),
                     {crypto().phone_hash("+447700900123"): "+447700900123"},
                     set_up, time.time())
    joined = "\n".join(found)
    assert "responses.skipped: phone number" in joined
    assert "responses.skipped: a date and time with seconds" in joined
    assert "responses.skipped: keyed hash of +447700900123" in joined
    assert "responses.answers: epoch time of the run" in joined
    assert "responses.answers: the key of an exact-age question" in joined
    assert "responses.answers: an exact age (17)" in joined
