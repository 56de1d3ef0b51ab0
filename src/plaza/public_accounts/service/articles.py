"""Writing articles: drafts, edits (a new revision once published), removal, revisions.

The body is Markdown, rendered and sanitized by plaza.public_accounts.render whenever it is
stored. Its pictures (`![alt](/api/v1/media/<id>)`) and the cover are attached to the article
(media surface "article"); a picture new to the article must be the editing person's upload.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.accounts.service.sessions import require_active, require_can_publish
from plaza.clock import Clock
from plaza.errors import Forbidden, Invalid, NotFound, TooLarge
from plaza.media.service import check_owned, detach, record_uses, refs_for
from plaza.moderation.setup import Moderation
from plaza.moderation.verdicts import ALLOW
from plaza.public_accounts import policies, render
from plaza.public_accounts.models import Article, ArticleRevision, PublicAccount
from plaza.public_accounts.policies import Role
from plaza.public_accounts.service.accounts import account_and_role, require_open, role_in
from plaza.public_accounts.service.screening import screen_article
from plaza.public_accounts.service.views import ARTICLE_SURFACE

NOT_FOUND = "no such article"


@dataclass(frozen=True)
class ArticleLimits:
    title_max: int
    body_max: int
    max_pictures: int


@dataclass(frozen=True)
class Content:
    title: str
    body: str
    html: str
    cover_media_id: int | None


def check_content(
    title: str, body: str, cover_media_id: int | None, limits: ArticleLimits
) -> Content:
    """The article's parts checked and rendered, or the 4xx saying what is wrong."""
    title = " ".join(title.split())
    if not title:
        raise Invalid("an article needs a title", field="title")
    if any(unicodedata.category(ch) == "Cc" for ch in title):
        raise Invalid("a title must not contain control characters", field="title")
    if len(title) > limits.title_max:
        raise Invalid(f"a title is at most {limits.title_max} characters", field="title")
    if len(body) > limits.body_max:
        raise TooLarge(
            f"an article body is at most {limits.body_max} characters, not {len(body)}",
            field="body",
        )
    return Content(title, body, render.render(body), cover_media_id)


def pictures_of(content: Content) -> list[int]:
    ids = [] if content.cover_media_id is None else [content.cover_media_id]
    return ids + [i for i in render.media_ids(content.html) if i != content.cover_media_id]


async def check_pictures(
    session: AsyncSession, *, article_id: int | None, editor_id: int, content: Content, limit: int
) -> list[int]:
    """The pictures the article would show, in order. Those it shows already stay allowed
    (another editor may have put them in); new ones must be the editor's uploads (422
    `unknown_media` otherwise, before anything is stored)."""
    ids = pictures_of(content)
    if len(ids) > limit:
        raise Invalid(f"an article shows at most {limit} pictures, not {len(ids)}", field="body")
    current: set[int] = set()
    if article_id is not None:
        refs = await refs_for(session, surface=ARTICLE_SURFACE, ref_ids=[article_id])
        current = {r.id for r in refs.get(article_id, [])}
    new = [i for i in ids if i not in current]
    await check_owned(session, owner_id=editor_id, media_ids=new, limit=limit)
    return ids


async def record_pictures(session: AsyncSession, *, article_id: int, ids: list[int]) -> None:
    await detach(session, surface=ARTICLE_SURFACE, ref_id=article_id)
    await record_uses(session, surface=ARTICLE_SURFACE, uses=[(article_id, ids)])


async def create_draft(
    session: AsyncSession,
    *,
    clock: Clock,
    user: User,
    handle: str,
    title: str,
    body: str,
    cover_media_id: int | None,
    limits: ArticleLimits,
) -> tuple[Article, Role]:
    require_active(user, now=clock.now())
    account, role = await account_and_role(session, handle=handle, user_id=user.id)
    if not policies.can_edit(role):
        raise Forbidden("only the account's owner and editors write its articles")
    require_open(account)
    content = check_content(title, body, cover_media_id, limits)
    pictures = await check_pictures(
        session, article_id=None, editor_id=user.id, content=content, limit=limits.max_pictures
    )
    now = clock.now()
    article = Article(
        account_id=account.id,
        author_id=user.id,
        status="draft",
        title=content.title,
        body=content.body,
        html=content.html,
        cover_media_id=content.cover_media_id,
        revision=0,
        read_count=0,
        like_count=0,
        created_at=now,
        updated_at=now,
    )
    session.add(article)
    await session.flush()
    await record_pictures(session, article_id=article.id, ids=pictures)
    await session.commit()
    return article, role


async def editable(
    session: AsyncSession, *, user_id: int, article_id: int
) -> tuple[Article, PublicAccount, Role]:
    """The article, if `user_id` edits its account: 404 for a draft (or a removed article)
    they may not see, 403 for a published one they see but do not edit."""
    article, account, role = await article_and_role(
        session, viewer_id=user_id, article_id=article_id
    )
    if not policies.can_edit(role):
        raise Forbidden("only the account's owner and editors change its articles")
    return article, account, role


async def article_and_role(
    session: AsyncSession, *, viewer_id: int | None, article_id: int
) -> tuple[Article, PublicAccount, Role]:
    """The article, its account and the viewer's role there, if the viewer may see the
    article (policies.can_see_article); otherwise 404, as for one that does not exist."""
    article = await session.get(Article, article_id)
    if article is None:
        raise NotFound(NOT_FOUND)
    account = await session.get(PublicAccount, article.account_id)
    if account is None:
        raise NotFound(NOT_FOUND)
    role = await role_in(session, account, viewer_id)
    account_visible = policies.can_see_account(
        status=account.status, moderation=account.moderation, role=role
    )
    if not policies.can_see_article(
        status=article.status,
        moderation=article.moderation,
        account_visible=account_visible,
        role=role,
    ):
        raise NotFound(NOT_FOUND)
    return article, account, role


def add_revision(article: Article, editor_id: int, clock: Clock) -> ArticleRevision:
    article.revision += 1
    return ArticleRevision(
        article_id=article.id,
        number=article.revision,
        editor_id=editor_id,
        title=article.title,
        body=article.body,
        html=article.html,
        cover_media_id=article.cover_media_id,
        created_at=clock.now(),
    )


async def edit(
    session: AsyncSession,
    *,
    clock: Clock,
    user: User,
    article_id: int,
    title: str | None,
    body: str | None,
    cover_media_id: int | None,
    clear_cover: bool,
    limits: ArticleLimits,
    moderation: Moderation | None = None,
) -> tuple[Article, Role]:
    """Change a draft in place; a published article gets a new revision (all are kept),
    screened (with `moderation`) before it is committed."""
    require_active(user, now=clock.now())
    article, account, role = await editable(session, user_id=user.id, article_id=article_id)
    require_open(account)
    if article.status == "published":  # a new revision is published at once
        require_can_publish(user, now=clock.now())
    cover = None if clear_cover else (cover_media_id or article.cover_media_id)
    content = check_content(
        article.title if title is None else title,
        article.body if body is None else body,
        cover,
        limits,
    )
    pictures = await check_pictures(
        session,
        article_id=article.id,
        editor_id=user.id,
        content=content,
        limit=limits.max_pictures,
    )
    await record_pictures(session, article_id=article.id, ids=pictures)
    article.title, article.body, article.html = content.title, content.body, content.html
    article.cover_media_id = content.cover_media_id
    article.updated_at = clock.now()
    verdict = ALLOW
    if article.status == "published":
        session.add(add_revision(article, user.id, clock))
        if moderation is not None:
            verdict = await screen_article(
                session, moderation, article=article, editor_id=user.id, pictures=pictures
            )
    await session.commit()
    await verdict.announce()
    return article, role


async def remove(session: AsyncSession, *, user: User, article_id: int) -> None:
    """Take an article down (a draft is discarded the same way). Its revisions stay for
    moderation; shared cards of it say it was removed."""
    article, _account, _role = await editable(session, user_id=user.id, article_id=article_id)
    article.status = "removed"
    await detach(session, surface=ARTICLE_SURFACE, ref_id=article.id)
    await session.commit()


async def revisions(
    session: AsyncSession, *, user_id: int, article_id: int
) -> list[ArticleRevision]:
    """Every published state of the article, newest first: for its owner and editors."""
    article, _account, _role = await editable(session, user_id=user_id, article_id=article_id)
    rows = await session.scalars(
        select(ArticleRevision)
        .where(ArticleRevision.article_id == article.id)
        .order_by(ArticleRevision.number.desc())
    )
    return list(rows)
