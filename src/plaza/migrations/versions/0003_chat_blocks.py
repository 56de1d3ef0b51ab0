"""chat: hidden memberships, per-member activity, index of withheld messages

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 13:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversation_members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("activity_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("hidden", sa.Boolean(), nullable=False, server_default=sa.text("false"))
        )
    op.create_index(
        "ix_messages_withheld",
        "messages",
        ["conversation_id", "seq"],
        unique=False,
        sqlite_where=sa.text("withheld = 1"),
        postgresql_where=sa.text("withheld"),
    )


def downgrade() -> None:
    op.drop_index("ix_messages_withheld", table_name="messages")
    with op.batch_alter_table("conversation_members", schema=None) as batch_op:
        batch_op.drop_column("hidden")
        batch_op.drop_column("activity_at")
