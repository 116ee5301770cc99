"""responses: the day a response finished, kept while its round is open

For the burst review (chatsurvey/responses/bursts.py): an unusual number of
complete responses on one day of one round can be seen and discarded before the
report is final. The day is forgotten (NULL) once the round has closed.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("responses") as batch:
        batch.add_column(sa.Column("day", sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table("responses") as batch:
        batch.drop_column("day")
