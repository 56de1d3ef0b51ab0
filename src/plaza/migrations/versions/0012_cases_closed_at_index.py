"""an index of moderation cases by when they were closed: the transparency report's median
time from report to decision reads the cases closed in its period, and the report is public

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 03:40:00.000000
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_moderation_cases_closed_at", "moderation_cases", ["closed_at"])


def downgrade() -> None:
    op.drop_index("ix_moderation_cases_closed_at", table_name="moderation_cases")
