"""a publisher's exit: when its owner closed a public account, and its one "moved to" notice
(the address, when it was set, how often it was changed), with an index of the accounts
that left one (a feed looks among those)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 23:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("public_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("moved_to", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("moved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("moved_changes", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_index(
            "ix_public_accounts_moved",
            ["id"],
            unique=False,
            sqlite_where=sa.text("moved_to IS NOT NULL"),
            postgresql_where=sa.text("moved_to IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("public_accounts", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_public_accounts_moved",
            sqlite_where=sa.text("moved_to IS NOT NULL"),
            postgresql_where=sa.text("moved_to IS NOT NULL"),
        )
        batch_op.drop_column("moved_changes")
        batch_op.drop_column("moved_at")
        batch_op.drop_column("moved_to")
        batch_op.drop_column("closed_at")
