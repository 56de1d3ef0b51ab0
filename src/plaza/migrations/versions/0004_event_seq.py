"""the conversation log knows each change's message position (seq), so group changes can be
shown in history beside the messages they happened between

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 14:30:00
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversation_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "UPDATE conversation_events SET seq = (SELECT seq FROM messages"
            " WHERE messages.id = conversation_events.message_id)"
            " WHERE message_id IS NOT NULL"
        )
    )
    rows = bind.execute(
        sa.text(
            "SELECT conversation_id, rev, payload FROM conversation_events"
            " WHERE message_id IS NULL AND payload IS NOT NULL"
        )
    ).all()
    for conversation_id, rev, payload in rows:
        seq = json.loads(payload).get("seq")
        if isinstance(seq, int):
            bind.execute(
                sa.text(
                    "UPDATE conversation_events SET seq = :seq"
                    " WHERE conversation_id = :c AND rev = :r"
                ),
                {"seq": seq, "c": conversation_id, "r": rev},
            )
    with op.batch_alter_table("conversation_events", schema=None) as batch_op:
        batch_op.create_index("ix_conversation_events_seq", ["conversation_id", "seq"])


def downgrade() -> None:
    with op.batch_alter_table("conversation_events", schema=None) as batch_op:
        batch_op.drop_index("ix_conversation_events_seq")
        batch_op.drop_column("seq")
