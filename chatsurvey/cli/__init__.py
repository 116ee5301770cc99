"""The `chatsurvey` command: one module per command group, each calling the domain's actions.

Flow tools (`flows check`, `chat`, `simulate`) need no database or Redis, so
they work the moment the package is installed. The developer tools (`demo`,
`demo-data`, `phone`) live in the source checkout's `devtools/`, which is not
shipped in the wheel; they are added when it is there.
"""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from chatsurvey import create_app
from chatsurvey.cli import councils, flows, invitations, reports, responses, rounds, users, workers

try:
    from devtools.cli import commands as devtools_commands
except ImportError:  # installed from the wheel: no developer tools
    devtools_commands = []


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
def main() -> None:
    """chatsurvey: conversational well-being surveys."""


for command in (flows.flows, flows.simulate, flows.chat, councils.tenants, rounds.rounds,
                users.users, invitations.invitations, reports.report_command,
                responses.redact, workers.worker_command, workers.sweeper_command,
                workers.jobs_group, *devtools_commands):
    main.add_command(command)
