"""WhatsApp: a council's approved templates, its WhatsApp senders, invitations by WhatsApp

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("whatsapp_templates", sa.JSON(), nullable=False,
                                   server_default="{}"))
    with op.batch_alter_table("sms_numbers") as batch:
        batch.add_column(sa.Column("whatsapp", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table("sms_invitations") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=8), nullable=False,
                                   server_default="sms"))


def downgrade():
    with op.batch_alter_table("sms_invitations") as batch:
        batch.drop_column("channel")
    with op.batch_alter_table("sms_numbers") as batch:
        batch.drop_column("whatsapp")
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("whatsapp_templates")
