"""`chatsurvey tenants`: add, list and show councils from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from chatsurvey.cli.lookup import council
from chatsurvey.cli.rounds import show_round
from chatsurvey.councils.actions import CouncilRefused, CouncilSettings, add_council, set_logo
from chatsurvey.councils.logo import LogoRefused, redraw
from chatsurvey.councils.models import COUNTRIES, Tenant
from chatsurvey.extensions import db
from chatsurvey.invitations import whatsapp
from chatsurvey.rounds.models import SurveyRound

tenants = AppGroup("tenants", help="Councils: add, list and show.")

OPTIONS = {"slug": "SLUG", "name": "--name", "display_name": "--display-name",
           "country": "--country", "origins": "--origin", "colour": "--colour",
           "twilio_sid": "--twilio-sid", "numbers": "--number", "locales": "--locale"}
"""Which option to name when the shared validation refuses a setting."""


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
@click.option("--locale", "locales", multiple=True,
              help="A language offered, default first: en, cy, gd, ar, fa, ps, prs, ti, ckb,"
                   " vi or sq (chatsurvey.engine.languages).")
@click.option("--help-text", help="Reply to an SMS HELP: who runs the survey, how to reach them.")
@click.option("--display-name", help="Name shown to young people (default: the name).")
@click.option("--colour", help="Button colour, e.g. #005ea5.")
@click.option("--logo", metavar="FILE",
              help="The council's logo: a PNG or JPEG file on this computer, up to 1 MB.")
@click.option("--keep-texts-at-twilio", is_flag=True,
              help="Keep finished SMS threads in the council's Twilio account (by default they "
                   "are deleted a few minutes after each conversation ends).")
def tenants_add(slug, name, country, numbers, rate, twilio_sid, twilio_token, origins, locales,
                help_text, display_name, colour, logo, keep_texts_at_twilio) -> None:
    """Add a council called SLUG (checked as the admin's council form checks it)."""
    if twilio_sid and not twilio_token:
        twilio_token = click.prompt("Twilio auth token", hide_input=True)
    picture = _logo_file(logo) if logo else None
    settings = CouncilSettings(
        name=name, display_name=display_name or "", colour=colour or "",
        help_text=help_text or "", origins=origins, locales=locales, country=country,
        numbers=numbers, per_second=rate, twilio_sid=twilio_sid, twilio_token=twilio_token,
        delete_sms_from_provider=not keep_texts_at_twilio)
    try:
        tenant = add_council(slug, settings)
    except CouncilRefused as refused:
        raise click.UsageError("\n".join(f"{OPTIONS.get(field, field)}: {problem}"
                                          for field, problem in refused.problems.items())
                               ) from None
    if picture is not None:
        set_logo(tenant, picture)
    click.echo(f"Added {slug}: {name} ({country}).")


def _logo_file(path: str) -> bytes:
    """The bytes of --logo FILE, checked before anything is written."""
    if "://" in path or path.startswith("data:"):
        raise click.UsageError("--logo: give a PNG or JPEG file on this computer. chatsurvey "
                               "never shows a logo from another site.")
    try:
        with open(path, "rb") as file:
            data = file.read(2 * 1024 * 1024)
    except OSError as error:
        raise click.UsageError(f"--logo: cannot read {path}: {error.strerror}") from None
    try:
        redraw(data)
    except LogoRefused as refused:
        raise click.UsageError(f"--logo: {refused}") from None
    return data


@tenants.command("list")
def tenants_list() -> None:
    """List the councils."""
    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.slug)):
        numbers = ", ".join(n.number for n in tenant.numbers) or "no SMS number"
        open_rounds = sum(r.is_open() for r in db.session.scalars(
            select(SurveyRound).where(SurveyRound.tenant_id == tenant.id)))
        click.echo(f"{tenant.slug:20} {tenant.name:40} {tenant.country:9} {numbers}"
                   f"  ({open_rounds} open round{'s' if open_rounds != 1 else ''})")


@tenants.command("show")
@click.argument("slug")
def tenants_show(slug: str) -> None:
    """Show one council (secrets are never printed)."""
    tenant = council(slug)
    rows = [
        ("Name", tenant.name), ("Shown as", tenant.display_name), ("Country", tenant.country),
        ("Languages", ", ".join(tenant.offered_locales())),
        ("SMS numbers", ", ".join(f"{n.number} ({n.per_second}/s)" for n in tenant.numbers)
         or "none"),
        ("Twilio", f"{tenant.twilio_account_sid or 'not set'}, auth token "
                   f"{'set' if tenant.has_auth_token() else 'not set'}"),
        ("Texts at Twilio", "deleted after each conversation" if tenant.delete_sms_from_provider
         else "kept"),
        ("Widget origins", ", ".join(tenant.web_origins) or "none"),
        ("WhatsApp", _whatsapp(tenant)),
        ("SMS help text", tenant.help_text or "not set"),
        ("Branding", ", ".join(f"{k}={v}" for k, v in sorted(tenant.branding.items())) or "none"),
    ]
    for label, value in rows:
        click.echo(f"{label + ':':16} {value}")
    for survey_round in db.session.scalars(select(SurveyRound).where(
            SurveyRound.tenant_id == tenant.id).order_by(SurveyRound.id)):
        show_round(survey_round)


def _whatsapp(tenant: Tenant) -> str:
    sender = whatsapp.sending_number(tenant)
    kinds = ", ".join(f"{k} {v}" for k, v in sorted((tenant.whatsapp_templates or {}).items()))
    return (f"sender {sender.number if sender else 'not set'}; templates: "
            f"{kinds or 'none'}")


@tenants.command("whatsapp")
@click.argument("slug")
@click.option("--sender", help="Which of the council's numbers is its WhatsApp sender; '' "
              "means none.")
@click.option("--invite", help="Content SID (HX...) of the approved invitation template; '' "
              "removes it.")
@click.option("--reminder", help="Content SID (HX...) of the approved reminder template.")
def tenants_whatsapp(slug: str, sender: str | None, invite: str | None,
                     reminder: str | None) -> None:
    """Set up WhatsApp for a council: its sender and approved templates (docs/whatsapp.md).

    The same action, checks and audit entry as the admin's WhatsApp page for the council.
    """
    tenant = council(slug)
    templates = {k: v for k, v in (("invite", invite), ("reminder", reminder)) if v is not None}
    try:
        whatsapp.set_up(tenant, sender, templates)
    except whatsapp.SetUpRefused as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{tenant.slug} WhatsApp: {_whatsapp(tenant)}")
    if whatsapp.not_ready(tenant):
        click.echo(f"{whatsapp.not_ready(tenant)}.")
