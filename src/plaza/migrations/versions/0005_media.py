"""media: uploads (content-addressed blobs with a thumbnail each) and where they are used

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uploader_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("thumb_sha256", sa.String(length=64), nullable=False),
        sa.Column("thumb_width", sa.Integer(), nullable=False),
        sa.Column("thumb_height", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["uploader_id"],
            ["users.id"],
            name=op.f("fk_media_uploader_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
    )
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.create_index("ix_media_sha256", ["sha256"], unique=False)
        batch_op.create_index("ix_media_thumb_sha256", ["thumb_sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_uploader_id"), ["uploader_id"], unique=False)
    op.create_table(
        "media_uses",
        sa.Column("surface", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["media_id"],
            ["media.id"],
            name=op.f("fk_media_uses_media_id_media"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("surface", "ref_id", "position", name=op.f("pk_media_uses")),
    )
    with op.batch_alter_table("media_uses", schema=None) as batch_op:
        batch_op.create_index("ix_media_uses_media_id", ["media_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("media_uses", schema=None) as batch_op:
        batch_op.drop_index("ix_media_uses_media_id")
    op.drop_table("media_uses")
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_uploader_id"))
        batch_op.drop_index("ix_media_thumb_sha256")
        batch_op.drop_index("ix_media_sha256")
    op.drop_table("media")
