"""Reports: each council's Bright Spots, compared with other councils and young people in general.

The pipeline is ``compute`` (exact counts from the response store) ->
``publish`` (disclosure control, the only door to any output) -> a renderer
(``render_html``, ``render_pdf``, ``summary``) or an export (``exports``:
anonymised raw data as CSV or a FLOIP Flow Results package, with their own
k-anonymity rule). The programme view across councils is ``programme``.

May import: responses, rounds, councils and flows (reading their tables), columns,
extensions (the database only). Never Redis, conversations in progress, a channel,
the admin, the command line or `workers`.

Method and rules, for people: docs/reports.md.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from chatsurvey.councils.models import Tenant
from chatsurvey.reports.model import Published
from chatsurvey.reports.rules import Rules, from_config
from chatsurvey.rounds.models import SurveyRound


def rules() -> Rules:
    """The disclosure-control and comparison rules the app is configured with."""
    return from_config(current_app.config)


def council_report(tenant: Tenant, survey_round: SurveyRound,
                   now: datetime | None = None) -> Published:
    """The council's report for a round, as any output may show it."""
    from chatsurvey.reports.compute import build_report
    from chatsurvey.reports.publish import publish

    return publish(build_report(tenant, survey_round, now=now), rules())


__all__ = ["Published", "Rules", "council_report", "rules"]
