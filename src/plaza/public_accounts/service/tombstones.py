"""What stands at the address of something moderation took down: an article a moderator
removed (for its readers; the account's own people still see it, marked) and a public
account a moderator closed (for everyone: its pages, its articles and its Atom feed). Such a
page answers 410 Gone and says what happened, never a bare "not found".

A tombstone also says what moderation's public record holds (issue #12): the policy and
clause cited, the date, and whether an appeal is pending or was decided, never a bare "this
violated our policies" (`moderation.service.public_record`: no reporter, no moderator, no
explanation meant for the author). `Tombstone` is the one place those facts are gathered and
`tombstone.html` the one page that shows them (the Atom feed's 410 says them in its message).

An account its owner closed (issue #13, `service.exits`) has a tombstone too, saying so and
when. Either kind of closed account may carry its one "moved to" notice (`Moved`), shown
unless the policy the closing decision cites forbids it (`forbidding_policy`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from plaza.moderation.catalogue import Policy
from plaza.moderation.service.public_record import PublicRecord, latest_enforcement
from plaza.moderation.setup import Moderation
from plaza.public_accounts.models import Article, PublicAccount


@dataclass(frozen=True)
class Moved:
    """A closed account's "moved to" notice, as its subscribers see it."""

    handle: str  # the closed account's
    name: str
    to: str  # an https URL, or "@handle" of another public account
    at: datetime

    @property
    def href(self) -> str:
        return f"/a/{self.to[1:]}" if self.to.startswith("@") else self.to

    def sentence(self) -> str:
        return f"{self.name} (@{self.handle}) has moved to {self.to}."


@dataclass(frozen=True)
class Tombstone:
    kind: Literal["article", "account"]
    handle: str
    name: str  # the account's
    # The enforcement that took it down, as the public may know it; None when moderation
    # keeps no action for it (its state was set by other means, or its owner closed it).
    record: PublicRecord | None
    closed_by: Literal["moderation", "owner"] = "moderation"
    closed_at: datetime | None = None  # when its owner closed it
    moved: Moved | None = None
    # False when the closing decision's policy forbids a moved notice (for its owner's page).
    moved_allowed: bool = True

    def summary(self) -> str:
        """What happened, in words: for answers that carry only a message (the feed's 410)."""
        what = "This article was removed" if self.kind == "article" else "This account was closed"
        if self.closed_by == "owner":
            text = f"{what} by its owner"
            text += f" on {self.closed_at:%Y-%m-%d}." if self.closed_at else "."
        elif self.record is None:
            text = f"{what} by a moderator."
        else:
            who = "by automated moderation" if self.record.automated else "by a moderator"
            text = f"{what} {who} {self.record.summary()}"
        if self.moved is not None:
            text += f" It has moved to {self.moved.to} (its owner's notice)."
        return text


def closed(account: PublicAccount) -> bool:
    """Whether moderation or its owner closed the account (its pages and feed are a
    tombstone)."""
    return account.moderation == "closed" or account.status == "closed"


def forbidding_policy(moderation: Moderation, record: PublicRecord | None) -> Policy | None:
    """The policy of a closing decision that forbids a moved notice, or None."""
    if record is None or record.policy_id is None:
        return None
    policy = moderation.catalogue.policy(record.policy_id)
    return policy if policy is not None and not policy.allows_moved_notice else None


async def closing_record(
    session: AsyncSession, moderation: Moderation, account: PublicAccount
) -> PublicRecord | None:
    """The moderation decision in force that closed the account, if moderation closed it."""
    if account.moderation != "closed":
        return None
    return await latest_enforcement(
        session, moderation=moderation, surface="public_account", ref_id=account.id
    )


async def of_account(
    session: AsyncSession, moderation: Moderation, account: PublicAccount
) -> Tombstone | None:
    """The tombstone of an account moderation or its owner closed, or None. Moderation's
    closing is what it says when both did (its record is the one the public should read)."""
    if not closed(account):
        return None
    record = await closing_record(session, moderation, account)
    allowed = forbidding_policy(moderation, record) is None
    moved = None
    if allowed and account.moved_to and account.moved_at:
        moved = Moved(account.handle, account.name, account.moved_to, account.moved_at)
    by_owner = account.moderation != "closed"
    return Tombstone(
        "account",
        account.handle,
        account.name,
        record,
        closed_by="owner" if by_owner else "moderation",
        closed_at=account.closed_at if by_owner else None,
        moved=moved,
        moved_allowed=allowed,
    )


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
    if account is None:
        return None
    stone = await of_account(session, moderation, account)
    if stone is None and article.moderation == "removed":
        record = await latest_enforcement(
            session, moderation=moderation, surface="article", ref_id=article.id
        )
        stone = Tombstone("article", account.handle, account.name, record)
    return stone
