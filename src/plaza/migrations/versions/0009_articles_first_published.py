"""articles: an index of every article ever published by (account_id, published_at), so the
daily publishing limit counts an account's last 24 hours from it instead of reading the whole
table (the feed's index holds published articles only, and a removed one still counts)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 19:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_articles_account_first_published",
        "articles",
        ["account_id", "published_at"],
        unique=False,
        postgresql_where=sa.text("published_at IS NOT NULL"),
        sqlite_where=sa.text("published_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_articles_account_first_published", table_name="articles")
