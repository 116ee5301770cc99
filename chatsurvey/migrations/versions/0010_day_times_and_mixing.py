"""responses mixed by day; opt-out and invitation times kept to the day

``responses.mixed``: a day's responses are rewritten in a random order under new
ids once the day is over (chatsurvey/responses/mixing.py). The times of
``sms_opt_outs`` and ``sms_invitations`` are cut to midnight UTC, as they are
now written.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_TIMES = {"sms_opt_outs": ("created_at",),
          "sms_invitations": ("created_at", "sent_at", "reminded_at")}


def _midnight(value):
    if value is None:
        return None
    if isinstance(value, str):  # SQLite without type information
        value = datetime.fromisoformat(value)
    value = value.replace(tzinfo=value.tzinfo or UTC).astimezone(UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def upgrade():
    with op.batch_alter_table("responses") as batch:
        batch.add_column(sa.Column("mixed", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.create_index("ix_responses_mixed", ["mixed"])
    bind = op.get_bind()
    for name, columns in _TIMES.items():
        table = sa.table(name, sa.column("id", sa.Integer),
                         *(sa.column(c, sa.DateTime(timezone=True)) for c in columns))
        for row in bind.execute(sa.select(table)).mappings().all():
            bind.execute(table.update().where(table.c.id == row["id"])
                         .values({c: _midnight(row[c]) for c in columns}))


def downgrade():
    with op.batch_alter_table("responses") as batch:
        batch.drop_index("ix_responses_mixed")
        batch.drop_column("mixed")
