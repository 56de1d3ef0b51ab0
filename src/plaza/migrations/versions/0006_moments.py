"""moments and friend labels: posts with their audience (people and labels, read live),
likes, comments, the "seen" mark, and each person's moments topic for the stream

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 16:00:48
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "friend_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_friend_labels_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_friend_labels")),
    )
    with op.batch_alter_table("friend_labels", schema=None) as batch_op:
        batch_op.create_index("ix_friend_labels_owner_name", ["owner_id", "name"], unique=True)

    op.create_table(
        "moment_inboxes",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("rev", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_moment_inboxes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_moment_inboxes")),
    )
    op.create_table(
        "moment_notices",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("rev", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("moment_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_moment_notices_actor_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_moment_notices_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "rev", name=op.f("pk_moment_notices")),
    )
    op.create_table(
        "moment_seen",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("last_moment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_moment_seen_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_moment_seen")),
    )
    op.create_table(
        "moments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("visibility", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_moments_author_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moments")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("moments", schema=None) as batch_op:
        batch_op.create_index("ix_moments_author_id_id", ["author_id", "id"], unique=False)

    op.create_table(
        "friend_label_members",
        sa.Column("label_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["label_id"],
            ["friend_labels.id"],
            name=op.f("fk_friend_label_members_label_id_friend_labels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_friend_label_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("label_id", "user_id", name=op.f("pk_friend_label_members")),
    )
    with op.batch_alter_table("friend_label_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_friend_label_members_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "moment_audience_labels",
        sa.Column("moment_id", sa.Integer(), nullable=False),
        sa.Column("label_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["label_id"],
            ["friend_labels.id"],
            name=op.f("fk_moment_audience_labels_label_id_friend_labels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["moment_id"],
            ["moments.id"],
            name=op.f("fk_moment_audience_labels_moment_id_moments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("moment_id", "label_id", name=op.f("pk_moment_audience_labels")),
    )
    with op.batch_alter_table("moment_audience_labels", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_moment_audience_labels_label_id"), ["label_id"], unique=False
        )

    op.create_table(
        "moment_audience_users",
        sa.Column("moment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["moment_id"],
            ["moments.id"],
            name=op.f("fk_moment_audience_users_moment_id_moments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_moment_audience_users_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("moment_id", "user_id", name=op.f("pk_moment_audience_users")),
    )
    with op.batch_alter_table("moment_audience_users", schema=None) as batch_op:
        batch_op.create_index(
            "ix_moment_audience_users_user_id", ["user_id", "moment_id"], unique=False
        )
    op.create_table(
        "moment_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("moment_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reply_to_id", sa.Integer(), nullable=True),
        sa.Column("reply_to_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_moment_comments_author_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["moment_id"],
            ["moments.id"],
            name=op.f("fk_moment_comments_moment_id_moments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reply_to_id"],
            ["moment_comments.id"],
            name=op.f("fk_moment_comments_reply_to_id_moment_comments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reply_to_user_id"],
            ["users.id"],
            name=op.f("fk_moment_comments_reply_to_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moment_comments")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("moment_comments", schema=None) as batch_op:
        batch_op.create_index("ix_moment_comments_moment_id_id", ["moment_id", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_moment_comments_reply_to_id"), ["reply_to_id"], unique=False
        )

    op.create_table(
        "moment_likes",
        sa.Column("moment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["moment_id"],
            ["moments.id"],
            name=op.f("fk_moment_likes_moment_id_moments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_moment_likes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("moment_id", "user_id", name=op.f("pk_moment_likes")),
    )


def downgrade() -> None:

    op.drop_table("moment_likes")
    with op.batch_alter_table("moment_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moment_comments_reply_to_id"))
        batch_op.drop_index("ix_moment_comments_moment_id_id")

    op.drop_table("moment_comments")
    with op.batch_alter_table("moment_audience_users", schema=None) as batch_op:
        batch_op.drop_index("ix_moment_audience_users_user_id")

    op.drop_table("moment_audience_users")
    with op.batch_alter_table("moment_audience_labels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moment_audience_labels_label_id"))

    op.drop_table("moment_audience_labels")
    with op.batch_alter_table("friend_label_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_friend_label_members_user_id"))

    op.drop_table("friend_label_members")
    with op.batch_alter_table("moments", schema=None) as batch_op:
        batch_op.drop_index("ix_moments_author_id_id")

    op.drop_table("moments")
    op.drop_table("moment_seen")
    op.drop_table("moment_notices")
    op.drop_table("moment_inboxes")
    with op.batch_alter_table("friend_labels", schema=None) as batch_op:
        batch_op.drop_index("ix_friend_labels_owner_name")

    op.drop_table("friend_labels")
