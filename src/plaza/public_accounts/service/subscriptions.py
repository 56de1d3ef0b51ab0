"""Subscribing, my subscriptions, the feed, and subscriber statistics.

The feed is fanned out on read (design.md §5): the newest published articles of the accounts
I follow, walked through the (account_id, published_at, id) index; publishing writes nothing
per subscriber. Subscribing and unsubscribing also count into the account's day
(`SubscriberDay`) for the statistics, and tell my open connections to follow (or stop
following) the account's live topic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnClause,
    String,
    and_,
    delete,
    insert,
    literal_column,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.accounts.service.sessions import require_active
from plaza.bus import Bus
from plaza.clock import Clock
from plaza.errors import Forbidden
from plaza.live.envelope import pack, user_topic
from plaza.pagination import BeforeTimeAndId, decode_cursor, encode_cursor
from plaza.public_accounts import policies
from plaza.public_accounts.models import (
    Article,
    PublicAccount,
    SubscriberDay,
    Subscription,
)
from plaza.public_accounts.service.accounts import account_and_role, find, is_live, live
from plaza.public_accounts.service.publishing import topic
from plaza.public_accounts.service.views import ArticleView, article_views


async def _count_day(session: AsyncSession, account_id: int, day: date, *, added: int) -> None:
    column = SubscriberDay.added if added > 0 else SubscriberDay.removed
    changed = await session.execute(
        update(SubscriberDay)
        .where(SubscriberDay.account_id == account_id, SubscriberDay.day == day)
        .values({column.key: column + 1})
    )
    if not getattr(changed, "rowcount", 0):
        try:
            async with session.begin_nested():
                await session.execute(
                    insert(SubscriberDay).values(
                        account_id=account_id,
                        day=day,
                        added=1 if added > 0 else 0,
                        removed=0 if added > 0 else 1,
                    )
                )
        except IntegrityError:  # the day's row appeared meanwhile
            await session.execute(
                update(SubscriberDay)
                .where(SubscriberDay.account_id == account_id, SubscriberDay.day == day)
                .values({column.key: column + 1})
            )


async def set_subscribed(
    session: AsyncSession,
    *,
    clock: Clock,
    bus: Bus | None,
    user: User,
    handle: str,
    subscribed: bool,
) -> PublicAccount:
    """Subscribe or unsubscribe; idempotent. Only to an account one may see; leaving one
    that moderation hides, or that moderation or its owner closed, is always possible (its
    "moved to" notice stays in the feed until then)."""
    if subscribed:
        require_active(user, now=clock.now())
        account, _role = await account_and_role(session, handle=handle, user_id=user.id)
    else:
        account = await find(session, handle, closed=True)
    now = clock.now()
    changed = False
    if subscribed:
        try:
            async with session.begin_nested():
                session.add(Subscription(user_id=user.id, account_id=account.id, created_at=now))
            changed = True
        except IntegrityError:
            pass
    else:
        result = await session.execute(
            delete(Subscription).where(
                Subscription.user_id == user.id, Subscription.account_id == account.id
            )
        )
        changed = bool(getattr(result, "rowcount", 0))
    if changed:
        await session.execute(
            update(PublicAccount)
            .where(PublicAccount.id == account.id)
            .values(subscriber_count=PublicAccount.subscriber_count + (1 if subscribed else -1))
            .execution_options(synchronize_session=False)
        )
        await _count_day(session, account.id, now.date(), added=1 if subscribed else -1)
    seq = account.article_seq
    await session.commit()
    await session.refresh(account)
    if changed and bus is not None:
        if subscribed:
            await bus.publish(user_topic(user.id), pack(None, follow={topic(account.id): seq}))
        else:
            await bus.publish(topic(account.id), pack(None, unfollow_users=[user.id]))
    return account


async def my_subscriptions(
    session: AsyncSession, *, user_id: int, cursor: str | None, limit: int
) -> tuple[list[PublicAccount], str | None]:
    """Accounts I follow, the most recently followed first (those moderation hides or
    closed are left out, and come back with a restore)."""
    position = decode_cursor(cursor, BeforeTimeAndId)
    query = (
        select(PublicAccount, Subscription.created_at)
        .join(Subscription, Subscription.account_id == PublicAccount.id)
        .where(Subscription.user_id == user_id, live())
    )
    if position is not None:
        query = query.where(
            or_(
                Subscription.created_at < position.at,
                and_(Subscription.created_at == position.at, PublicAccount.id < position.id),
            )
        )
    rows = (
        await session.execute(
            query.order_by(Subscription.created_at.desc(), PublicAccount.id.desc()).limit(limit + 1)
        )
    ).all()
    if len(rows) > limit:
        last = rows[limit - 1]
        return [r[0] for r in rows[:limit]], encode_cursor(
            BeforeTimeAndId(at=last[1], id=last[0].id)
        )
    return [r[0] for r in rows], None


# The feed index's predicate as a literal, never a bound parameter. PostgreSQL matches a
# query to a partial index only if it can prove the index's WHERE from the query's: it can from
# `status = 'published'`, but from `status = $1` only in a plan made for the value at hand. A
# prepared statement (asyncpg prepares every one) may switch to a generic plan after five
# runs, and the feed then read the whole articles table once per followed account: 1.9 s
# instead of 14 ms for a reader of 500 accounts with 20 articles each (bench/publish.py --articles
# 20000).
PUBLISHED: ColumnClause[str] = literal_column("'published'", String)


def _feed_ids(user_id: int, position: BeforeTimeAndId | None, wanted: int, dialect: str) -> Any:
    """The ids of the newest published articles of the accounts `user_id` follows.

    PostgreSQL: for each subscription, the account's newest `wanted` articles from the
    (account_id, published_at, id) index (a LATERAL join), merged: bounded by subscriptions x
    page size, however many articles the accounts have. SQLite (no LATERAL): the followed
    accounts' rows from the same index, kept to the newest `wanted` by a top-N sort (about 3 ms
    for 500 accounts with 100 articles each in bench/publish.py)."""
    newer = [Article.status == PUBLISHED, Article.published_at.is_not(None)]
    if position is not None:
        newer.append(
            or_(
                Article.published_at < position.at,
                and_(Article.published_at == position.at, Article.id < position.id),
            )
        )
    newest = (Article.published_at.desc(), Article.id.desc())
    if dialect == "postgresql":
        recent = (
            select(Article.id, Article.published_at)
            .where(Article.account_id == Subscription.account_id, *newer)
            .order_by(*newest)
            .limit(wanted)
            .lateral("recent")
        )
        return (
            select(recent.c.id)
            .select_from(Subscription)
            .join(recent, true())
            .where(Subscription.user_id == user_id)
            .order_by(recent.c.published_at.desc(), recent.c.id.desc())
            .limit(wanted)
        )
    followed = select(Subscription.account_id).where(Subscription.user_id == user_id)
    return (
        select(Article.id)
        .where(Article.account_id.in_(followed), *newer)
        .order_by(*newest)
        .limit(wanted)
    )


async def feed(
    session: AsyncSession, *, user_id: int, cursor: str | None, limit: int
) -> tuple[list[ArticleView], str | None]:
    """The newest published articles of the accounts I follow, newest first; not those
    moderation hides (nor any of an account it holds or closed). They are dropped from the
    page after the page is chosen, so the index-only walk stays as it is (a page may then be
    shorter than `limit`; the cursor still continues after it)."""
    position = decode_cursor(cursor, BeforeTimeAndId)
    dialect = session.get_bind().dialect.name
    ids = list(await session.scalars(_feed_ids(user_id, position, limit + 1, dialect)))
    found = {a.id: a for a in await session.scalars(select(Article).where(Article.id.in_(ids)))}
    rows = [found[i] for i in ids if i in found]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        assert last.published_at is not None
        next_cursor = encode_cursor(BeforeTimeAndId(at=last.published_at, id=last.id))
    views = await article_views(session, rows, viewer_id=user_id)
    shown = [v for v in views if v.article.moderation is None and is_live(v.account.account)]
    return shown, next_cursor


@dataclass(frozen=True)
class DayCount:
    day: date
    subscribed: int
    unsubscribed: int
    total: int


@dataclass(frozen=True)
class ArticleReads:
    id: int
    title: str
    published_at: datetime | None
    read_count: int
    like_count: int
    moderation: str | None


@dataclass(frozen=True)
class Stats:
    subscriber_count: int
    days: list[DayCount]
    articles: list[ArticleReads]


async def subscriber_history(session: AsyncSession, account_id: int) -> list[DayCount]:
    """Subscriptions and unsubscriptions per UTC day, with the running total, oldest first:
    the statistics' chart and the account's export. No permission check (the caller's)."""
    days = await session.scalars(
        select(SubscriberDay)
        .where(SubscriberDay.account_id == account_id)
        .order_by(SubscriberDay.day)
    )
    total = 0
    counts = []
    for d in days:
        total += d.added - d.removed
        counts.append(DayCount(d.day, d.added, d.removed, total))
    return counts


async def stats(
    session: AsyncSession, *, user_id: int, handle: str, max_articles: int = 200
) -> Stats:
    """Subscribers per day (with the running total) and reads per published article: for the
    owner and editors."""
    account, role = await account_and_role(session, handle=handle, user_id=user_id)
    if not policies.can_edit(role):
        raise Forbidden("only the account's owner and editors see its statistics")
    counts = await subscriber_history(session, account.id)
    articles = await session.scalars(
        select(Article)
        .where(Article.account_id == account.id, Article.status == "published")
        .order_by(Article.id.desc())
        .limit(max_articles)
    )  # those moderation hides too, marked: this is for the account's own people
    return Stats(
        subscriber_count=account.subscriber_count,
        days=counts,
        articles=[
            ArticleReads(a.id, a.title, a.published_at, a.read_count, a.like_count, a.moderation)
            for a in articles
        ],
    )
