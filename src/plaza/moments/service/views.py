"""A page of moments as one viewer sees it: author, pictures, and only the likes and comments
the comment rule lets them see (plaza.moments.policies). A fixed number of queries per page,
whatever its length."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.accounts.service.users import users_by_id
from plaza.media.service import MediaRef, refs_for
from plaza.moments import policies
from plaza.moments.models import Moment, MomentComment, MomentLike
from plaza.moments.policies import MomentFacts, ViewerFacts
from plaza.public_accounts.service.cards import Card, cards_of

SURFACE = "moment"


@dataclass(frozen=True)
class Audience:
    """Who a moment is shared with, as its author sees it."""

    mode: str
    usernames: list[str]
    labels: list[int]


@dataclass(frozen=True)
class CommentView:
    comment: MomentComment
    author: User
    reply_to: User | None
    can_delete: bool


@dataclass(frozen=True)
class MomentView:
    moment: Moment
    author: User
    media: list[MediaRef]
    audience: Audience | None  # the author's view only
    likes: list[User]
    comments: list[CommentView]
    liked_by_me: bool
    can_delete: bool
    card: Card | None = None  # a shared public account article


def comment_view(
    viewer_id: int, comment: MomentComment, author_id: int, people: dict[int, User]
) -> CommentView:
    reply_to = people.get(comment.reply_to_user_id) if comment.reply_to_user_id else None
    return CommentView(
        comment=comment,
        author=people[comment.author_id],
        reply_to=reply_to,
        can_delete=policies.can_delete_comment(
            user_id=viewer_id, commenter_id=comment.author_id, moment_author_id=author_id
        ),
    )


async def render(
    session: AsyncSession,
    viewer: ViewerFacts,
    moments: Sequence[Moment],
    facts: dict[int, MomentFacts],
) -> list[MomentView]:
    """The views of `moments`, which the caller has checked the viewer may see."""
    if not moments:
        return []
    ids = [m.id for m in moments]
    likes: dict[int, list[int]] = {}
    for moment_id, user_id in await session.execute(
        select(MomentLike.moment_id, MomentLike.user_id)
        .where(MomentLike.moment_id.in_(ids))
        .order_by(MomentLike.created_at, MomentLike.user_id)
    ):
        if policies.can_see_interaction(viewer, actor_id=user_id):
            likes.setdefault(moment_id, []).append(user_id)
    comments: dict[int, list[MomentComment]] = {}
    for comment in await session.scalars(
        select(MomentComment).where(MomentComment.moment_id.in_(ids)).order_by(MomentComment.id)
    ):
        if policies.can_see_interaction(
            viewer, actor_id=comment.author_id, reply_to_user_id=comment.reply_to_user_id
        ):
            comments.setdefault(comment.moment_id, []).append(comment)
    wanted = {m.author_id for m in moments} | {u for us in likes.values() for u in us}
    for listed in comments.values():
        wanted |= {c.author_id for c in listed} | {c.reply_to_user_id or 0 for c in listed}
    for moment in moments:
        if moment.author_id == viewer.user_id:
            wanted |= facts[moment.id].users
    people = await users_by_id(session, wanted - {0})
    media = await refs_for(session, surface=SURFACE, ref_ids=ids)
    cards = await cards_of(session, surface=SURFACE, ref_ids=ids)
    views = []
    for moment in moments:
        own = moment.author_id == viewer.user_id
        liked = likes.get(moment.id, [])
        views.append(
            MomentView(
                moment=moment,
                author=people[moment.author_id],
                media=media.get(moment.id, []),
                audience=_audience(facts[moment.id], people) if own else None,
                likes=[people[u] for u in liked],
                comments=[
                    comment_view(viewer.user_id, c, moment.author_id, people)
                    for c in comments.get(moment.id, [])
                ],
                liked_by_me=viewer.user_id in liked,
                can_delete=own,
                card=cards.get(moment.id),
            )
        )
    return views


def _audience(facts: MomentFacts, people: dict[int, User]) -> Audience:
    names = sorted(people[u].username for u in facts.users if u in people)
    return Audience(mode=facts.mode, usernames=names, labels=sorted(facts.labels))
