"""The `chatsurvey` command: one module per command group, each calling the domain's actions.

Flow tools (`flows check`, `chat`, `simulate`) need no database or Redis, so
they work the moment the package is installed. The app behind the other
commands is built without requiring a secret key or REDIS_URL: `--help`,
`report` and `db upgrade` run without them, and a command that needs one stops
with a single line naming the setting to set (`MissingSetting`). There is no
`run`: `chatsurvey demo` runs the service locally, and production runs
`gunicorn wsgi:app`, which refuses to start without its settings. The developer
tools (`demo`, `demo-data`, `phone`) live in the source checkout's `devtools/`,
which is not shipped in the wheel; they are added when it is there.

May import: the domains' actions and models, reports, the engine (flow tools),
jobs and the sweeper (worker commands). Never a channel or `workers`; the admin
only where tests/test_layering.py lists it.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup, routes_command, shell_command

from chatsurvey import create_app
from chatsurvey.cli import councils, flows, invitations, reports, responses, rounds, users, workers
from chatsurvey.config import MissingSetting

try:
    from devtools.cli import commands as devtools_commands
except ImportError:  # installed from the wheel: no developer tools
    devtools_commands = []


class CommandLine(FlaskGroup):
    """Flask's command group, where a missing setting is one line saying what to set."""

    def invoke(self, ctx: click.Context):  # noqa: ANN201 (click's own signature)
        try:
            return super().invoke(ctx)
        except Exception as error:
            missing = missing_setting(error)
            if missing is None:
                raise
            raise click.ClickException(str(missing)) from None


def missing_setting(error: BaseException | None) -> MissingSetting | None:
    """The MissingSetting behind ``error``, if any (SQLAlchemy wraps one raised in a column)."""
    while error is not None and not isinstance(error, MissingSetting):
        error = error.__cause__ or error.__context__
    return error


def command_line_app() -> Flask:
    """The app the commands run in: settings a command does not use are not required."""
    return create_app(require_services=False)


@click.group(cls=CommandLine, create_app=command_line_app, add_version_option=False,
             add_default_commands=False)
def main() -> None:
    """chatsurvey: conversational well-being surveys."""


for command in (flows.flows, flows.simulate, flows.chat, councils.tenants, rounds.rounds,
                users.users, invitations.invitations, reports.report_command, reports.seal_command,
                responses.redact, workers.worker_command, workers.sweeper_command,
                workers.jobs_group, shell_command, routes_command, *devtools_commands):
    main.add_command(command)
