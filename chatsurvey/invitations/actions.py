"""Inviting young people to a round by SMS: one path for the admin and the command line.

`add_invitations` checks the round can text, reads the upload
(`chatsurvey.invitations.upload`), writes the invitations and an audit entry
with the counts only (never a number, never the file), commits, and only then
asks a worker to text them (`chatsurvey.invitations.sending`), outside quiet
hours. `queue_round` asks again, e.g. after the council's Twilio settings are
fixed. Numbers are deleted as soon as nothing more will be sent to them.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from chatsurvey.audit import record
from chatsurvey.extensions import db
from chatsurvey.invitations.models import FAILED, QUEUED, SENT, SKIPPED, Invitation
from chatsurvey.invitations.schedule import InvitationError, check_round
from chatsurvey.invitations.sending import queue_invitations
from chatsurvey.invitations.upload import Report, stage
from chatsurvey.rounds.models import SurveyRound

REASONS = {
    "21211": "Twilio says the number is not valid",
    "21408": "texts to that country are not enabled on the Twilio account",
    "21610": "the person had texted STOP to this number",
    "21612": "Twilio cannot text that number from this one",
    "21614": "not a mobile number",
    "opted-out": "the person texted STOP to the council",
    "already-started": "already taking part (texted the council first)",
    "round-closed": "the round closed before it could be sent",
    "no-template": "no approved WhatsApp template to send it with",
}
"""What the codes kept in Invitation.error mean, for the status report."""


def add_invitations(survey_round: SurveyRound, csv_text: str, *, send: bool,
                    channel: str = "sms") -> Report:
    """Invite every good, new number in a CSV by SMS or WhatsApp (``channel``); with ``send``,
    queue the messages after the commit.

    Raises InvitationError, with nothing written, if the round cannot take
    invitations on that channel or the file cannot be read.
    """
    check_round(survey_round, channel)
    try:
        report = stage(survey_round, csv_text, channel)
    except InvitationError:
        db.session.rollback()
        raise
    record("invitations.uploaded", survey_round, channel=channel, lines=report.lines,
           accepted=report.accepted, refused=len(report.rejected))
    db.session.commit()
    if send and report.accepted:
        queue_invitations(survey_round.id)
    return report


def queue_round(survey_round: SurveyRound) -> None:
    """Ask a worker to text a round's queued invitations (again); InvitationError if it cannot."""
    check_round(survey_round)
    record("invitations.queued", survey_round)
    db.session.commit()
    queue_invitations(survey_round.id)


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
