"""Reading a CSV of phone numbers into a round's invitations, and saying why lines were left out.

Each good, new number becomes an Invitation holding the number encrypted and
its keyed hash. The report names refused lines by line number and reason,
never by their number (reports end up in terminals, e-mails and logs).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field

import phonenumbers
from sqlalchemy import select

from chatsurvey.crypto import crypto, normalise_number
from chatsurvey.extensions import db
from chatsurvey.invitations.models import QUEUED, Invitation, OptOut
from chatsurvey.invitations.schedule import InvitationError
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


def stage(survey_round: SurveyRound, csv_text: str, channel: str = "sms") -> Report:
    """Add an invitation (by ``channel``) for every good, new number in a CSV (not committed).

    The numbers are in the column headed phone/mobile/number (or the first
    column that holds one). Numbers are de-duplicated, checked against this
    round's earlier uploads, and against the council's opt-out list.
    """
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
        if why or number is None:
            report.rejected.append((line, why or NOT_A_NUMBER))
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
                                      number=number, status=QUEUED, attempts=0,
                                      channel=channel))
            report.accepted += 1
    report.rejected.sort()
    return report
