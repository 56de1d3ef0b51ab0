"""Tables of the accounts domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from plaza.db import Base, UTCDateTime

ROLES = ("member", "moderator", "admin")
STATUSES = ("active", "suspended", "closed")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-case: usernames are unique regardless of case.
    username: Mapped[str] = mapped_column(String(32), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="member")
    # active | suspended | closed (set by moderation later; never deletes data)
    status: Mapped[str] = mapped_column(String(16), default="active")
    # A timed suspension lifts itself then (None: until reinstated, or not suspended).
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Moderation may restrict someone from publishing (moments, comments, articles) until then.
    restricted_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Set by moderation on the person's display name (the "profile" surface): None (shown),
    # "held" or "removed". While hidden, `display_name` shows the username to everyone and the
    # name the person chose waits in `hidden_display_name`, so every path that shows a name
    # honours it and restoring puts the chosen name back exactly (nothing is deleted).
    profile_moderation: Mapped[str | None] = mapped_column(String(16), nullable=True)
    hidden_display_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Session(Base):
    """A login. Only the SHA-256 of the token is stored, so a database leak reveals no token."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Shown in "my sessions" so a person can tell their devices apart and spot a stranger's.
    user_agent: Mapped[str] = mapped_column(String(200), default="", server_default="")
    address: Mapped[str] = mapped_column(String(64), default="", server_default="")


class FriendRequest(Base):
    __tablename__ = "friend_requests"
    __table_args__ = (
        Index("ix_friend_requests_to_status", "to_user_id", "status"),
        Index("ix_friend_requests_from_status", "from_user_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    from_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    to_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(Text, default="")
    # pending | accepted | declined
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Friendship(Base):
    """One row per direction, so "my friends" is a single indexed range scan."""

    __tablename__ = "friendships"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    friend_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Block(Base):
    __tablename__ = "blocks"

    blocker_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FriendLabel(Base):
    """A person's tag for some of their friends (WeChat's labels: "family", "colleagues"),
    used to choose who sees a moment. Only its owner ever sees it."""

    __tablename__ = "friend_labels"
    __table_args__ = (Index("ix_friend_labels_owner_name", "owner_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FriendLabelMember(Base):
    """A friend under a label. Unfriending removes the person from the other's labels, so a
    label only ever holds friends."""

    __tablename__ = "friend_label_members"

    label_id: Mapped[int] = mapped_column(
        ForeignKey("friend_labels.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
