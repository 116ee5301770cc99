"""`chatsurvey report TENANT ROUND` and `chatsurvey demo-data`: reports from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from chatsurvey.columns import utcnow
from chatsurvey.councils.models import Tenant
from chatsurvey.extensions import db
from chatsurvey.rounds.models import SurveyRound

FORMATS = ("html", "pdf", "summary", "csv", "floip")


def _find_round(tenant: Tenant, which: str) -> SurveyRound:
    rounds = list(db.session.scalars(select(SurveyRound).where(
        SurveyRound.tenant_id == tenant.id).order_by(SurveyRound.closes_at)))
    for r in rounds:
        if which in (str(r.id), r.name):
            return r
    if which == "latest" and rounds:
        closed = [r for r in rounds if r.closes_at <= utcnow()]
        return (closed or rounds)[-1]
    names = ", ".join(f"{r.id} ({r.name})" for r in rounds) or "none"
    raise click.ClickException(f"no round {which!r} for {tenant.slug}; rounds: {names}")


@click.command("report")
@click.argument("tenant")
@click.argument("round_", metavar="ROUND")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="html", show_default=True)
@click.option("--out", type=click.Path(dir_okay=True, path_type=Path), required=True,
              help="File to write (for floip: a .zip, or a directory for the two files).")
@with_appcontext
def report_command(tenant: str, round_: str, fmt: str, out: Path) -> None:
    """Write a council's report for a round: staff HTML or PDF, the young people's
    summary, or anonymised raw data as CSV or a FLOIP Flow Results package.

    ROUND is a round id, its name, or "latest" (the most recent closed round).
    """
    from chatsurvey.reports import council_report, rules
    from chatsurvey.reports.exports import (
        DATA_FILE,
        ExportRefused,
        floip_package,
        floip_zip,
        raw_export,
        to_csv,
    )
    from chatsurvey.reports.models import Pledge

    found = db.session.scalars(select(Tenant).where(Tenant.slug == tenant)).first()
    if found is None:
        raise click.ClickException(f"no council {tenant!r}")
    survey_round = _find_round(found, round_)
    steps = ["read responses", "apply disclosure control", f"write {fmt}"]
    with click.progressbar(length=len(steps), label=f"{found.slug}: {survey_round.name}",
                           file=sys.stderr) as bar:
        if fmt in ("csv", "floip"):
            try:
                export = raw_export(found, survey_round, rules())
            except ExportRefused as exc:
                raise click.ClickException(str(exc)) from exc
            bar.update(2)
            if fmt == "csv":
                out.write_text(to_csv(export))
            elif out.suffix == ".zip":
                out.write_bytes(floip_zip(export))
            else:
                package, data = floip_package(export)
                out.mkdir(parents=True, exist_ok=True)
                (out / "datapackage.json").write_text(json.dumps(package, indent=2))
                (out / DATA_FILE).write_text(data)
            bar.update(1)
        else:
            pub = council_report(found, survey_round)
            bar.update(2)
            if fmt == "pdf":
                from chatsurvey.reports.render_pdf import render_pdf

                out.write_bytes(render_pdf(pub))
            elif fmt == "summary":
                from chatsurvey.reports.summary import render_summary

                pledges = db.session.scalars(select(Pledge).where(
                    Pledge.round_id == survey_round.id).order_by(Pledge.position, Pledge.id))
                out.write_text(render_summary(pub, list(pledges)))
            else:
                from chatsurvey.reports.render_html import render_staff

                out.write_text(render_staff(pub))
            bar.update(1)
    click.echo(f"wrote {out}")




@click.command("report-seal")
@with_appcontext
def seal_command() -> None:
    """Keep the final figures of every round sealed and not yet kept (the sweeper does it too)."""
    from chatsurvey.reports.snapshot import seal_due

    sealed = seal_due()
    click.echo(f"{len(sealed)} round{'' if len(sealed) == 1 else 's'} sealed"
               + (f": {', '.join(map(str, sealed))}" if sealed else ""))
