"""Moderation's changes to articles and public accounts, and what moderators see of them.

Moderation holds, removes and restores articles, and holds, closes and reopens public
accounts, through the callbacks public accounts registered (plaza.public_accounts.moderation).
Each writes the `moderation` column in the caller's transaction and returns what to announce
after commit, on the account's live topic:

- an article: `article.held`, `article.removed` or `article.restored` (ids only, no revision:
  the topic's revisions number publications), so open feeds draw themselves again;
- an account: `public_account.held` or `public_account.closed` ends the topic for every
  follower at once (its replay refuses them too, so nothing more comes); a reopened account
  is followed again by each subscriber's next connection.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from plaza.bus import Bus
from plaza.live.envelope import pack
from plaza.moderation.surfaces import AfterCommit, ModerationState
from plaza.public_accounts import policies
from plaza.public_accounts.models import Article, PublicAccount
from plaza.public_accounts.service.accounts import is_live
from plaza.public_accounts.service.publishing import topic

ARTICLE_EVENTS: dict[str | None, str] = {
    "held": "article.held",
    "removed": "article.removed",
    None: "article.restored",
}


def _announcement(bus: Bus, account: PublicAccount, payload: bytes) -> AfterCommit:
    async def announce() -> None:
        await bus.publish(topic(account.id), payload)

    return announce


async def set_article_state(
    session: AsyncSession, article_id: int, state: ModerationState, *, bus: Bus
) -> AfterCommit | None:
    article = await session.get(Article, article_id)
    if article is None or article.moderation == state:
        return None
    account = await session.get(PublicAccount, article.account_id)
    assert account is not None  # articles go with their account (ON DELETE CASCADE)
    article.moderation = state
    await session.flush()
    if article.status != "published" or not is_live(account):
        return None  # its subscribers never heard of it
    event = {
        "type": ARTICLE_EVENTS[state],
        "account": {"handle": account.handle, "name": account.name},
        "article_id": article.id,
    }
    return _announcement(bus, account, pack(event))


async def set_account_state(
    session: AsyncSession, account_id: int, state: ModerationState, *, bus: Bus
) -> AfterCommit | None:
    account = await session.get(PublicAccount, account_id)
    stored = policies.account_state(state)
    if account is None or account.moderation == stored:
        return None
    was_live = is_live(account)
    account.moderation = stored
    await session.flush()
    if stored is None or not was_live:
        return None
    event = {
        "type": f"public_account.{stored}",
        "account": {"handle": account.handle, "name": account.name},
    }
    return _announcement(bus, account, pack(event, end=True))
