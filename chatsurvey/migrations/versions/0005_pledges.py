"""reports: councils' pledges to young people ("You said, we will")

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pledges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("age_band", sa.String(length=8), nullable=True),
        sa.Column("you_said", sa.Text(), nullable=False),
        sa.Column("we_will", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["round_id"], ["survey_rounds.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pledges_tenant_id", "pledges", ["tenant_id"])
    op.create_index("ix_pledges_round_id", "pledges", ["round_id"])


def downgrade():
    op.drop_index("ix_pledges_round_id", table_name="pledges")
    op.drop_index("ix_pledges_tenant_id", table_name="pledges")
    op.drop_table("pledges")
