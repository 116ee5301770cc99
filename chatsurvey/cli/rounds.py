"""`chatsurvey rounds`: survey rounds, a council running a flow for a while.

Every change goes through `chatsurvey.rounds.actions`, with the admin's rules.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from chatsurvey.cli.lookup import council
from chatsurvey.extensions import db
from chatsurvey.rounds.actions import (
    RoundRefused,
    RoundSettings,
    close_now,
    create_round,
    extend,
    find_flow,
    move_to_latest,
    open_now,
)
from chatsurvey.rounds.models import CHANNELS, DEFAULT_CHANNELS, SurveyRound
from chatsurvey.rounds.moves import pending

rounds = AppGroup("rounds", help="Survey rounds: a council running a flow for a while.")

OPTIONS = {"name": "--name", "opens": "--opens", "closes": "--closes", "channel_web": "--channel",
           "keyword": "--keyword", "flow_version_id": "--flow",
           "confirm_minimum": "--below-minimum"}
"""Which option to name when the shared validation refuses a setting."""


def refused(problems: dict[str, str]) -> click.UsageError:
    """The actions' problems as one usage error, each line naming its option."""
    def option(field: str) -> str:
        return "--eligible" if field.startswith("eligible_") else OPTIONS.get(field, field)

    return click.UsageError("\n".join(f"{option(f)}: {p}" for f, p in problems.items()))


def public_url(path: str) -> str:
    """An absolute URL young people can open (PUBLIC_BASE_URL + path)."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def show_round(survey_round: SurveyRound) -> None:
    version = survey_round.flow_version
    click.echo(f"  round {survey_round.id}: {survey_round.name} — {version.flow_id} v"
               f"{version.version}, {survey_round.opens_at:%Y-%m-%d} to "
               f"{survey_round.closes_at:%Y-%m-%d} ({survey_round.status_label()}), "
               f"keyword {survey_round.keyword or '-'}, {', '.join(survey_round.channels)}")
    click.echo(f"    web chat: {public_url('/s/' + survey_round.link)}")


def _round(round_id: int) -> SurveyRound:
    survey_round = db.session.get(SurveyRound, round_id)
    if survey_round is None:
        raise click.ClickException(f"no round {round_id} (see `chatsurvey rounds list`)")
    return survey_round


def _eligible(items: tuple[str, ...]) -> dict[str, str]:
    counts = {}
    for item in items:
        band, sign, count = item.partition("=")
        if not sign:
            raise click.BadParameter(f"{item!r} is not BAND=COUNT, like 11-18=120",
                                     param_hint="--eligible")
        counts[band.strip()] = count
    return counts


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
@click.option("--below-minimum", is_flag=True,
              help="Set the round up even though fewer young people could take part than the "
                   "programme's minimum.")
@click.option("--contacts", help="Local support contacts, printed with the links.")
def rounds_add(slug, flow_id, version, name, opens, closes, keyword, channels, eligible,
               below_minimum, contacts) -> None:
    """Set up a survey round for council SLUG (checked as the admin's round form checks it)."""
    tenant = council(slug)
    flow_version = find_flow(flow_id, version)
    if flow_version is None:
        raise click.ClickException(f"flow {flow_id!r} is not published (see `chatsurvey flows "
                                   "publish`)")
    settings = RoundSettings(name=name, opens=opens, closes=closes,
                             channels=tuple(channels or DEFAULT_CHANNELS), keyword=keyword or "",
                             eligible=_eligible(eligible), support_contacts=contacts,
                             below_minimum_ok=below_minimum)
    try:
        survey_round = create_round(tenant, flow_version, settings)
    except RoundRefused as problem:
        for warning in problem.warnings:
            click.echo(warning, err=True)
        raise refused(problem.problems) from None
    show_round(survey_round)


@rounds.command("list")
@click.argument("slug", required=False)
def rounds_list(slug: str | None) -> None:
    """List survey rounds (of one council, or all): Scheduled, Open or Closed."""
    query = select(SurveyRound).order_by(SurveyRound.id)
    if slug:
        query = query.where(SurveyRound.tenant_id == council(slug).id)
    for survey_round in db.session.scalars(query):
        click.echo(survey_round.tenant.slug)
        show_round(survey_round)


@rounds.command("open")
@click.argument("round_id", type=int)
def rounds_open(round_id: int) -> None:
    """Open a scheduled round now."""
    try:
        survey_round = open_now(_round(round_id))
    except RoundRefused as problem:
        raise click.ClickException(str(problem)) from None
    show_round(survey_round)


@rounds.command("close")
@click.argument("round_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask first.")
def rounds_close(round_id: int, yes: bool) -> None:
    """Close a round now: nobody new can start, and its report becomes final."""
    survey_round = _round(round_id)
    if not yes:
        click.confirm(f"Close {survey_round.name} ({survey_round.tenant.slug}) now? Its report "
                      "becomes final and it cannot open again", abort=True)
    try:
        close_now(survey_round)
    except RoundRefused as problem:
        raise click.ClickException(str(problem)) from None
    show_round(survey_round)


@rounds.command("extend")
@click.argument("round_id", type=int)
@click.option("--closes", required=True, help="The new day after the last, e.g. 2027-02-28.")
def rounds_extend(round_id: int, closes: str) -> None:
    """Give an open or scheduled round more time."""
    try:
        survey_round = extend(_round(round_id), closes)
    except RoundRefused as problem:
        raise refused(problem.problems) from None
    show_round(survey_round)


@rounds.command("move")
@click.argument("round_id", type=int)
@click.option("--diff", "show_diff", is_flag=True, help="Print the changes in full.")
@click.option("--yes", is_flag=True, help="Do not ask first.")
@click.option("--accept-incomparable", is_flag=True,
              help="Move even though core questions changed (results will not be comparable "
                   "with earlier rounds).")
def rounds_move(round_id: int, show_diff: bool, yes: bool, accept_incomparable: bool) -> None:
    """Move a round to the latest published flow and local questions.

    Conversations already under way keep the version they started on.
    """
    survey_round = _round(round_id)
    move = pending(survey_round)
    if move is None:
        click.echo(f"{survey_round.name} has nothing to move to: it is closed or already on "
                   "the latest versions.")
        return
    click.echo(f"{survey_round.name}: {move.summary()}")
    for change in move.changes:
        click.echo(f"  changed: {change.title}")
        for _kind, line in change.lines if show_diff else ():
            click.echo(f"    {line}")
    for line in move.core_changed:
        click.echo(f"  core question: {line}", err=True)
    if move.core_changed:
        click.echo("Results for these core questions will not be comparable with earlier "
                   "rounds.", err=True)
    if not yes:
        click.confirm("Move the round? Conversations already under way keep their version",
                      abort=True)
    try:
        move_to_latest(survey_round, move.target, accept_incomparable=accept_incomparable)
    except RoundRefused as problem:
        raise click.ClickException(str(problem).replace("Say that you understand",
                                                        "Add --accept-incomparable")) from None
    show_round(survey_round)
