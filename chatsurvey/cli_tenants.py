"""`chatsurvey tenants`, `rounds` and `flows publish`: set up councils from the command line."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from .channels.webchat import ORIGIN
from .crypto import normalise_number
from .engine import FlowError
from .extensions import db
from .flowstore import flow_store
from .models import CHANNELS, COUNTRIES, FlowVersion, SmsNumber, SurveyRound, Tenant

tenants = AppGroup("tenants", help="Councils: add, list and show.")
rounds = AppGroup("rounds", help="Survey rounds: a council running a flow for a while.")


def _tenant(slug: str) -> Tenant:
    tenant = db.session.scalars(select(Tenant).where(Tenant.slug == slug)).first()
    if tenant is None:
        raise click.ClickException(f"no council called {slug!r} (see `chatsurvey tenants list`)")
    return tenant


def _numbers(values: tuple[str, ...], rate: int) -> list[SmsNumber]:
    out = []
    for raw in values:
        try:
            out.append(SmsNumber(number=normalise_number(raw), per_second=rate))
        except ValueError:
            raise click.BadParameter(f"{raw!r} is not a phone number", param_hint="--number"
                                     ) from None
    return out


@tenants.command("add")
@click.argument("slug")
@click.option("--name", required=True, help="The council's name, e.g. 'Powys County Council'.")
@click.option("--country", type=click.Choice(COUNTRIES), required=True,
              help="Picks the default languages and support contacts.")
@click.option("--number", "numbers", multiple=True, help="An SMS number (repeat for more).")
@click.option("--rate", default=10, show_default=True, help="Messages per second per number.")
@click.option("--twilio-sid", help="Twilio account SID.")
@click.option("--twilio-token", envvar="TWILIO_AUTH_TOKEN",
              help="Twilio auth token (or TWILIO_AUTH_TOKEN; asked for if a SID is given).")
@click.option("--origin", "origins", multiple=True,
              help="A site allowed to embed the chat widget, e.g. https://www.powys.gov.uk.")
@click.option("--locale", "locales", multiple=True, help="Languages offered, default first.")
@click.option("--help-text", help="Reply to an SMS HELP: who runs the survey, how to reach them.")
@click.option("--display-name", help="Name shown to young people (default: the name).")
@click.option("--colour", help="Button colour, e.g. #005ea5.")
@click.option("--logo", help="URL of the council's logo.")
def tenants_add(slug, name, country, numbers, rate, twilio_sid, twilio_token, origins, locales,
                help_text, display_name, colour, logo) -> None:
    """Add a council called SLUG."""
    if db.session.scalars(select(Tenant).where(Tenant.slug == slug)).first():
        raise click.ClickException(f"a council called {slug!r} already exists")
    for origin in origins:
        if not ORIGIN.fullmatch(origin.strip().rstrip("/").lower()):
            raise click.BadParameter(
                f"{origin!r} is not a site address like https://www.council.gov.uk (https, or "
                "http only on localhost)", param_hint="--origin")
    if twilio_sid and not twilio_token:
        twilio_token = click.prompt("Twilio auth token", hide_input=True)
    branding = {k: v for k, v in (("display_name", display_name), ("colour", colour),
                                  ("logo_url", logo)) if v}
    tenant = Tenant(slug=slug, name=name, country=country, locales=list(locales),
                    twilio_account_sid=twilio_sid, twilio_auth_token=twilio_token,
                    web_origins=list(origins), help_text=help_text, branding=branding)
    tenant.numbers.extend(_numbers(numbers, rate))
    db.session.add(tenant)
    db.session.commit()
    click.echo(f"Added {slug}: {name} ({country}).")


@tenants.command("list")
def tenants_list() -> None:
    """List the councils."""
    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.slug)):
        numbers = ", ".join(n.number for n in tenant.numbers) or "no SMS number"
        open_rounds = sum(r.is_open() for r in tenant.rounds)
        click.echo(f"{tenant.slug:20} {tenant.name:40} {tenant.country:9} {numbers}"
                   f"  ({open_rounds} open round{'s' if open_rounds != 1 else ''})")


@tenants.command("show")
@click.argument("slug")
def tenants_show(slug: str) -> None:
    """Show one council (secrets are never printed)."""
    tenant = _tenant(slug)
    rows = [
        ("Name", tenant.name), ("Shown as", tenant.display_name), ("Country", tenant.country),
        ("Languages", ", ".join(tenant.offered_locales())),
        ("SMS numbers", ", ".join(f"{n.number} ({n.per_second}/s)" for n in tenant.numbers)
         or "none"),
        ("Twilio", f"{tenant.twilio_account_sid or 'not set'}, auth token "
                   f"{'set' if tenant.twilio_auth_token else 'not set'}"),
        ("Widget origins", ", ".join(tenant.web_origins) or "none"),
        ("SMS help text", tenant.help_text or "not set"),
        ("Branding", ", ".join(f"{k}={v}" for k, v in sorted(tenant.branding.items())) or "none"),
    ]
    for label, value in rows:
        click.echo(f"{label + ':':16} {value}")
    for survey_round in tenant.rounds:
        _show_round(survey_round)


def _day(value: str) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(value), time(0, 0), tzinfo=UTC)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-30") from None


def public_url(path: str) -> str:
    """An absolute URL young people can open (PUBLIC_BASE_URL + path)."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def _show_round(survey_round: SurveyRound) -> None:
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
    tenant = _tenant(slug)
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
    db.session.add(survey_round)
    db.session.commit()
    _show_round(survey_round)


@rounds.command("list")
@click.argument("slug", required=False)
def rounds_list(slug: str | None) -> None:
    """List survey rounds (of one council, or all)."""
    query = select(SurveyRound).order_by(SurveyRound.id)
    if slug:
        query = query.where(SurveyRound.tenant_id == _tenant(slug).id)
    for survey_round in db.session.scalars(query):
        click.echo(survey_round.tenant.slug)
        _show_round(survey_round)


def publish_command(directory: str | None) -> None:
    """Publish every flow in a directory (default: the flows directory)."""
    path = directory or os.environ.get("CHATSURVEY_FLOWS_DIR") or current_app.config["FLOWS_DIR"]
    try:
        versions = flow_store().publish_directory(path)
    except FlowError as exc:
        db.session.rollback()
        raise click.ClickException("not published, the flows have errors:\n" + str(exc)
                                   ) from None
    db.session.commit()
    for row in versions:
        click.echo(f"{row.flow_id} v{row.version}")
