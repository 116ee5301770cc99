"""Inviting young people to a round by SMS: the upload, what we say, and when we may say it.

A participation worker uploads a CSV of numbers; each becomes an Invitation
holding the number encrypted and its keyed hash. Workers (`chatsurvey/invitations/sending.py`)
text them through Twilio, then send at most one reminder, and the number is
deleted as soon as nothing more will be sent to it. The upload report says,
line by line, why a number was not accepted, without repeating the number
(reports end up in terminals, e-mails and logs).
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from flask import current_app
from sqlalchemy import func, select

from chatsurvey.columns import utcnow
from chatsurvey.councils.models import SmsNumber, Tenant
from chatsurvey.crypto import crypto, normalise_number
from chatsurvey.extensions import db
from chatsurvey.invitations.models import FAILED, QUEUED, SENT, SKIPPED, Invitation, OptOut
from chatsurvey.rounds.models import SurveyRound

MAX_ROWS = 20000
"""A bigger file is almost certainly the wrong file."""
HEADERS = ("phone", "mobile", "number", "tel", "msisdn", "contact")
REGION = "GB"
"""Numbers written without +44 are read as UK numbers."""

NOT_A_NUMBER = "not a phone number"
NOT_MOBILE = "not a mobile number, so it cannot get texts"
NO_NUMBER = "no number on this line"
REPEATED = "the same number is on an earlier line"
ALREADY = "already invited to this round"
OPTED_OUT = "this person texted STOP to the council"

# Short, warm, one SMS, and saying nothing on a lock screen about what the survey asks.
# The reminder asks for "?" (the engine's help: it shows the question again) rather than
# "just reply", so a reply cannot be taken as an answer to a question not on screen.
# Welsh and Gaelic wording awaits review by native speakers.
WORDING = {
    "en": {
        "invite": "Hi, it's {council}. We'd like to hear how things are going for you. "
                  "Reply YES to start, or STOP if you'd rather not get texts.",
        "reminder": "Hi, it's {council} again. You can carry on any time: text ? to see "
                    "where you were. Text STOP to opt out.",
    },
    "cy": {
        "invite": "Helo, {council} sydd yma. Hoffen ni glywed sut mae pethau'n mynd i ti. "
                  "Ateba IE i ddechrau, neu STOP os nad wyt ti eisiau negeseuon.",
        "reminder": "Helo eto gan {council}. Gelli di barhau unrhyw bryd: tecstia ? i weld "
                    "ble roeddet ti. Tecstia STOP i stopio.",
    },
    "gd": {
        "invite": "Halò, seo {council}. Bu toil leinn cluinntinn ciamar a tha dhut. "
                  "Freagair THA gus tòiseachadh, no STOP gus stad.",
        "reminder": "Halò a-rithist bho {council}. Faodaidh tu cumail a' dol uair sam bith: "
                    "cuir ? gus faicinn càit an robh thu. Cuir STOP gus stad.",
    },
}


REASONS = {
    "21211": "Twilio says the number is not valid",
    "21408": "texts to that country are not enabled on the Twilio account",
    "21610": "the person had texted STOP to this number",
    "21612": "Twilio cannot text that number from this one",
    "21614": "not a mobile number",
    "opted-out": "the person texted STOP to the council",
    "already-started": "already taking part (texted the council first)",
    "round-closed": "the round closed before it could be sent",
}
"""What the codes kept in Invitation.error mean, for the status report."""


class InvitationError(ValueError):
    """The round cannot take invitations; the message says what to fix."""


def wording(tenant: Tenant, key: str) -> str:
    """An invitation or reminder in the council's first language we have words for."""
    locale = next((loc for loc in tenant.offered_locales() if loc in WORDING), "en")
    return WORDING[locale][key].format(council=tenant.display_name)


# -- when we may text ----------------------------------------------------------


def quiet(moment: datetime) -> bool:
    """Is it night where the young people are (QUIET_HOURS in TIMEZONE)?"""
    start, end = current_app.config["QUIET_HOURS"]
    hour = moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).hour
    return (hour >= start or hour < end) if start > end else start <= hour < end


def quiet_ends(moment: datetime) -> datetime:
    """``moment`` if texting is allowed then, else when the quiet hours end (in UTC)."""
    if not quiet(moment):
        return moment
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    local = moment.astimezone(zone)
    end = current_app.config["QUIET_HOURS"][1]
    day = local.date() if local.hour < end else local.date() + timedelta(days=1)
    return datetime.combine(day, time(end), tzinfo=zone).astimezone(UTC)


def sending_number(tenant: Tenant) -> SmsNumber | None:
    """Invitations go out from the council's first number (replies come back to it)."""
    return tenant.numbers[0] if tenant.numbers else None


def check_round(survey_round: SurveyRound) -> None:
    """Raise InvitationError unless invitations to this round could be sent."""
    tenant = survey_round.tenant
    if "sms" not in (survey_round.channels or ()):
        raise InvitationError(f"round {survey_round.id} does not run by SMS")
    if survey_round.closes_at <= utcnow():
        raise InvitationError(f"round {survey_round.id} has closed")
    if sending_number(tenant) is None:
        raise InvitationError(f"{tenant.slug} has no SMS number to send from")
    if not (tenant.twilio_account_sid and tenant.twilio_auth_token):
        raise InvitationError(f"{tenant.slug} has no Twilio account SID and auth token")


# -- the upload ------------------------------------------------------------------


@dataclass
class Report:
    """What an upload did, for the person who uploaded it."""

    round_id: int
    lines: int = 0
    accepted: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def summary(self, most: int = 15) -> list[str]:
        """Readable lines: the totals, then each reason with the file's line numbers."""
        out = [f"{self.lines} number{'s' if self.lines != 1 else ''} read: {self.accepted} "
               f"accepted, {len(self.rejected)} not accepted."]
        by_reason: dict[str, list[int]] = defaultdict(list)
        for line, reason in self.rejected:
            by_reason[reason].append(line)
        for reason, lines in sorted(by_reason.items(), key=lambda item: -len(item[1])):
            shown = ", ".join(str(n) for n in lines[:most])
            more = f" and {len(lines) - most} more" if len(lines) > most else ""
            out.append(f"  {reason} ({len(lines)}): line{'s' if len(lines) != 1 else ''} "
                       f"{shown}{more}")
        return out


def _rows(csv_text: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) of every non-blank row."""
    text = csv_text.lstrip("\ufeff")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows = []
    for cells in reader:
        if any(cell.strip() for cell in cells):
            rows.append((reader.line_num, [cell.strip() for cell in cells]))
            if len(rows) > MAX_ROWS + 1:
                raise InvitationError(f"the file has more than {MAX_ROWS} rows; split it")
    return rows


def _column(rows: list[tuple[int, list[str]]]) -> tuple[int, bool]:
    """(the column holding numbers, whether the first row is a header)."""
    first = rows[0][1]
    for index, cell in enumerate(first):
        try:
            normalise_number(cell, REGION)
            return index, False
        except ValueError:
            continue
    for index, cell in enumerate(first):
        if not any(ch.isdigit() for ch in cell) and any(h in cell.casefold() for h in HEADERS):
            return index, True
    for index, cell in enumerate(first):
        if any(ch.isdigit() for ch in cell):
            return index, False
    raise InvitationError("cannot tell which column holds the numbers: head it 'phone'")


def _check(raw: str) -> tuple[str | None, str | None]:
    """(E.164 number, None) or (None, why not).

    Stricter than `normalise_number`: a number that is only possible as a
    local number ("07700") is not one, and a UK number must be a mobile (07...).
    """
    if not raw:
        return None, NO_NUMBER
    try:
        number = normalise_number(raw, REGION)
    except ValueError:
        return None, NOT_A_NUMBER
    parsed = phonenumbers.parse(number)
    if (phonenumbers.is_possible_number_with_reason(parsed)
            != phonenumbers.ValidationResult.IS_POSSIBLE):
        return None, NOT_A_NUMBER
    if parsed.country_code == 44:
        if not str(parsed.national_number).startswith("7"):
            return None, NOT_MOBILE
    elif not phonenumbers.is_valid_number(parsed):
        return None, NOT_A_NUMBER
    return number, None


def _known(model, scope, hashes: list[str]) -> set[str]:
    """Which of ``hashes`` are already rows of ``model`` within ``scope``."""
    found: set[str] = set()
    for start in range(0, len(hashes), 500):
        found.update(db.session.scalars(select(model.phone_hash).where(
            scope, model.phone_hash.in_(hashes[start:start + 500]))))
    return found


def add_invitations(survey_round: SurveyRound, csv_text: str) -> Report:
    """Queue invitations for every good, new number in a CSV; say why others were left out.

    The numbers are in the column headed phone/mobile/number (or the first
    column that holds one). Numbers are de-duplicated, checked against this
    round's earlier uploads, and against the council's opt-out list.
    """
    check_round(survey_round)
    report = Report(survey_round.id)
    rows = _rows(csv_text)
    if not rows:
        return report
    column, header = _column(rows)
    seen: dict[str, int] = {}
    good: list[tuple[int, str, str]] = []
    hasher = crypto()
    for line, cells in rows[1:] if header else rows:
        report.lines += 1
        number, why = _check(cells[column] if column < len(cells) else "")
        if number in seen:
            why = REPEATED
        if why:
            report.rejected.append((line, why))
            continue
        seen[number] = line
        good.append((line, number, hasher.phone_hash(number)))
    hashes = [h for _, _, h in good]
    invited = _known(Invitation, Invitation.round_id == survey_round.id, hashes)
    opted_out = _known(OptOut, OptOut.tenant_id == survey_round.tenant_id, hashes)
    for line, number, phone in good:
        if phone in invited:
            report.rejected.append((line, ALREADY))
        elif phone in opted_out:
            report.rejected.append((line, OPTED_OUT))
        else:
            db.session.add(Invitation(round_id=survey_round.id, phone_hash=phone,
                                      number=number, status=QUEUED, attempts=0))
            report.accepted += 1
    report.rejected.sort()
    db.session.commit()
    return report


# -- where a round stands --------------------------------------------------------


def status(survey_round: SurveyRound) -> dict:
    """Counts for `chatsurvey invitations status`: no numbers, no hashes."""
    rows = db.session.execute(
        select(Invitation.status, Invitation.error, func.count())
        .where(Invitation.round_id == survey_round.id)
        .group_by(Invitation.status, Invitation.error)).all()
    by_status: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    for state, error, count in rows:
        by_status[state] += count
        if error:
            errors[f"{state}: {REASONS.get(error, 'error ' + error)}"] += count
    scope = Invitation.round_id == survey_round.id
    reminded = db.session.scalar(select(func.count()).where(
        scope, Invitation.reminded_at.is_not(None)))
    held = db.session.scalar(select(func.count()).where(scope, Invitation.number.is_not(None)))
    return {"total": sum(by_status.values()),
            **{s: by_status.get(s, 0) for s in (QUEUED, SENT, FAILED, SKIPPED)},
            "reminded": reminded, "numbers_held": held, "errors": dict(errors)}
