"""What stands at the address of something moderation took down: an article a moderator
removed (for its readers; the account's own people still see it, marked) and a public
account a moderator closed (for everyone: its pages, its articles and its Atom feed). Such a
page answers 410 Gone and says what happened, never a bare "not found".

A tombstone also says what moderation's public record holds (issue #12): the policy and
clause cited, the date, and whether an appeal is pending or was decided, never a bare "this
violated our policies" (`moderation.service.public_record`: no reporter, no moderator, no
explanation meant for the author). `Tombstone` is the one place those facts are gathered and
`tombstone.html` the one page that shows them (the Atom feed's 410 says them in its message).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from plaza.moderation.service.public_record import PublicRecord, latest_enforcement
from plaza.moderation.setup import Moderation
from plaza.public_accounts.models import Article, PublicAccount


@dataclass(frozen=True)
class Tombstone:
    kind: Literal["article", "account"]
    handle: str
    name: str  # the account's
    # The enforcement that took it down, as the public may know it; None when moderation
    # keeps no action for it (its state was set by other means).
    record: PublicRecord | None

    def summary(self) -> str:
        """What happened, in words: for answers that carry only a message (the feed's 410)."""
        what = "This article was removed" if self.kind == "article" else "This account was closed"
        if self.record is None:
            return f"{what} by a moderator."
        who = "by automated moderation" if self.record.automated else "by a moderator"
        return f"{what} {who} {self.record.summary()}"


def closed(account: PublicAccount) -> bool:
    """Whether moderation closed the account (its pages and feed are a tombstone)."""
    return account.status == "active" and account.moderation == "closed"


async def of_account(
    session: AsyncSession, moderation: Moderation, account: PublicAccount
) -> Tombstone | None:
    """The tombstone of an account moderation closed, or None."""
    if not closed(account):
        return None
    record = await latest_enforcement(
        session, moderation=moderation, surface="public_account", ref_id=account.id
    )
    return Tombstone("account", account.handle, account.name, record)


async def of_article(
    session: AsyncSession, moderation: Moderation, article_id: int
) -> Tombstone | None:
    """The tombstone at an article's address: its account's if moderation closed it, its
    own if moderation removed it; None otherwise (it is readable, held, or was never
    published: not a tombstone's business)."""
    article = await session.get(Article, article_id)
    if article is None or article.status != "published":
        return None
    account = await session.get(PublicAccount, article.account_id)
    if account is None or account.status != "active":
        return None
    stone = await of_account(session, moderation, account)
    if stone is None and article.moderation == "removed":
        record = await latest_enforcement(
            session, moderation=moderation, surface="article", ref_id=article.id
        )
        stone = Tombstone("article", account.handle, account.name, record)
    return stone
