"""accounts: at most one live invitation link per person

A newer link, using a link, disabling the account or changing the password
deletes the row, so ``used_at`` goes and ``user_id`` becomes unique. Links
already used, and all but each person's newest, are deleted first.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DELETE FROM admin_user_invites WHERE used_at IS NOT NULL")
    op.execute("DELETE FROM admin_user_invites WHERE id NOT IN "
               "(SELECT MAX(id) FROM admin_user_invites GROUP BY user_id)")
    with op.batch_alter_table("admin_user_invites") as batch:
        batch.drop_column("used_at")
        batch.create_unique_constraint("uq_admin_user_invites_user_id", ["user_id"])


def downgrade():
    with op.batch_alter_table("admin_user_invites") as batch:
        batch.drop_constraint("uq_admin_user_invites_user_id", type_="unique")
        batch.add_column(sa.Column("used_at", sa.DateTime(timezone=True), nullable=True))
