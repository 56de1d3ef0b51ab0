"""Articles shared into other surfaces as cards (title, cover, account, link).

The interface chat and moments use: `check_shareable` before storing an item that shares an
article, `record_share` in the same transaction, `cards_of` (or `cards_for`, by article id)
when showing items, `forget_share` when an item is deleted. A card follows the article: once
it is removed, or moderation holds or removes it (or closes its account), the card says
"removed" and shows nothing of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.errors import Invalid
from plaza.media.service import Executor, MediaRef, refs_of
from plaza.public_accounts.models import Article, ArticleShare, PublicAccount
from plaza.public_accounts.service.accounts import live
from plaza.public_accounts.service.views import article_url
from plaza.validation import ID_MAX


@dataclass(frozen=True)
class Card:
    article_id: int
    # "published": the article can be opened; "removed": taken down by its account or by
    # moderation (held for review too), or its account closed.
    state: str
    title: str | None = None
    cover: MediaRef | None = None
    account_handle: str | None = None
    account_name: str | None = None
    url: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "state": self.state,
            "title": self.title,
            "cover": self.cover.as_dict() if self.cover else None,
            "account": (
                {"handle": self.account_handle, "name": self.account_name}
                if self.account_handle
                else None
            ),
            "url": self.url,
        }


async def check_shareable(session: Executor, *, article_id: int) -> Card:
    """The card of the article shared; 422 `unknown_article` unless it names a published
    article of a live account that moderation hides from nobody."""
    card = None
    if 0 < article_id <= ID_MAX:
        card = (await cards_for(session, [article_id]))[article_id]
    if card is None or card.state != "published":
        raise Invalid(
            f"no published article has id {article_id}",
            code="unknown_article",
            field="article_id",
        )
    return card


async def record_share(
    session: AsyncSession, *, surface: str, ref_id: int, article_id: int
) -> None:
    session.add(ArticleShare(surface=surface, ref_id=ref_id, article_id=article_id))
    await session.flush()


async def record_shares(
    session: Executor, *, surface: str, shares: Sequence[tuple[int, int]]
) -> None:
    """Many items of one surface at once: (item id, article id)."""
    if shares:
        await session.execute(
            insert(ArticleShare),
            [{"surface": surface, "ref_id": r, "article_id": a} for r, a in shares],
        )


async def forget_share(session: AsyncSession, *, surface: str, ref_id: int) -> None:
    await session.execute(
        delete(ArticleShare).where(ArticleShare.surface == surface, ArticleShare.ref_id == ref_id)
    )


async def cards_for(session: Executor, article_ids: Sequence[int]) -> dict[int, Card]:
    """Cards of these articles, in a fixed number of queries: article id -> card. Core
    queries only, so chat's send path can ask on its transaction's connection."""
    if not article_ids:
        return {}
    rows = (
        await session.execute(
            select(
                Article.id,
                Article.title,
                Article.cover_media_id,
                PublicAccount.handle,
                PublicAccount.name,
            )
            .join(PublicAccount, PublicAccount.id == Article.account_id)
            .where(
                Article.id.in_(list(set(article_ids))),
                Article.status == "published",
                Article.moderation.is_(None),
                live(),
            )
        )
    ).all()
    covers = [row.cover_media_id for row in rows if row.cover_media_id is not None]
    refs = await refs_of(session, media_ids=covers)
    cards = {article_id: Card(article_id, "removed") for article_id in article_ids}
    for row in rows:
        cards[row.id] = Card(
            article_id=row.id,
            state="published",
            title=row.title,
            cover=refs.get(row.cover_media_id) if row.cover_media_id is not None else None,
            account_handle=row.handle,
            account_name=row.name,
            url=article_url(row.handle, row.id),
        )
    return cards


async def cards_of(session: Executor, *, surface: str, ref_ids: Sequence[int]) -> dict[int, Card]:
    """Cards of the items of `surface` that share an article: item id -> card."""
    if not ref_ids:
        return {}
    rows = await session.execute(
        select(ArticleShare.ref_id, ArticleShare.article_id).where(
            ArticleShare.surface == surface, ArticleShare.ref_id.in_(list(set(ref_ids)))
        )
    )
    shares = {ref_id: article_id for ref_id, article_id in rows}
    cards = await cards_for(session, list(shares.values()))
    return {ref_id: cards[article_id] for ref_id, article_id in shares.items()}
