"""The developer tools' commands: `demo`, `demo-data` and `phone` (not shipped in the wheel)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import ScriptInfo, with_appcontext
from sqlalchemy import select

from chatsurvey import create_app
from chatsurvey.councils.models import SmsNumber, Tenant
from chatsurvey.crypto import normalise_number
from chatsurvey.extensions import db


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int,
              help="The web server's port (`make demo PORT=5050`).")
def demo(host: str, port: int) -> None:
    """Run chatsurvey locally with an embedded Redis and SQLite (not for production)."""
    from devtools.demo import run_demo

    run_demo(host, port)


@click.command("demo-data")
@click.option("--councils", default=12, show_default=True, help="How many councils.")
@click.option("--seed", default=7, show_default=True, help="Same seed, same data.")
@click.option("--responses", type=int, default=None,
              help="Aim for about this many responses in all (scales every council).")
@click.option("--open-rounds", default=1, show_default=True,
              help="Councils that also get a round still open.")
@click.option("--prefix", default="demo", show_default=True,
              help="Start of every synthetic council's slug (a second set needs another).")
@click.option("--truth", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write what was planted (true rates, better/worse councils) as JSON here.")
@with_appcontext
def demo_data_command(councils: int, seed: int, responses: int | None, open_rounds: int,
                      prefix: str, truth: Path | None) -> None:
    """Fill the response store with synthetic councils and responses, for trying reports."""
    from devtools.demo_data import generate

    taken = db.session.scalars(select(Tenant.slug).where(
        Tenant.slug.startswith(f"{prefix}-"))).first()
    if taken is not None:
        raise click.ClickException(f"synthetic councils are already there ({taken}); use"
                                   " another --prefix to add a second set")
    with click.progressbar(length=councils, label="councils",
                           file=sys.stderr) as bar:
        made = generate(councils=councils, seed=seed, responses=responses,
                        open_rounds=open_rounds, prefix=prefix, progress=bar.update)
    if truth is not None:
        truth.write_text(made.to_json())
    click.echo(f"{len(made.councils)} councils, {made.responses:,} responses"
               f" (first: {made.councils[0].slug})")


@click.command("phone")
@click.option("--to", "to", required=True, help="The council's SMS number.")
@click.option("--from", "sender", help="Your pretend number (default: a made-up 07700 900xxx).")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True,
              help="Where chatsurvey is running.")
def phone(to: str, sender: str | None, url: str) -> None:
    """Text a council's number from the terminal, as Twilio would deliver it (Ctrl-D leaves).

    Each line is signed with the council's auth token (read from the database,
    so run it with the server's CHATSURVEY_SECRET_KEY or ENCRYPTION_KEYS) and
    posted to the running server's /sms/inbound; the reply is printed.
    """
    from devtools.phone import Phone, made_up_number, play

    try:
        number = normalise_number(to)
        sender = normalise_number(sender) if sender else made_up_number()
    except ValueError:
        raise click.BadParameter("not a phone number") from None
    with _app_for_phone().app_context():
        row = db.session.scalars(select(SmsNumber).where(SmsNumber.number == number)).first()
        if row is None:
            raise click.ClickException(f"{number} is not a council's number (see `chatsurvey "
                                       "tenants list`)")
        tenant = row.tenant
        try:
            token = tenant.twilio_auth_token
        except ValueError:
            raise click.ClickException(
                f"cannot read {tenant.slug}'s auth token: run this with the server's "
                "CHATSURVEY_SECRET_KEY (or ENCRYPTION_KEYS)") from None
        if not token:
            raise click.ClickException(f"{tenant.slug} has no Twilio auth token to sign with")
        account = tenant.twilio_account_sid
    play(Phone(url, number, sender, token, account), read=input, echo=click.echo)


def _app_for_phone() -> Flask:
    """The app whose database holds the token. The phone never uses Redis, so a missing
    REDIS_URL (the demo's Redis is private to the demo process) is no reason to stop."""
    info = click.get_current_context().ensure_object(ScriptInfo)
    try:
        return info.load_app()
    except RuntimeError as exc:
        if "REDIS_URL" not in str(exc):
            raise click.ClickException(str(exc)) from None

    try:
        return create_app({"REDIS_URL": "redis://127.0.0.1:6379/0"})
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None


commands = [demo, demo_data_command, phone]
"""What the developer tools add to the `chatsurvey` command."""
