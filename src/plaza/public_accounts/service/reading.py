"""Reading articles: one article, an account's list, read counts and likes, and the media
check that makes the pictures of published articles and accounts public.

Read counts: a signed-in reader counts once per article, however often they open it (a row
in `article_reads`); a signed-out request counts each time (no cookie is set to tell readers
apart). Likes need a signed-in reader and count once each.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.accounts.service.sessions import require_active
from plaza.clock import Clock
from plaza.errors import NotFound
from plaza.pagination import BeforeId, decode_cursor, encode_cursor
from plaza.public_accounts import policies
from plaza.public_accounts.models import (
    Article,
    ArticleLike,
    ArticleRead,
    PublicAccount,
    PublicAccountEditor,
)
from plaza.public_accounts.policies import Role
from plaza.public_accounts.service.accounts import account_and_role, is_live, live
from plaza.public_accounts.service.articles import NOT_FOUND, article_and_role
from plaza.public_accounts.service.views import ArticleView, article_views


async def visible(
    session: AsyncSession, *, viewer_id: int | None, article_id: int
) -> tuple[Article, Role]:
    """The article if the viewer may read it (published, or a draft of theirs), else 404."""
    article, _account, role = await article_and_role(
        session, viewer_id=viewer_id, article_id=article_id
    )
    return article, role


async def read(
    session: AsyncSession, *, clock: Clock, viewer_id: int | None, article_id: int
) -> ArticleView:
    """The article, counting the read (see the module's note)."""
    article, role = await visible(session, viewer_id=viewer_id, article_id=article_id)
    if article.status == "published" and article.moderation is None:
        await _count_read(session, clock, article, viewer_id)
    [view] = await article_views(
        session, [article], viewer_id=viewer_id, roles={article.account_id: role}
    )
    return view


async def _count_read(
    session: AsyncSession, clock: Clock, article: Article, viewer_id: int | None
) -> None:
    if viewer_id is not None:
        try:
            async with session.begin_nested():
                session.add(
                    ArticleRead(article_id=article.id, user_id=viewer_id, created_at=clock.now())
                )
        except IntegrityError:
            return  # read before
    await session.execute(
        update(Article)
        .where(Article.id == article.id)
        .values(read_count=Article.read_count + 1)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    await session.refresh(article)


async def account_articles(
    session: AsyncSession,
    *,
    viewer_id: int | None,
    handle: str,
    drafts: bool,
    cursor: str | None,
    limit: int,
) -> tuple[list[ArticleView], str | None]:
    """An account's published articles, newest first; with `drafts`, its drafts instead
    (owner and editors only; anyone else gets none)."""
    account, role = await account_and_role(session, handle=handle, user_id=viewer_id)
    return await articles_of(
        session, account, role, viewer_id=viewer_id, drafts=drafts, cursor=cursor, limit=limit
    )


async def articles_of(
    session: AsyncSession,
    account: PublicAccount,
    role: Role,
    *,
    viewer_id: int | None,
    drafts: bool,
    cursor: str | None,
    limit: int,
) -> tuple[list[ArticleView], str | None]:
    """`account_articles` for an account (and the viewer's role) already looked up. Those
    moderation held or removed are listed for the owner and editors only (marked)."""
    position = decode_cursor(cursor, BeforeId)
    if drafts and not policies.can_edit(role):
        return [], None
    query = select(Article).where(
        Article.account_id == account.id, Article.status == ("draft" if drafts else "published")
    )
    if not policies.can_edit(role):
        query = query.where(Article.moderation.is_(None))
    if position is not None:
        query = query.where(Article.id < position.before)
    rows = list(await session.scalars(query.order_by(Article.id.desc()).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows, next_cursor = rows[:limit], encode_cursor(BeforeId(before=rows[limit - 1].id))
    views = await article_views(session, rows, viewer_id=viewer_id, roles={account.id: role})
    return views, next_cursor


async def set_like(
    session: AsyncSession, *, clock: Clock, user: User, article_id: int, liked: bool
) -> ArticleView:
    """Like or unlike a published article; idempotent."""
    require_active(user, now=clock.now())
    article, role = await visible(session, viewer_id=user.id, article_id=article_id)
    if article.status != "published" or article.moderation is not None:
        raise NotFound(NOT_FOUND)
    delta = 0
    if liked:
        try:
            async with session.begin_nested():
                session.add(
                    ArticleLike(article_id=article.id, user_id=user.id, created_at=clock.now())
                )
            delta = 1
        except IntegrityError:
            pass
    else:
        result = await session.execute(
            delete(ArticleLike).where(
                ArticleLike.article_id == article.id, ArticleLike.user_id == user.id
            )
        )
        delta = -int(getattr(result, "rowcount", 0) or 0)
    if delta:
        await session.execute(
            update(Article)
            .where(Article.id == article.id)
            .values(like_count=Article.like_count + delta)
            .execution_options(synchronize_session=False)
        )
    await session.commit()
    await session.refresh(article)
    [view] = await article_views(
        session, [article], viewer_id=user.id, roles={article.account_id: role}
    )
    return view


async def may_see_any(session: AsyncSession, viewer_id: int, article_ids: Sequence[int]) -> bool:
    """The media "article" check: pictures of a published article of a live account are
    public (signed-out viewers come as id 0); those of a draft, or of what moderation held,
    removed or closed, are for the account's owner and editors."""
    rows = (
        await session.execute(
            select(Article.status, Article.moderation, PublicAccount)
            .join(PublicAccount, PublicAccount.id == Article.account_id)
            .where(
                Article.id.in_(list(article_ids)),
                Article.status != "removed",
                PublicAccount.status == "active",
            )
        )
    ).all()
    if any(status == "published" and not mark and is_live(a) for status, mark, a in rows):
        return True
    # The rest (drafts, and what moderation hides) are for the accounts' owners and editors.
    accounts = {a.id: a for _, _, a in rows}
    if any(a.owner_id == viewer_id for a in accounts.values()):
        return True
    if not accounts or viewer_id <= 0:
        return False
    editor = await session.scalar(
        select(PublicAccountEditor.user_id).where(
            PublicAccountEditor.account_id.in_(list(accounts)),
            PublicAccountEditor.user_id == viewer_id,
        )
    )
    return editor is not None


async def avatar_public(session: AsyncSession, _viewer_id: int, account_ids: Sequence[int]) -> bool:
    """The media "public_account" check: a live account's avatar is public."""
    found = await session.scalar(
        select(PublicAccount.id).where(PublicAccount.id.in_(list(account_ids)), live())
    )
    return found is not None
