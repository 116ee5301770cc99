"""Inviting young people by SMS or WhatsApp from the admin: upload a CSV of numbers, watch
the sending.

The upload goes through `chatsurvey.invitations.actions.add_invitations` (the same
checks, report, audit entry and queueing as `chatsurvey invitations add`: each
refused line is named by its line number and reason, never by its number), then a
worker texts them.
Numbers are kept only encrypted and only until nothing more will be sent to them;
the page shows how many are still held. The file itself is never stored, logged
or audited; the audit entry has the counts only.
"""

from __future__ import annotations

from flask import flash, render_template, request

from chatsurvey.admin.blueprint import bp, editors
from chatsurvey.admin.scoping import for_tenant
from chatsurvey.invitations.actions import add_invitations, status
from chatsurvey.invitations.schedule import InvitationError, check_round
from chatsurvey.rounds.models import SurveyRound

SENDING = ("sms", "whatsapp")
NAMES = {"sms": "SMS", "whatsapp": "WhatsApp"}


def sending_channels(survey_round: SurveyRound) -> list[str]:
    """The ways this round's invitations can go: SMS, WhatsApp, or both."""
    return [c for c in SENDING if c in (survey_round.channels or ())] or ["sms"]


def progress(survey_round: SurveyRound) -> dict:
    """Counts for the progress bar (no numbers, no hashes), and what stops sending."""
    counts = status(survey_round)
    done = counts["sent"] + counts["failed"] + counts["skipped"]
    counts["done"] = done
    counts["percent"] = round(100 * done / counts["total"]) if counts["total"] else 0
    problems = []
    for channel in sending_channels(survey_round):
        try:
            check_round(survey_round, channel)
        except InvitationError as exc:
            problems.append(str(exc))
    counts["problem"] = " ".join(f"{p[0].upper()}{p[1:]}." for p in problems) or None
    return counts


@bp.route("/rounds/<int:round_id>/invitations", methods=["GET", "POST"])
@editors
def round_invitations(round_id: int):
    survey_round = for_tenant(SurveyRound, round_id)
    report = None
    error = None
    channels = sending_channels(survey_round)
    channel = request.form.get("channel", channels[0])
    if channel not in channels:
        channel = channels[0]
    if request.method == "POST":
        upload = request.files.get("csv")
        text = ""
        if upload is not None and upload.filename:
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                error = "The file is not a CSV saved as UTF-8 text. Save it as CSV and try again."
        else:
            text = request.form.get("numbers", "")
        if not error and not text.strip():
            error = "Choose a CSV file (or paste the numbers), then press Upload."
        if not error:
            try:
                report = add_invitations(survey_round, text, send=True, channel=channel)
            except InvitationError as exc:
                error = str(exc).replace(f"round {survey_round.id}", "this round")
        del text
        if report is not None and report.accepted:
            how = "sent on WhatsApp" if channel == "whatsapp" else "texted"
            flash(f"{report.accepted} invitation(s) will be {how} by a worker, outside "
                  "quiet hours.", "success")
    by = " or ".join(NAMES[c] for c in channels)
    return render_template("admin/invitations.html", survey_round=survey_round,
                           report=report.summary() if report else None, error=error,
                           counts=progress(survey_round), channels=channels,
                           channel=channel, by=by), 400 if error else 200
