"""public accounts: accounts with handles and their confusable skeletons, editors, articles
with every published revision, reads, likes, subscriptions and subscribers per day

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 16:40:22.992356
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "public_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handle", sa.String(length=30), nullable=False),
        sa.Column("skeleton", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("name_folded", sa.String(length=128), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("avatar_media_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("subscriber_count", sa.Integer(), nullable=False),
        sa.Column("article_seq", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["avatar_media_id"],
            ["media.id"],
            name=op.f("fk_public_accounts_avatar_media_id_media"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_public_accounts_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_accounts")),
        sa.UniqueConstraint("handle", name=op.f("uq_public_accounts_handle")),
        sa.UniqueConstraint("skeleton", name=op.f("uq_public_accounts_skeleton")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("public_accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_public_accounts_name_folded"), ["name_folded"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_public_accounts_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("cover_media_id", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("read_count", sa.Integer(), nullable=False),
        sa.Column("like_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["public_accounts.id"],
            name=op.f("fk_articles_account_id_public_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_articles_author_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["cover_media_id"],
            ["media.id"],
            name=op.f("fk_articles_cover_media_id_media"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_articles")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.create_index(
            "ix_articles_account_published",
            ["account_id", "published_at", "id"],
            unique=False,
            postgresql_where=sa.text("status = 'published'"),
            sqlite_where=sa.text("status = 'published'"),
        )

    op.create_table(
        "public_account_editors",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["public_accounts.id"],
            name=op.f("fk_public_account_editors_account_id_public_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_public_account_editors_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "user_id", name=op.f("pk_public_account_editors")),
    )
    with op.batch_alter_table("public_account_editors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_public_account_editors_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "public_account_subscriber_days",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["public_accounts.id"],
            name=op.f("fk_public_account_subscriber_days_account_id_public_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "account_id", "day", name=op.f("pk_public_account_subscriber_days")
        ),
    )
    op.create_table(
        "public_account_subscriptions",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["public_accounts.id"],
            name=op.f("fk_public_account_subscriptions_account_id_public_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_public_account_subscriptions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "user_id", "account_id", name=op.f("pk_public_account_subscriptions")
        ),
    )
    with op.batch_alter_table("public_account_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pa_subscriptions_account", ["account_id", "user_id"], unique=False
        )

    op.create_table(
        "article_likes",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_likes_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_article_likes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "user_id", name=op.f("pk_article_likes")),
    )
    op.create_table(
        "article_reads",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_reads_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_article_reads_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "user_id", name=op.f("pk_article_reads")),
    )
    op.create_table(
        "article_revisions",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("editor_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("cover_media_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_revisions_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["editor_id"],
            ["users.id"],
            name=op.f("fk_article_revisions_editor_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "number", name=op.f("pk_article_revisions")),
    )
    op.create_table(
        "article_shares",
        sa.Column("surface", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_shares_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("surface", "ref_id", name=op.f("pk_article_shares")),
    )
    with op.batch_alter_table("article_shares", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_article_shares_article_id"), ["article_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("article_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_shares_article_id"))
    op.drop_table("article_shares")
    op.drop_table("article_revisions")
    op.drop_table("article_reads")
    op.drop_table("article_likes")
    with op.batch_alter_table("public_account_subscriptions", schema=None) as batch_op:
        batch_op.drop_index("ix_pa_subscriptions_account")

    op.drop_table("public_account_subscriptions")
    op.drop_table("public_account_subscriber_days")
    with op.batch_alter_table("public_account_editors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_public_account_editors_user_id"))

    op.drop_table("public_account_editors")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index("ix_articles_account_published")

    op.drop_table("articles")
    with op.batch_alter_table("public_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_public_accounts_owner_id"))
        batch_op.drop_index(batch_op.f("ix_public_accounts_name_folded"))

    op.drop_table("public_accounts")
