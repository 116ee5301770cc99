"""Job entry points: text a round's invitations and reminders (chatsurvey.invitations.sending)."""

from __future__ import annotations

from chatsurvey.invitations import sending
from workers.app import job_context


def send_invitations(round_id: int) -> None:
    """Text every queued invitation of a round."""
    with job_context():
        sending.send_invitations(round_id)


def send_reminders(round_id: int) -> None:
    """Remind, once, everyone invited who started and has gone quiet."""
    with job_context():
        sending.send_reminders(round_id)
