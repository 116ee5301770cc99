"""reports: a sealed round's counted answers, kept so its report never changes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sealed_figures",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["survey_rounds.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("round_id"),
    )


def downgrade():
    op.drop_table("sealed_figures")
