"""Accounts and articles as readers see them, built for many at once (one query per kind of
thing, whatever the number of items)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import unescape

import nh3
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.media.service import MediaRef, refs_for
from plaza.public_accounts.models import Article, ArticleLike, PublicAccount
from plaza.public_accounts.policies import Role

ARTICLE_SURFACE = "article"
AVATAR_SURFACE = "public_account"
EXCERPT_CHARS = 140


@dataclass(frozen=True)
class AccountView:
    account: PublicAccount
    avatar: MediaRef | None
    subscribed: bool | None = None  # None: nobody signed in
    role: Role = None


@dataclass(frozen=True)
class ArticleView:
    article: Article
    account: AccountView
    cover: MediaRef | None
    liked: bool
    role: Role

    @property
    def url(self) -> str:
        return article_url(self.account.account.handle, self.article.id)

    @property
    def excerpt(self) -> str:
        return excerpt(self.article.html)


def article_url(handle: str, article_id: int) -> str:
    return f"/a/{handle}/{article_id}"


def excerpt(html: str) -> str:
    """The start of the article's text, for lists and cards."""
    text = " ".join(unescape(nh3.clean(html, tags=set())).split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


async def account_views(
    session: AsyncSession,
    accounts: Sequence[PublicAccount],
    *,
    subscribed: set[int] | None = None,
    roles: dict[int, Role] | None = None,
) -> list[AccountView]:
    avatars = await refs_for(session, surface=AVATAR_SURFACE, ref_ids=[a.id for a in accounts])
    return [
        AccountView(
            account=a,
            avatar=next(iter(avatars.get(a.id, [])), None),
            subscribed=None if subscribed is None else a.id in subscribed,
            role=(roles or {}).get(a.id),
        )
        for a in accounts
    ]


async def article_views(
    session: AsyncSession,
    articles: Sequence[Article],
    *,
    viewer_id: int | None,
    roles: dict[int, Role] | None = None,
) -> list[ArticleView]:
    """Views of these articles, in their order."""
    if not articles:
        return []
    account_ids = {a.account_id for a in articles}
    accounts = {
        a.id: a
        for a in await session.scalars(
            select(PublicAccount).where(PublicAccount.id.in_(account_ids))
        )
    }
    account_views_by_id = {
        v.account.id: v for v in await account_views(session, list(accounts.values()))
    }
    pictures = await refs_for(session, surface=ARTICLE_SURFACE, ref_ids=[a.id for a in articles])
    liked: set[int] = set()
    if viewer_id is not None:
        liked = set(
            await session.scalars(
                select(ArticleLike.article_id).where(
                    ArticleLike.user_id == viewer_id,
                    ArticleLike.article_id.in_([a.id for a in articles]),
                )
            )
        )
    views = []
    for article in articles:
        cover = next(
            (r for r in pictures.get(article.id, []) if r.id == article.cover_media_id), None
        )
        views.append(
            ArticleView(
                article=article,
                account=account_views_by_id[article.account_id],
                cover=cover,
                liked=article.id in liked,
                role=(roles or {}).get(article.account_id),
            )
        )
    return views
