"""Tables of the chat domain.

`conversations.last_seq` numbers messages (gap-free per conversation) and `conversations.rev`
numbers every change anyone can see (a message, a recall, a membership change, a rename); both
are bumped under the conversation's row lock in the transaction that makes the change. The
`conversation_events` log, keyed by (conversation, rev), is what resume replays from.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from plaza.db import Base, UTCDateTime


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # direct | group
    title: Mapped[str] = mapped_column(String(100), default="")
    # For direct conversations "<smaller user id>:<larger user id>", so each pair has one.
    direct_key: Mapped[str | None] = mapped_column(String(40), unique=True, nullable=True)
    last_seq: Mapped[int] = mapped_column(default=0)
    rev: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Member(Base):
    __tablename__ = "conversation_members"
    __table_args__ = (Index("ix_conversation_members_user", "user_id"),)

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(8), default="member")  # owner | admin | member
    # New members see messages from here on, not the group's earlier history.
    history_from_seq: Mapped[int] = mapped_column(default=1)
    last_read_seq: Mapped[int] = mapped_column(default=0)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When this member last sent a message. Their list orders by the later of this and the
    # conversation's `last_activity_at`, which a withheld message does not move (so the
    # blocker's list shows no trace of it, while the sender's chat still moves up).
    activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Added by someone this member has blocked: the others see them listed, but the
    # conversation does not exist for them (no list entry, 404, no live events).
    hidden: Mapped[bool] = mapped_column(default=False, server_default=text("false"))


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_seq"),
        UniqueConstraint("conversation_id", "sender_id", "client_id", name="uq_messages_client_id"),
        # Withheld messages are rare: a small index of them makes unread counts, which leave
        # them out, cheap.
        Index(
            "ix_messages_withheld",
            "conversation_id",
            "seq",
            sqlite_where=text("withheld = 1"),
            postgresql_where=text("withheld"),
        ),
        # Held and removed messages are rarer still: unread counts leave them out too.
        Index(
            "ix_messages_moderated",
            "conversation_id",
            "seq",
            sqlite_where=text("moderation IS NOT NULL"),
            postgresql_where=text("moderation IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    seq: Mapped[int]
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Sent by someone the other side of a direct chat has blocked: only the sender sees it.
    withheld: Mapped[bool] = mapped_column(default=False)
    # Set by moderation through the surface's registered callbacks: None (shown), "held"
    # (awaiting review: only its author sees it) or "removed" (a marker for everyone else).
    moderation: Mapped[str | None] = mapped_column(String(16), nullable=True, default=None)


class ConversationEvent(Base):
    """The replay log. Message events point at their message, so a replay shows the message as
    it is now (recalled, say), never a stale copy of its text."""

    __tablename__ = "conversation_events"
    __table_args__ = (Index("ix_conversation_events_seq", "conversation_id", "seq"),)

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    rev: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), nullable=True
    )
    payload: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The conversation's message count when the change happened (a message: its own seq), so a
    # page of history can show the group changes that happened between its messages.
    seq: Mapped[int | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
