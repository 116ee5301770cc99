"""`chatsurvey rounds`: survey rounds, a council running a flow for a while."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from chatsurvey.cli.lookup import council
from chatsurvey.extensions import db
from chatsurvey.flows.local import LocalError, explain, pin_latest
from chatsurvey.flows.models import FlowVersion
from chatsurvey.flows.store import flow_store
from chatsurvey.rounds.models import CHANNELS, SurveyRound

rounds = AppGroup("rounds", help="Survey rounds: a council running a flow for a while.")


def _day(value: str) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(value), time(0, 0), tzinfo=UTC)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-30") from None


def public_url(path: str) -> str:
    """An absolute URL young people can open (PUBLIC_BASE_URL + path)."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def show_round(survey_round: SurveyRound) -> None:
    version = survey_round.flow_version
    state = "open" if survey_round.is_open() else "closed"
    click.echo(f"  round {survey_round.id}: {survey_round.name} — {version.flow_id} v"
               f"{version.version}, {survey_round.opens_at:%Y-%m-%d} to "
               f"{survey_round.closes_at:%Y-%m-%d} ({state}), "
               f"keyword {survey_round.keyword or '-'}, {', '.join(survey_round.channels)}")
    click.echo(f"    web chat: {public_url('/s/' + survey_round.link)}")


@rounds.command("add")
@click.argument("slug")
@click.option("--flow", "flow_id", required=True, help="The published flow, e.g. your-life.")
@click.option("--version", type=int, help="Its version (default: the latest).")
@click.option("--name", required=True, help="e.g. 'Autumn 2026'.")
@click.option("--opens", required=True, help="First day, e.g. 2026-11-30.")
@click.option("--closes", required=True, help="Day after the last, e.g. 2027-01-31.")
@click.option("--keyword", help="Word texted to start this round when a number runs several.")
@click.option("--channel", "channels", multiple=True, type=click.Choice(CHANNELS),
              help="Channels (default: web and sms).")
@click.option("--eligible", multiple=True, help="Young people who could take part: BAND=COUNT.")
def rounds_add(slug, flow_id, version, name, opens, closes, keyword, channels, eligible) -> None:
    """Start a survey round for council SLUG."""
    tenant = council(slug)
    query = select(FlowVersion).where(FlowVersion.flow_id == flow_id)
    query = query.where(FlowVersion.version == version) if version else query.order_by(
        FlowVersion.version.desc())
    flow_version = db.session.scalars(query.limit(1)).first()
    if flow_version is None:
        raise click.ClickException(f"flow {flow_id!r} is not published (see `chatsurvey flows "
                                   "publish`)")
    if not flow_store().get(flow_version.flow_id, flow_version.version).requires_consent:
        raise click.ClickException(
            f"flow {flow_id!r} does not ask for consent first (requires_consent); a round must"
            " start with one that does, such as the entry flow your-life")
    counts = {}
    for item in eligible:
        band, _, count = item.partition("=")
        if not count.isdigit():
            raise click.BadParameter(f"{item!r} is not BAND=COUNT", param_hint="--eligible")
        counts[band] = int(count)
    survey_round = SurveyRound(tenant=tenant, name=name, flow_version=flow_version,
                               opens_at=_day(opens), closes_at=_day(closes),
                               keyword=keyword.upper() if keyword else None,
                               channels=list(channels or CHANNELS), eligible=counts)
    if survey_round.closes_at <= survey_round.opens_at:
        raise click.BadParameter("the round must close after it opens", param_hint="--closes")
    try:
        pin_latest(survey_round)
    except LocalError as exc:
        raise click.ClickException("the council's local questions do not fit this survey: "
                                   + explain(exc)) from None
    db.session.add(survey_round)
    db.session.commit()
    show_round(survey_round)


@rounds.command("list")
@click.argument("slug", required=False)
def rounds_list(slug: str | None) -> None:
    """List survey rounds (of one council, or all)."""
    query = select(SurveyRound).order_by(SurveyRound.id)
    if slug:
        query = query.where(SurveyRound.tenant_id == council(slug).id)
    for survey_round in db.session.scalars(query):
        click.echo(survey_round.tenant.slug)
        show_round(survey_round)
