"""Tables of the moments domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from plaza.db import Base, UTCDateTime

MODES = ("friends", "only", "except", "private")


class Moment(Base):
    """A post. Ids grow with time, so "newest first" is id order and the timeline walks the
    (author_id, id) index of each friend."""

    __tablename__ = "moments"
    # Never reuse a deleted moment's id on SQLite: notices, pictures and cursors name ids.
    __table_args__ = (
        Index("ix_moments_author_id_id", "author_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text, default="")
    # friends | only | except | private (see plaza.moments.policies)
    visibility: Mapped[str] = mapped_column(String(8), default="friends")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set by moderation through the surface's registered callbacks: None (shown), "held"
    # (awaiting review: only its author sees it) or "removed" (a marker for everyone else).
    moderation: Mapped[str | None] = mapped_column(String(16), nullable=True, default=None)


class MomentAudienceUser(Base):
    """A person named in an "only" or "except" list."""

    __tablename__ = "moment_audience_users"
    # The timeline asks "which lists name me": PostgreSQL reads them from this index.
    __table_args__ = (Index("ix_moment_audience_users_user_id", "user_id", "moment_id"),)

    moment_id: Mapped[int] = mapped_column(
        ForeignKey("moments.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )


class MomentAudienceLabel(Base):
    """A label named in an "only" or "except" list: evaluated live, so changing the label's
    members (or deleting it) changes who sees the moment at once."""

    __tablename__ = "moment_audience_labels"

    moment_id: Mapped[int] = mapped_column(
        ForeignKey("moments.id", ondelete="CASCADE"), primary_key=True
    )
    label_id: Mapped[int] = mapped_column(
        ForeignKey("friend_labels.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class MomentLike(Base):
    __tablename__ = "moment_likes"

    moment_id: Mapped[int] = mapped_column(
        ForeignKey("moments.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MomentComment(Base):
    __tablename__ = "moment_comments"
    __table_args__ = (
        Index("ix_moment_comments_moment_id_id", "moment_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    moment_id: Mapped[int] = mapped_column(ForeignKey("moments.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    # The comment answered, and its writer (kept when that comment is deleted, so the reply
    # still reads "to X" and is shown only to those who may see X).
    reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("moment_comments.id", ondelete="SET NULL"), nullable=True, index=True
    )
    reply_to_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set by moderation through the surface's registered callbacks: None (shown), "held"
    # (awaiting review: only its author sees it) or "removed" (a marker for everyone else).
    moderation: Mapped[str | None] = mapped_column(String(16), nullable=True, default=None)


class MomentSeen(Base):
    """The newest moment id there was when the person last opened the timeline."""

    __tablename__ = "moment_seen"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    last_moment_id: Mapped[int] = mapped_column(Integer, default=0)


class MomentInbox(Base):
    """The revision of a person's moments topic ("moments:<user id>"): likes and comments
    addressed to them, gap-free, so the stream can replay what a connection missed."""

    __tablename__ = "moment_inboxes"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    rev: Mapped[int] = mapped_column(Integer, default=0)


class MomentNotice(Base):
    """One event of a person's moments topic. The moment and comment are named by id only: a
    deleted one is skipped on replay (nobody is told about what is gone)."""

    __tablename__ = "moment_notices"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    rev: Mapped[int] = mapped_column(Integer, primary_key=True)
    # liked | commented
    kind: Mapped[str] = mapped_column(String(16))
    moment_id: Mapped[int] = mapped_column(Integer)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
