"""Tables of the public accounts domain.

Publishing writes one `Article` row (and one `ArticleRevision`): its cost does not grow with
subscribers. The feed is fanned out on read through the (account_id, published_at, id) index
of `articles` (design.md §5). `PublicAccount.article_seq` is the revision of the account's
live topic ("public_account:<id>"): each publish takes the next number, stored on the article
(`Article.seq`), so a connection that missed some replays them in order.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from plaza.db import Base, UTCDateTime

ARTICLE_STATES = ("draft", "published", "removed")


class PublicAccount(Base):
    __tablename__ = "public_accounts"
    __table_args__ = (
        # The few closed accounts that left a moved notice: a feed looks for those its reader
        # follows among them, not through all of the reader's subscriptions.
        Index(
            "ix_public_accounts_moved",
            "id",
            postgresql_where=text("moved_to IS NOT NULL"),
            sqlite_where=text("moved_to IS NOT NULL"),
        ),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-case: handles are unique regardless of case.
    handle: Mapped[str] = mapped_column(String(30), unique=True)
    # The handle's Unicode confusable skeleton (plaza.public_accounts.handles): unique too, so
    # "paypa1" cannot sit beside "paypal".
    skeleton: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    # The name case-folded, for the directory's substring search.
    name_folded: Mapped[str] = mapped_column(String(128), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    avatar_media_id: Mapped[int | None] = mapped_column(
        ForeignKey("media.id", ondelete="SET NULL"), nullable=True
    )
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    # active | closed (by its owner, who keeps its export and its moved notice)
    status: Mapped[str] = mapped_column(String(16), default="active")
    subscriber_count: Mapped[int] = mapped_column(Integer, default=0)
    article_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set by moderation: "closed" when a moderator closed the account (its pages then serve a
    # tombstone, and it cannot publish); None otherwise. Reversible: nothing is deleted.
    moderation: Mapped[str | None] = mapped_column(String(16), nullable=True, default=None)
    # When its owner closed it (status "closed"; for good: plaza.public_accounts.service.exits).
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The one neutral "moved to" notice of a closed account: an https URL or "@handle" of
    # another public account, nothing else. Changed at most
    # PLAZA_PUBLIC_ACCOUNT_MOVED_CHANGES times after it is first set (`moved_changes`).
    moved_to: Mapped[str | None] = mapped_column(String(200), nullable=True)
    moved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    moved_changes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class PublicAccountEditor(Base):
    __tablename__ = "public_account_editors"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("public_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Article(Base):
    """The current state of an article. `title`, `body`, `html` and `cover_media_id` are the
    latest revision's (a draft's working copy before it is first published)."""

    __tablename__ = "articles"
    __table_args__ = (
        # Published articles only: the feed reads each followed account's newest from it
        # alone (an index-only scan on PostgreSQL).
        Index(
            "ix_articles_account_published",
            "account_id",
            "published_at",
            "id",
            postgresql_where=text("status = 'published'"),
            sqlite_where=text("status = 'published'"),
        ),
        # Every article ever published, removed ones too (they still count): the daily
        # publishing limit counts an account's first publications of the last 24 hours from
        # it instead of reading the whole table.
        Index(
            "ix_articles_account_first_published",
            "account_id",
            "published_at",
            postgresql_where=text("published_at IS NOT NULL"),
            sqlite_where=text("published_at IS NOT NULL"),
        ),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("public_accounts.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # draft | published | removed
    status: Mapped[str] = mapped_column(String(16), default="draft")
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str] = mapped_column(Text, default="")
    cover_media_id: Mapped[int | None] = mapped_column(
        ForeignKey("media.id", ondelete="SET NULL"), nullable=True
    )
    revision: Mapped[int] = mapped_column(Integer, default=0)
    # The account topic's revision this article was announced with (None while a draft).
    seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    read_count: Mapped[int] = mapped_column(Integer, default=0)
    like_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set once, at the first publish: the feed's order and the daily publishing limit.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Set by moderation through the surface's registered callbacks: None (shown), "held"
    # (awaiting review: only its author sees it) or "removed" (a marker for everyone else).
    moderation: Mapped[str | None] = mapped_column(String(16), nullable=True, default=None)


class ArticleRevision(Base):
    """A published state of an article: the first publish and every edit after it. Kept for
    good (moderators will need them)."""

    __tablename__ = "article_revisions"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    cover_media_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ArticleRead(Base):
    """A signed-in reader who opened the article: each counts once."""

    __tablename__ = "article_reads"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ArticleLike(Base):
    __tablename__ = "article_likes"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Subscription(Base):
    __tablename__ = "public_account_subscriptions"
    __table_args__ = (Index("ix_pa_subscriptions_account", "account_id", "user_id"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("public_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SubscriberDay(Base):
    """Subscriptions and unsubscriptions of one account on one UTC day: the statistics'
    "subscribers over time" without scanning subscriptions."""

    __tablename__ = "public_account_subscriber_days"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("public_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    added: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)


class ArticleShare(Base):
    """An article shared into an item of another surface (a moment, later a chat message) as
    a card: the item names the article, and the card is drawn from the article's state when
    the item is shown (plaza.public_accounts.service.cards)."""

    __tablename__ = "article_shares"

    surface: Mapped[str] = mapped_column(String(16), primary_key=True)
    ref_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
