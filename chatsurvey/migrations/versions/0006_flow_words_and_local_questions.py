"""flows: each version keeps its translations; councils' local questions, pinned by rounds

A flow version becomes one unit with its words: ``flow_versions.translations``.
Versions published before this kept their words in the checkout's ``locales/``;
they are filled from there (CHATSURVEY_LOCALES_DIR, or the checkout's
``locales/``) if it is present, so rounds already open keep speaking Welsh,
Gaelic and Arabic. Without it they speak English until republished.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""
import os

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _fill_translations() -> None:
    """Give every existing version the words the catalogues on disk hold for it."""
    from chatsurvey.config import LOCALES_DIR
    from chatsurvey.engine import Catalogue, compile_flow
    from chatsurvey.engine.catalogue import SYSTEM

    path = os.environ.get("CHATSURVEY_LOCALES_DIR") or LOCALES_DIR
    catalogue = Catalogue.from_directory(path)
    if not catalogue.locales():
        return
    connection = op.get_bind()
    versions = sa.table("flow_versions", sa.column("id", sa.Integer),
                        sa.column("source", sa.Text), sa.column("translations", sa.JSON))
    for ident, source in connection.execute(sa.select(versions.c.id, versions.c.source)).all():
        flow = compile_flow(source)
        locales = [loc for loc in flow.locales if loc != flow.source_locale]
        connection.execute(versions.update().where(versions.c.id == ident).values(
            translations=catalogue.as_data({flow.id, SYSTEM}, locales)))


def upgrade():
    with op.batch_alter_table("flow_versions") as batch:
        batch.add_column(sa.Column("translations", sa.JSON(), nullable=False,
                                   server_default="{}"))
    _fill_translations()
    op.create_table(
        "local_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["published_by"], ["admin_users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "version"),
        sa.UniqueConstraint("id", "tenant_id"),
    )
    op.create_index("ix_local_questions_tenant_id", "local_questions", ["tenant_id"])
    with op.batch_alter_table("survey_rounds") as batch:
        batch.add_column(sa.Column("local_questions_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_survey_rounds_local_questions_own_council",
                                 "local_questions", ["local_questions_id", "tenant_id"],
                                 ["id", "tenant_id"])


def downgrade():
    with op.batch_alter_table("survey_rounds") as batch:
        batch.drop_constraint("fk_survey_rounds_local_questions_own_council",
                              type_="foreignkey")
        batch.drop_column("local_questions_id")
    op.drop_index("ix_local_questions_tenant_id", table_name="local_questions")
    op.drop_table("local_questions")
    with op.batch_alter_table("flow_versions") as batch:
        batch.drop_column("translations")
