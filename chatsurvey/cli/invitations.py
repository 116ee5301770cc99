"""`chatsurvey invitations`: invite young people to a round by SMS, from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from chatsurvey.extensions import db
from chatsurvey.invitations import whatsapp
from chatsurvey.invitations.actions import add_invitations, queue_round, status
from chatsurvey.invitations.schedule import InvitationError, sending_number
from chatsurvey.rounds.models import SurveyRound

invitations = AppGroup("invitations", help="Invite young people to a round by SMS.")


def _round(round_id: int) -> SurveyRound:
    survey_round = db.session.get(SurveyRound, round_id)
    if survey_round is None:
        raise click.ClickException(f"no round {round_id} (see `chatsurvey rounds list`)")
    return survey_round


def _read(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")  # Excel's "CSV" on Windows


def _when() -> str:
    start, end = current_app.config["QUIET_HOURS"]
    return f"between {end:02d}:00 and {start:02d}:00 ({current_app.config['TIMEZONE']})"


@invitations.command("add")
@click.argument("round_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--send/--no-send", default=True, show_default=True,
              help="Queue the texts now (or later, with `invitations send`).")
@click.option("--channel", type=click.Choice(["sms", "whatsapp"]), default="sms",
              show_default=True,
              help="By WhatsApp: the council's approved template, from its WhatsApp sender.")
def invitations_add(round_id: int, file: Path, send: bool, channel: str) -> None:
    """Invite the numbers in FILE (a CSV; a column headed phone, mobile or number) to a round."""
    survey_round = _round(round_id)
    try:
        report = add_invitations(survey_round, _read(file), send=send, channel=channel)
    except InvitationError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Round {survey_round.id} ({survey_round.name}, {survey_round.tenant.slug}):")
    for line in report.summary():
        click.echo(line)
    sender = (whatsapp.sending_number(survey_round.tenant) if channel == "whatsapp"
              else sending_number(survey_round.tenant))  # check_round made sure there is one
    if report.accepted and send and sender is not None:
        sender = sender.number
        click.echo(f"The invitations will be texted from {sender}, {_when()}, as a worker "
                   "picks them up.")
    elif report.accepted:
        click.echo(f"Not sent yet: run `chatsurvey invitations send {survey_round.id}`.")


@invitations.command("send")
@click.argument("round_id", type=int)
def invitations_send(round_id: int) -> None:
    """Text a round's queued invitations (again, e.g. after fixing the Twilio settings)."""
    survey_round = _round(round_id)
    try:
        queue_round(survey_round)
    except InvitationError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Queued: round {survey_round.id}'s invitations will go out {_when()}.")


@invitations.command("status")
@click.argument("round_id", type=int)
def invitations_status(round_id: int) -> None:
    """How a round's invitations stand (counts only: no numbers are shown)."""
    survey_round = _round(round_id)
    counts = status(survey_round)
    click.echo(f"Round {survey_round.id} ({survey_round.name}, {survey_round.tenant.slug}): "
               f"{counts['total']} invited")
    for label, key in (("waiting to be sent", "queued"), ("sent", "sent"),
                       ("reminded", "reminded"), ("not sent: Twilio refused", "failed"),
                       ("not sent: skipped", "skipped")):
        click.echo(f"  {label + ':':28} {counts[key]}")
    for reason, count in sorted(counts["errors"].items()):
        click.echo(f"    {reason}: {count}")
    click.echo(f"  {'numbers still held:':28} {counts['numbers_held']} (encrypted; deleted "
               "after the reminder, or when the round closes)")
