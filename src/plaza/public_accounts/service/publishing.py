"""Publishing a draft: one article row changes, whatever the number of subscribers, and one
event goes to the account's topic on the bus ("public_account:<id>") after commit.

The daily limit counts the account's articles first published in the last 24 hours (a rolling
window, stored, so it holds across nodes and restarts); over it, a 429 whose message and
`Retry-After` say when the oldest of them leaves the window. The account row's topic revision
is taken first, in the same transaction: it serializes publishes of one account, so two at
once cannot both slip under the limit. Any refusal rolls back: the draft stays as it was.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.accounts.service.sessions import require_can_publish
from plaza.bus import Bus
from plaza.clock import Clock
from plaza.errors import Invalid, RateLimited
from plaza.live.envelope import pack
from plaza.moderation.setup import Moderation
from plaza.moderation.verdicts import ALLOW
from plaza.public_accounts.models import Article, PublicAccount
from plaza.public_accounts.policies import Role
from plaza.public_accounts.service.accounts import is_live, require_open
from plaza.public_accounts.service.articles import (
    ArticleLimits,
    add_revision,
    check_content,
    check_pictures,
    editable,
)
from plaza.public_accounts.service.screening import screen_article
from plaza.public_accounts.service.views import article_url

PREFIX = "public_account:"
DAY = timedelta(days=1)


def topic(account_id: int) -> str:
    return f"{PREFIX}{account_id}"


def published_event(article: Article, account: PublicAccount) -> dict[str, Any]:
    """What online subscribers hear: enough to show a notice and link to the article."""
    return {
        "type": "article.published",
        "rev": article.seq,
        "account": {"handle": account.handle, "name": account.name},
        "article": {
            "id": article.id,
            "title": article.title,
            "url": article_url(account.handle, article.id),
            "published_at": article.published_at.isoformat() if article.published_at else None,
        },
    }


async def _check_daily_limit(
    session: AsyncSession, *, clock: Clock, account_id: int, per_day: int
) -> None:
    now = clock.now()
    # A removed article still counts (publishing and removing must not make room), so this
    # reads ix_articles_account_first_published, not the feed's index of published ones.
    count, oldest = (
        await session.execute(
            select(func.count(), func.min(Article.published_at)).where(
                Article.account_id == account_id, Article.published_at > now - DAY
            )
        )
    ).one()
    if count >= per_day and oldest is not None:
        reopens = oldest + DAY
        wait = max(1, math.ceil((reopens - now).total_seconds()))
        raise RateLimited(
            f"this account has published {count} articles in the last 24 hours, the most "
            f"allowed ({per_day}); publishing is possible again at "
            f"{reopens.isoformat(timespec='seconds')} (in {wait} s)",
            retry_after=wait,
        )


async def publish(
    session: AsyncSession,
    *,
    clock: Clock,
    bus: Bus | None,
    user: User,
    article_id: int,
    limits: ArticleLimits,
    per_day: int,
    moderation: Moderation | None = None,
) -> tuple[Article, Role]:
    """Publish a draft, screened (with `moderation`) in the same transaction: one held or
    removed is announced to nobody and read by the account's people alone."""
    require_can_publish(user, now=clock.now())
    article, account, role = await editable(session, user_id=user.id, article_id=article_id)
    require_open(account)
    if article.status != "draft":
        raise Invalid("the article is already published; edit it to make a new revision")
    try:
        # The settings may have changed since the draft was written: check it again. Its
        # pictures were recorded when it was written (create_draft, edit), and are the same.
        content = check_content(article.title, article.body, article.cover_media_id, limits)
        pictures = await check_pictures(
            session,
            article_id=article.id,
            editor_id=user.id,
            content=content,
            limit=limits.max_pictures,
        )
        seq = await session.scalar(
            update(PublicAccount)
            .where(PublicAccount.id == account.id)
            .values(article_seq=PublicAccount.article_seq + 1)
            .returning(PublicAccount.article_seq)
        )
        await _check_daily_limit(session, clock=clock, account_id=account.id, per_day=per_day)
    except BaseException:
        await session.rollback()
        raise
    now = clock.now()
    article.html = content.html
    article.status = "published"
    article.published_at = now
    article.updated_at = now
    article.seq = seq
    session.add(add_revision(article, user.id, clock))
    verdict = ALLOW
    if moderation is not None:
        verdict = await screen_article(
            session, moderation, article=article, editor_id=user.id, pictures=pictures
        )
    event = published_event(article, account)
    await session.commit()
    # Subscribers hear nothing of an article screening held or removed (their connections
    # only move past its revision, as the replay skips it), nor of an account moderation
    # holds (its articles are not theirs to see, its topic's replay refuses them).
    if bus is not None and is_live(account):
        hidden = article.moderation is not None
        await bus.publish(
            topic(account.id), pack(event, rev=seq, visible_to=[] if hidden else None)
        )
    await verdict.announce()
    return article, role
