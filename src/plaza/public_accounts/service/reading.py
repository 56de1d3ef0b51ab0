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
from plaza.public_accounts.service.accounts import account_and_role, role_in
from plaza.public_accounts.service.articles import NOT_FOUND
from plaza.public_accounts.service.views import ArticleView, article_views


async def visible(
    session: AsyncSession, *, viewer_id: int | None, article_id: int
) -> tuple[Article, Role]:
    """The article if the viewer may read it (published, or a draft of theirs), else 404."""
    article = await session.get(Article, article_id)
    if article is None:
        raise NotFound(NOT_FOUND)
    account = await session.get(PublicAccount, article.account_id)
    if account is None:
        raise NotFound(NOT_FOUND)
    role = await role_in(session, account, viewer_id)
    if not policies.can_see_article(
        status=article.status, account_active=account.status == "active", role=role
    ):
        raise NotFound(NOT_FOUND)
    return article, role


async def read(
    session: AsyncSession, *, clock: Clock, viewer_id: int | None, article_id: int
) -> ArticleView:
    """The article, counting the read (see the module's note)."""
    article, role = await visible(session, viewer_id=viewer_id, article_id=article_id)
    if article.status == "published":
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
    """`account_articles` for an account (and the viewer's role) already looked up."""
    position = decode_cursor(cursor, BeforeId)
    if drafts and not policies.can_edit(role):
        return [], None
    query = select(Article).where(
        Article.account_id == account.id, Article.status == ("draft" if drafts else "published")
    )
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
    require_active(user)
    article, role = await visible(session, viewer_id=user.id, article_id=article_id)
    if article.status != "published":
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
    public (signed-out viewers come as id 0); a draft's are for its account's editors."""
    rows = (
        await session.execute(
            select(Article.status, PublicAccount.owner_id, PublicAccount.id)
            .join(PublicAccount, PublicAccount.id == Article.account_id)
            .where(Article.id.in_(list(article_ids)), PublicAccount.status == "active")
        )
    ).all()
    if any(status == "published" for status, _, _ in rows):
        return True
    drafts = {account_id for status, owner, account_id in rows if status == "draft"}
    if any(owner == viewer_id for status, owner, _ in rows if status == "draft"):
        return True
    if not drafts or viewer_id <= 0:
        return False
    editor = await session.scalar(
        select(PublicAccountEditor.user_id).where(
            PublicAccountEditor.account_id.in_(drafts), PublicAccountEditor.user_id == viewer_id
        )
    )
    return editor is not None


async def avatar_public(session: AsyncSession, _viewer_id: int, account_ids: Sequence[int]) -> bool:
    """The media "public_account" check: a live account's avatar is public."""
    found = await session.scalar(
        select(PublicAccount.id).where(
            PublicAccount.id.in_(list(account_ids)), PublicAccount.status == "active"
        )
    )
    return found is not None
