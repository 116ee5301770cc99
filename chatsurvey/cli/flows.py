"""`chatsurvey flows check|publish`, `simulate` and `chat`: tools for people who write flows.

Checking, simulating and chatting need no database or Redis, so they work the
moment the package is installed (``flows check --as-council`` reads the
council and the published flows from the database, as the admin does)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, ScriptInfo

from chatsurvey import config as defaults
from chatsurvey.cli.lookup import council
from chatsurvey.engine import (
    Event,
    FlowError,
    FlowLibrary,
    Options,
    Reply,
    Resume,
    Text,
    advance,
    resume_from,
    start,
)
from chatsurvey.engine.compile import load_document
from chatsurvey.engine.library import flow_files
from chatsurvey.engine.lint import CheckResult, check_paths
from chatsurvey.engine.pretty import format_event, format_reply
from chatsurvey.engine.problems import ERROR, INFO, WARNING
from chatsurvey.extensions import db
from chatsurvey.flows.local import check_local
from chatsurvey.flows.publish import publish_directory


@click.group(cls=AppGroup)
def flows() -> None:
    """Tools for people who write flows."""


def _summary(report) -> list[str]:
    lines = []
    if report.reading.get("measured"):
        r = report.reading
        target = f" at or below {r['target']}" if r["target"] else ""
        lines.append(f"  reading age: {r['at_or_below_target']} of {r['measured']} English prose"
                     f" messages{target} (average {r['average']:g}, highest {r['highest']:g})")
    if report.sms.get("messages"):
        s = report.sms
        lines.append(f"  SMS: {round(100 * s['one_segment_share'])}% of {s['messages']} messages"
                     f" fit one segment (most: {s['max_segments']})")
    for locale, t in report.translations.items():
        review = f", {t['fuzzy']} awaiting review" if t["fuzzy"] else ""
        lines.append(f"  {locale}: {round(100 * t['complete'])}% translated"
                     f" ({t['translated'] + t['fuzzy']} of {t['total']}{review})")
    return lines


def print_check(result: CheckResult, verbose: bool) -> None:
    """Readable `flows check` output."""
    for problem in result.problems:
        click.echo(str(problem))
    for report in result.reports:
        title = f' "{report.title}"' if report.title else ""
        version = f" v{report.version}" if report.version else ""
        click.echo(f"{report.source}: {report.flow_id}{version}{title}")
        for problem in report.problems:
            if problem.level == INFO:
                click.echo(f"  {problem.message}")
        for line in _summary(report):
            click.echo(line)
        for problem in report.problems:
            if problem.level == ERROR or (problem.level == WARNING and verbose):
                click.echo("  " + str(problem))
        hidden = sum(1 for p in report.problems if p.level == WARNING) if not verbose else 0
        if hidden:
            click.echo(f"  ({hidden} warning{'s' if hidden != 1 else ''}; -v shows them)")
    errors, warnings = result.count(ERROR), result.count(WARNING)
    click.echo(f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning"
               f"{'s' if warnings != 1 else ''} in {len(result.reports)} flows")


def library_dirs(paths: Iterable[str], named: Iterable[str] = ()) -> list[Path]:
    """Where flows entered by the ones named come from: ``--library`` directories, else
    each named file's own directory and the flows directory (CHATSURVEY_FLOWS_DIR)."""
    given = [Path(p) for p in named]
    if given:
        return given
    own = [Path(p).parent for p in paths if Path(p).is_file()]
    default = Path(os.environ.get("CHATSURVEY_FLOWS_DIR") or defaults.FLOWS_DIR)
    return list(dict.fromkeys([*own, default]))


MISSING_HINT = ("  A flow checked on its own takes the flows it enters (such as support) from"
                " {where}, and none there has that id. Name the directory that has them"
                " with --library DIR (the programme's are in flows/).")


@flows.command("check", with_appcontext=False)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--locales", type=click.Path(file_okay=False), help="Catalogue directory"
              " (default: the locales/ directory next to the flows).")
@click.option("--library", "library", multiple=True, type=click.Path(file_okay=False),
              help="Where flows the checked ones enter come from (default: their own "
                   "directory and flows/). They are not checked themselves.")
@click.option("--as-council", "as_council", metavar="SLUG",
              help="Check local questions as the council's editor does (its rules, against "
                   "the published flows); a programme flow is refused, as the admin refuses it.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("-v", "--verbose", is_flag=True, help="Show every warning.")
def flows_check(paths: tuple[str, ...], locales: str | None, library: tuple[str, ...],
                as_council: str | None, as_json: bool, verbose: bool) -> None:
    """Check flows: schema, structure, translations, SMS length and reading age.

    A flow named on its own is checked with the flows it enters (support,
    contacts, closing) read from its own directory and flows/ (or --library).
    """
    if as_council:
        app = click.get_current_context().ensure_object(ScriptInfo).load_app()
        with app.app_context():
            sys.exit(check_as_council(paths, as_council, verbose))
    shared = library_dirs(paths, library)
    result = check_paths(paths, locales, shared)
    if as_json:
        click.echo(json.dumps({
            "errors": result.count(ERROR), "warnings": result.count(WARNING),
            "problems": [p.as_dict() for p in result.problems],
            "flows": [r.as_dict() for r in result.reports],
        }, indent=2, ensure_ascii=False))
    else:
        print_check(result, verbose)
        missing = [p for p in result.problems if p.code == "missing-flow"]
        if missing:
            click.echo(MISSING_HINT.format(where=", ".join(map(str, shared))))
    sys.exit(1 if result.count(ERROR) else 0)


def check_as_council(paths: Iterable[str], slug: str, verbose: bool) -> int:
    """Check each file as council ``slug``'s editor would (chatsurvey/flows/lock.py); exit code."""
    tenant = council(slug)
    errors = 0
    for path in flow_files(paths):
        source = path.read_text("utf-8")
        try:
            data = load_document(source, str(path)).data
        except FlowError:
            data = None  # check_local says what is wrong with it
        if isinstance(data, dict) and "slots" not in data and "states" in data:
            click.echo(f"{path}: error: this is a flow, and the flows are the programme's: only "
                       f"programme analysts change them. {tenant.display_name} adds its own "
                       "questions as local questions (slots:, states:, messages:), played at "
                       "the places the flows leave for them (docs/admin.md).")
            errors += 1
            continue
        checked = check_local(source)
        click.echo(f"{path}: local questions of {tenant.display_name}, "
                   f"{checked.questions} question{'s' if checked.questions != 1 else ''}")
        for problem in checked.problems:
            if problem.level == ERROR or verbose:
                click.echo(f"  {path}:{problem.line or '?'}: {problem.level}: {problem.message}")
        errors += len(checked.errors)
    click.echo(f"{errors} error{'s' if errors != 1 else ''}, as {tenant.display_name}'s editor")
    return 1 if errors else 0


def _load_flow(name: str, flows_dir: str | None, locales: str | None):
    """A flow by file path (its directory is loaded) or by id (from the flows directory);
    the flows it enters may also come from the flows directory."""
    path = Path(name)
    directory = path.parent if path.is_file() else Path(
        flows_dir or os.environ.get("CHATSURVEY_FLOWS_DIR", defaults.FLOWS_DIR))
    library = FlowLibrary.load([directory], locales, library_dirs([name]))
    try:
        return library.find(name)
    except KeyError as exc:
        problems = [p for p in library.problems
                    if path.is_file() and Path(p.source).resolve() == path.resolve()]
        if problems:
            raise click.ClickException("this flow has errors:\n" + str(FlowError(problems))
                                       ) from None
        raise click.ClickException(exc.args[0]) from None


def _params(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--param")
        out[key] = value
    return out


def _conversation_options(f):
    f = click.option("--channel", type=click.Choice(["web", "sms", "whatsapp"]), default="web",
                     show_default=True)(f)
    f = click.option("--locale", default=None, help="Language, e.g. en, cy, gd, ar.")(f)
    f = click.option("--country", type=click.Choice(["england", "wales", "scotland"]),
                     default="england", show_default=True)(f)
    f = click.option("--age-band", default=None, help="As if the survey link gave it.")(f)
    f = click.option("--param", "params", multiple=True, help="NAME=VALUE passed to the flow.")(f)
    f = click.option("--flows", "flows_dir", type=click.Path(file_okay=False),
                     help="Directory to find flows in (default: flows/).")(f)
    f = click.option("--locales", type=click.Path(file_okay=False),
                     help="Catalogue directory.")(f)
    return f


def _inbound(line: str) -> Resume:
    """A line of input: JSON for a tapped button ({"value": ...}), else text."""
    if line.startswith("{"):
        try:
            return resume_from(json.loads(line))
        except json.JSONDecodeError:
            pass
    return Text(line)


def _show(replies: Iterable[Reply], events: Iterable[Event], show_events: bool) -> None:
    for reply in replies:
        click.echo(format_reply(reply))
    if show_events:
        for event in events:
            click.echo(format_event(event))


def _begin(flow_name, channel, locale, country, age_band, params, flows_dir, locales):
    flow = _load_flow(flow_name, flows_dir, locales)
    state, replies, events = start(flow, channel=channel, locale=locale, country=country,
                                   age_band=age_band, params=_params(params), options=Options())
    click.echo(f"# {flow.id} v{flow.version} · {channel} · {state.ctx.locale}")
    return flow, state, replies, events


@click.command()
@click.argument("flow_name", metavar="FLOW")
@_conversation_options
@click.option("--events/--no-events", "show_events", default=True, show_default=True)
def simulate(flow_name, channel, locale, country, age_band, params, flows_dir, locales,
             show_events) -> None:
    """Play FLOW with messages read from standard input, printing the transcript.

    One message per line; blank lines and lines starting with # are ignored.
    A line like {"value": "yes"} is a tapped button.
    """
    flow, state, replies, events = _begin(flow_name, channel, locale, country, age_band,
                                          params, flows_dir, locales)
    _show(replies, events, show_events)
    for raw in sys.stdin:
        line = raw.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        if state.status != "active":
            break
        click.echo(f"you: {line}")
        state, replies, events = advance(flow, state, _inbound(line))
        _show(replies, events, show_events)
    click.echo(f"# {state.status}")


@click.command()
@click.argument("flow_name", metavar="FLOW")
@_conversation_options
@click.option("--events/--no-events", "show_events", default=False, show_default=True)
def chat(flow_name, channel, locale, country, age_band, params, flows_dir, locales,
         show_events) -> None:
    """Chat with FLOW in the terminal, as a young person would (Ctrl-D to leave)."""
    flow, state, replies, events = _begin(flow_name, channel, locale, country, age_band,
                                          params, flows_dir, locales)
    _show(replies, events, show_events)
    while state.status == "active":
        try:
            line = input("you: ")
        except EOFError:
            click.echo()
            break
        state, replies, events = advance(flow, state, _inbound(line))
        _show(replies, events, show_events)
    click.echo(f"# {state.status}")


@flows.command("publish")
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False))
@click.option("--locales", type=click.Path(exists=True, file_okay=False),
              help="Catalogue directory (default: the locales/ directory next to the flows).")
def flows_publish(directory: str | None, locales: str | None) -> None:
    """Publish the flows of DIRECTORY (default: flows/) with their translations.

    Each flow whose YAML or words changed becomes a new version in the database;
    the running service reads nothing else from these directories.
    """
    publish_command(directory, locales)


def publish_command(directory: str | None, locales: str | None = None) -> None:
    """Publish every flow in a directory (default: the flows directory)."""
    path = directory or os.environ.get("CHATSURVEY_FLOWS_DIR") or current_app.config["FLOWS_DIR"]
    try:
        versions = publish_directory(path, locales)
    except FlowError as exc:
        db.session.rollback()
        raise click.ClickException("not published, the flows have errors:\n" + str(exc)
                                   ) from None
    db.session.commit()
    for row in versions:
        click.echo(f"{row.flow_id} v{row.version}")
