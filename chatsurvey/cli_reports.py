"""`chatsurvey report TENANT ROUND` and `chatsurvey demo-data`: reports from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from .extensions import db
from .models import SurveyRound, Tenant, utcnow

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
    from .models_reports import Pledge
    from .reports import council_report, rules
    from .reports.exports import ExportRefused, floip_package, floip_zip, raw_export, to_csv

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
                (out / "flow-results-data.csv").write_text(data)
            bar.update(1)
        else:
            pub = council_report(found, survey_round)
            bar.update(2)
            if fmt == "pdf":
                from .reports.render_pdf import render_pdf

                out.write_bytes(render_pdf(pub))
            elif fmt == "summary":
                from .reports.summary import render_summary

                pledges = db.session.scalars(select(Pledge).where(
                    Pledge.round_id == survey_round.id).order_by(Pledge.position, Pledge.id))
                out.write_text(render_summary(pub, list(pledges)))
            else:
                from .reports.render_html import render_staff

                out.write_text(render_staff(pub))
            bar.update(1)
    click.echo(f"wrote {out}")


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
    from .demo_data import generate

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
