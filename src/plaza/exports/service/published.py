"""Sections of an archive: what the person published, moments and the comments they wrote,
public accounts and articles with every revision."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from plaza.accounts.models import User
from plaza.exports.service.common import Json, iso, pictures_of, usernames
from plaza.moments.models import Moment, MomentComment, MomentLike
from plaza.public_accounts.models import (
    Article,
    ArticleRevision,
    PublicAccount,
    PublicAccountEditor,
)


async def moments(session: AsyncSession, user: User) -> Json:
    """The person's moments (with how many comments and likes each has, not who wrote
    them), and the comments they wrote anywhere."""
    own = list(
        await session.scalars(select(Moment).where(Moment.author_id == user.id).order_by(Moment.id))
    )
    ids = [m.id for m in own]
    comment_counts = await _per_moment(session, MomentComment.moment_id, ids)
    like_counts = await _per_moment(session, MomentLike.moment_id, ids)
    pictures = await pictures_of(session, "moment", ids)
    written = list(
        await session.execute(
            select(MomentComment, Moment.author_id)
            .join(Moment, Moment.id == MomentComment.moment_id)
            .where(MomentComment.author_id == user.id)
            .order_by(MomentComment.id)
        )
    )
    names = await usernames(
        session,
        [author for _, author in written] + [c.reply_to_user_id for c, _ in written],
    )
    return {
        "moments": [
            {
                "id": m.id,
                "text": m.text,
                "visibility": m.visibility,
                "created_at": iso(m.created_at),
                "moderation": m.moderation,
                "pictures": pictures.get(m.id, []),
                "comment_count": comment_counts.get(m.id, 0),
                "like_count": like_counts.get(m.id, 0),
            }
            for m in own
        ],
        "comments": [
            {
                "id": c.id,
                "moment_id": c.moment_id,
                "moment_author": names.get(author),
                "reply_to": names.get(c.reply_to_user_id) if c.reply_to_user_id else None,
                "text": c.text,
                "created_at": iso(c.created_at),
                "moderation": c.moderation,
            }
            for c, author in written
        ],
    }


async def public_accounts(session: AsyncSession, user: User) -> Json:
    """The public accounts the person owns or edits, and the articles they wrote or edited,
    with every published revision."""
    edited = select(PublicAccountEditor.account_id).where(PublicAccountEditor.user_id == user.id)
    accounts = list(
        await session.scalars(
            select(PublicAccount)
            .where(or_(PublicAccount.owner_id == user.id, PublicAccount.id.in_(edited)))
            .order_by(PublicAccount.id)
        )
    )
    revised = select(ArticleRevision.article_id).where(ArticleRevision.editor_id == user.id)
    articles = list(
        await session.scalars(
            select(Article)
            .where(or_(Article.author_id == user.id, Article.id.in_(revised)))
            .order_by(Article.id)
        )
    )
    revisions: dict[int, list[ArticleRevision]] = defaultdict(list)
    if articles:
        for revision in await session.scalars(
            select(ArticleRevision)
            .where(ArticleRevision.article_id.in_([a.id for a in articles]))
            .order_by(ArticleRevision.article_id, ArticleRevision.number)
        ):
            revisions[revision.article_id].append(revision)
    handles = dict(
        (
            await session.execute(
                select(PublicAccount.id, PublicAccount.handle).where(
                    PublicAccount.id.in_({a.account_id for a in articles})
                )
            )
        ).all()
    )
    names = await usernames(
        session,
        [a.author_id for a in articles] + [r.editor_id for rs in revisions.values() for r in rs],
    )
    return {
        "accounts": [
            {
                "handle": a.handle,
                "name": a.name,
                "description": a.description,
                "role": "owner" if a.owner_id == user.id else "editor",
                "status": a.status,
                "moderation": a.moderation,
                "subscriber_count": a.subscriber_count,
                "created_at": iso(a.created_at),
            }
            for a in accounts
        ],
        "articles": [
            {
                "id": a.id,
                "account": handles.get(a.account_id),
                "author": names.get(a.author_id),
                "status": a.status,
                "moderation": a.moderation,
                "title": a.title,
                "body": a.body,
                "created_at": iso(a.created_at),
                "published_at": iso(a.published_at),
                "revisions": [
                    {
                        "number": r.number,
                        "editor": names.get(r.editor_id),
                        "title": r.title,
                        "body": r.body,
                        "created_at": iso(r.created_at),
                    }
                    for r in revisions[a.id]
                ],
            }
            for a in articles
        ],
    }


async def _per_moment(
    session: AsyncSession, moment_id: InstrumentedAttribute[int], ids: list[int]
) -> dict[int, int]:
    """How many rows (comments, likes) each of these moments has; none listed, none asked."""
    if not ids:
        return {}
    rows = await session.execute(
        select(moment_id, func.count()).where(moment_id.in_(ids)).group_by(moment_id)
    )
    return {key: count for key, count in rows.all()}
