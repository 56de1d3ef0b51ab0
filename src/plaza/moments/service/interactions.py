"""Likes and comments. Only the author and friends who may see a moment may like or comment
on it; each sees the others' interactions by the comment rule (plaza.moments.policies)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.accounts.service.sessions import require_active, require_can_publish
from plaza.accounts.service.users import users_by_id
from plaza.bus import Bus
from plaza.clock import Clock
from plaza.errors import Forbidden, Invalid, NotFound
from plaza.moderation.service.screening import screen
from plaza.moderation.setup import Moderation
from plaza.moderation.verdicts import ALLOW, Content
from plaza.moments import policies
from plaza.moments.models import Moment, MomentComment, MomentLike
from plaza.moments.policies import MomentFacts, ViewerFacts
from plaza.moments.service import events
from plaza.moments.service.facts import moment_facts, viewer_facts
from plaza.moments.service.reading import visible_moment
from plaza.moments.service.views import CommentView, comment_view

NO_COMMENT = "no such comment"


@dataclass(frozen=True)
class Likes:
    liked: bool
    likes: list[User]


async def _interactable(
    session: AsyncSession, user: User, moment_id: int, stranger_preview: int
) -> tuple[ViewerFacts, Moment, MomentFacts]:
    """The moment, if `user` may like and comment on it: 404 if they may not see it, 403 if
    they see it only as a stranger's preview. The caller checks that `user` may act."""
    viewer = await viewer_facts(session, user.id)
    moment = await visible_moment(
        session, viewer=viewer, moment_id=moment_id, stranger_preview=stranger_preview
    )
    facts = (await moment_facts(session, [moment]))[moment.id]
    if not policies.can_interact(viewer, facts):
        raise Forbidden("only the author's friends may like or comment on a moment")
    return viewer, moment, facts


async def _likes(session: AsyncSession, viewer: ViewerFacts, moment_id: int) -> Likes:
    ids = [
        user_id
        for user_id in await session.scalars(
            select(MomentLike.user_id)
            .where(MomentLike.moment_id == moment_id)
            .order_by(MomentLike.created_at, MomentLike.user_id)
        )
        if policies.can_see_interaction(viewer, actor_id=user_id)
    ]
    people = await users_by_id(session, set(ids))
    return Likes(liked=viewer.user_id in ids, likes=[people[i] for i in ids])


async def set_like(
    session: AsyncSession,
    *,
    clock: Clock,
    bus: Bus | None,
    user: User,
    moment_id: int,
    liked: bool,
    stranger_preview: int = 0,
) -> Likes:
    """Like (or unlike) a moment; idempotent. The author hears of a new like live."""
    require_active(user, now=clock.now())
    viewer, moment, facts = await _interactable(session, user, moment_id, stranger_preview)
    notices: list[events.Notice] = []
    if not liked:
        await session.execute(
            delete(MomentLike).where(
                MomentLike.moment_id == moment.id, MomentLike.user_id == user.id
            )
        )
        await session.commit()
    elif await session.get(MomentLike, (moment.id, user.id)) is None:
        now = clock.now()
        session.add(MomentLike(moment_id=moment.id, user_id=user.id, created_at=now))
        try:
            await session.flush()
        except IntegrityError:  # a like sent twice at once: the other one counted
            await session.rollback()
            return await _likes(session, viewer, moment.id)
        author = await viewer_facts(session, moment.author_id)
        if policies.hears_of(author, facts, actor_id=user.id):
            rev = await events.record(
                session,
                user_id=moment.author_id,
                kind="liked",
                moment_id=moment.id,
                actor_id=user.id,
                comment_id=None,
                now=now,
            )
            notices.append(
                events.Notice(moment.author_id, rev, events.liked_event(rev, moment.id, user))
            )
        await session.commit()
    await events.publish(bus, notices)
    return await _likes(session, viewer, moment.id)


async def add_comment(
    session: AsyncSession,
    *,
    clock: Clock,
    bus: Bus | None,
    user: User,
    moment_id: int,
    text: str,
    reply_to: int | None,
    max_chars: int,
    stranger_preview: int = 0,
    moderation: Moderation | None = None,
) -> CommentView:
    """Comment on a moment, or answer a comment the commenter can see (422 otherwise). The
    author and the person answered hear of it live, if they may see it themselves: not of a
    comment screening (`moderation`, in the same transaction) held or removed."""
    require_can_publish(user, now=clock.now())
    text = text.strip()
    if not text:
        raise Invalid("a comment needs text", field="text")
    if len(text) > max_chars:
        raise Invalid(f"a comment is at most {max_chars} characters", field="text")
    viewer, moment, facts = await _interactable(session, user, moment_id, stranger_preview)
    answered: MomentComment | None = None
    if reply_to is not None:
        answered = await session.get(MomentComment, reply_to)
        if (
            answered is None
            or answered.moment_id != moment.id
            or not policies.can_see_interaction(
                viewer,
                actor_id=answered.author_id,
                reply_to_user_id=answered.reply_to_user_id,
                moderation=answered.moderation,
            )
        ):
            raise Invalid(NO_COMMENT, code="unknown_comment", field="reply_to")
    now = clock.now()
    comment = MomentComment(
        moment_id=moment.id,
        author_id=user.id,
        text=text,
        reply_to_id=answered.id if answered else None,
        reply_to_user_id=answered.author_id if answered else None,
        created_at=now,
    )
    session.add(comment)
    await session.flush()
    verdict = ALLOW
    if moderation is not None:
        verdict = await screen(
            session,
            moderation=moderation,
            content=Content(
                surface="comment", ref_id=comment.id, author_id=user.id, text=text, public=True
            ),
        )
        comment.moderation = verdict.state
    people = await users_by_id(session, {user.id, moment.author_id} | _ids(answered))
    notices: list[events.Notice] = []
    for recipient_id in dict.fromkeys([moment.author_id, *_ids(answered)]):
        recipient = await viewer_facts(session, recipient_id)
        if not policies.hears_of(
            recipient,
            facts,
            actor_id=user.id,
            reply_to_user_id=comment.reply_to_user_id,
            moderation=comment.moderation,
        ):
            continue
        rev = await events.record(
            session,
            user_id=recipient_id,
            kind="commented",
            moment_id=moment.id,
            actor_id=user.id,
            comment_id=comment.id,
            now=now,
        )
        theirs = comment_view(recipient_id, comment, moment.author_id, people)
        notices.append(
            events.Notice(recipient_id, rev, events.commented_event(rev, moment.id, theirs))
        )
    await session.commit()
    await events.publish(bus, notices)
    await verdict.announce()
    return comment_view(user.id, comment, moment.author_id, people)


def _ids(comment: MomentComment | None) -> set[int]:
    return {comment.author_id} if comment is not None else set()


async def remove_comment(
    session: AsyncSession, *, user: User, moment_id: int, comment_id: int
) -> None:
    """The commenter, or the moment's author, deletes a comment (answers to it stay, still
    reading "to" its writer). Others who see it are refused (403); the rest get 404."""
    viewer = await viewer_facts(session, user.id)
    moment = await visible_moment(session, viewer=viewer, moment_id=moment_id)
    comment = await session.get(MomentComment, comment_id)
    if (
        comment is None
        or comment.moment_id != moment.id
        or not policies.can_see_interaction(
            viewer,
            actor_id=comment.author_id,
            reply_to_user_id=comment.reply_to_user_id,
            moderation=comment.moderation,
        )
    ):
        raise NotFound(NO_COMMENT)
    if not policies.can_delete_comment(
        user_id=user.id, commenter_id=comment.author_id, moment_author_id=moment.author_id
    ):
        raise Forbidden("only its writer or the moment's author may delete a comment")
    await session.execute(delete(MomentComment).where(MomentComment.id == comment.id))
    await session.commit()
