"""Programme analysts review a round's unusual days and may discard a burst of fake responses.

See chatsurvey/responses/bursts.py for what counts as unusual and what is kept to
find it (the day, while the round is open, and nothing finer). Council staff never
see this page: a day's count, watched over a round, is the analysts' to judge.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from chatsurvey.admin.blueprint import analyst_only, bp
from chatsurvey.admin.scoping import for_tenant
from chatsurvey.extensions import db
from chatsurvey.responses.bursts import DiscardRefused, bursts, discard_day
from chatsurvey.rounds.models import SurveyRound

CHANNEL_NAMES = {"web": "web chat", "sms": "SMS", "whatsapp": "WhatsApp"}


@bp.route("/rounds/<int:round_id>/bursts", methods=["GET", "POST"])
@analyst_only
def round_bursts(round_id: int):
    """The round's unusual days; POST discards one (day, channel) after a confirmation."""
    survey_round = for_tenant(SurveyRound, round_id)
    error, status = None, 200
    if request.method == "POST":
        form = request.form
        try:
            if not form.get("confirm"):
                raise DiscardRefused("Tick the box to confirm you have looked at this day.")
            gone = discard_day(survey_round, form.get("day", ""), form.get("channel", ""))
        except DiscardRefused as refused:
            db.session.rollback()
            error, status = refused.message, refused.status
        else:
            db.session.commit()
            flash(f"{gone} answers were discarded.", "success")
            return redirect(url_for("admin.round_bursts", round_id=survey_round.id))
    return render_template("admin/bursts.html", survey_round=survey_round,
                           bursts=bursts(survey_round), channel_names=CHANNEL_NAMES,
                           error=error), status
