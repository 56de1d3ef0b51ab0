"""What stands at the address of something moderation took down: an article a moderator
removed (for its readers; the account's own people still see it, marked) and a public
account a moderator closed (for everyone: its pages, its articles and its Atom feed). Such a
page answers 410 Gone and says what happened, never a bare "not found".

Issue #12 adds what a tombstone must also say: the policy cited, the date, and whether an
appeal is pending or was decided. `Tombstone` is the one place those facts are gathered and
`tombstone.html` the one page that shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from plaza.public_accounts.models import Article, PublicAccount


@dataclass(frozen=True)
class Tombstone:
    kind: Literal["article", "account"]
    handle: str
    name: str  # the account's


def of_account(account: PublicAccount) -> Tombstone | None:
    """The tombstone of an account moderation closed, or None."""
    if account.status != "active" or account.moderation != "closed":
        return None
    return Tombstone("account", account.handle, account.name)


async def of_article(session: AsyncSession, article_id: int) -> Tombstone | None:
    """The tombstone at an article's address: its account's if moderation closed it, its
    own if moderation removed it; None otherwise (it is readable, held, or was never
    published: not a tombstone's business)."""
    article = await session.get(Article, article_id)
    if article is None or article.status != "published":
        return None
    account = await session.get(PublicAccount, article.account_id)
    if account is None or account.status != "active":
        return None
    stone = of_account(account)
    if stone is None and article.moderation == "removed":
        stone = Tombstone("article", account.handle, account.name)
    return stone
