"""Moments' plug into the app and the live stream.

- `MomentsSource`: each person's own topic "moments:<user id>" (resume key `moments`), on
  which they hear `moment.liked` and `moment.commented` about their moments and comments,
  and what moderation did to them (`moment.held`, `comment.removed`, ...).
  Its events have gap-free revisions stored with the like or comment
  (plaza.moments.service.events), so a client resuming with `{"moments": {"<my id>": rev}}`
  gets what it missed, each event checked again against the rules (a like taken back, a
  deleted moment or comment, or someone no longer a friend: skipped).
- `UnseenNudges`: after a moment is posted, each friend who may see it is told the new
  "new from friends" count (`moments.unseen`) on their personal topic. It runs after the
  answer, off the request: one count per friend is too much to make the author wait for.
- `install`: registers both, and the media "moment" viewer check, when the app is built.
"""

from __future__ import annotations

import asyncio
import logging

import orjson
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from plaza.accounts.service.users import users_by_id
from plaza.bus import Bus
from plaza.live.envelope import pack, user_topic
from plaza.live.sources import Replay
from plaza.media.access import ViewerChecks
from plaza.moments import policies
from plaza.moments.models import Moment, MomentComment, MomentInbox, MomentLike, MomentNotice
from plaza.moments.service import events, moderation_state, reading
from plaza.moments.service.facts import moment_facts, viewer_facts
from plaza.moments.service.views import SURFACE, comment_view
from plaza.runtime import Runtime

log = logging.getLogger(__name__)


class MomentsSource:
    prefix = events.PREFIX
    resume_key = "moments"

    async def followed(self, session: AsyncSession, *, user_id: int) -> dict[str, int]:
        rev = await session.scalar(select(MomentInbox.rev).where(MomentInbox.user_id == user_id))
        return {events.topic(user_id): rev or 0}

    async def replay(
        self, session: AsyncSession, *, user_id: int, topic: str, after: int, limit: int
    ) -> Replay:
        if topic != events.topic(user_id):
            return Replay(allowed=False)
        head = (
            await session.scalar(
                select(func.max(MomentNotice.rev)).where(MomentNotice.user_id == user_id)
            )
            or 0
        )
        if head - after > limit:
            reset = {
                "type": "moments.reset",
                "rev": head,
                "reason": f"more than {limit} events were missed; reload",
            }
            return Replay(reset=orjson.dumps(reset).decode(), head=head)
        notices = list(
            await session.scalars(
                select(MomentNotice)
                .where(MomentNotice.user_id == user_id, MomentNotice.rev > after)
                .order_by(MomentNotice.rev)
            )
        )
        return Replay(events=await _replayed(session, user_id, notices))


async def _replayed(
    session: AsyncSession, user_id: int, notices: list[MomentNotice]
) -> list[tuple[int, str | None]]:
    """Each notice as its event again, or None where the rules would no longer tell it."""
    if not notices:
        return []
    recipient = await viewer_facts(session, user_id)
    moments = {
        m.id: m
        for m in await session.scalars(
            select(Moment).where(Moment.id.in_({n.moment_id for n in notices}))
        )
    }
    facts = await moment_facts(session, list(moments.values()))
    comment_ids = {n.comment_id for n in notices if n.comment_id is not None}
    comments = {
        c.id: c
        for c in await session.scalars(
            select(MomentComment).where(MomentComment.id.in_(comment_ids))
        )
    }
    likes = {
        (moment_id, liker)
        for moment_id, liker in await session.execute(
            select(MomentLike.moment_id, MomentLike.user_id).where(
                MomentLike.moment_id.in_(list(moments))
            )
        )
    }
    wanted = {n.actor_id for n in notices} | {m.author_id for m in moments.values()}
    wanted |= {c.reply_to_user_id for c in comments.values() if c.reply_to_user_id}
    people = await users_by_id(session, wanted)
    out: list[tuple[int, str | None]] = []
    for notice in notices:
        moment = moments.get(notice.moment_id)
        event = None
        if moment is None:
            pass
        elif notice.kind in moderation_state.MOMENT_KINDS | moderation_state.COMMENT_KINDS:
            event = moderation_state.replayed(
                notice.kind,
                notice.rev,
                moment.id,
                notice.comment_id,
                comment_exists=notice.comment_id in comments,
            )
        elif notice.kind == "liked" and (moment.id, notice.actor_id) in likes:
            if policies.hears_of(recipient, facts[moment.id], actor_id=notice.actor_id):
                event = events.liked_event(notice.rev, moment.id, people[notice.actor_id])
        elif notice.kind == "commented" and notice.comment_id in comments:
            comment = comments[notice.comment_id]
            if policies.hears_of(
                recipient,
                facts[moment.id],
                actor_id=comment.author_id,
                reply_to_user_id=comment.reply_to_user_id,
                moderation=comment.moderation,
            ):
                view = comment_view(user_id, comment, moment.author_id, people)
                event = events.commented_event(notice.rev, moment.id, view)
        out.append((notice.rev, orjson.dumps(event).decode() if event is not None else None))
    return out


class UnseenNudges:
    """Tells friends the new "new from friends" count after a post, off the request: one
    worker per process takes posts in order, so a burst of posts costs the database one
    friend's count at a time."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], bus: Bus) -> None:
        self._sessions = sessions
        self._bus = bus
        self._queue: asyncio.Queue[int] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None

    def after_post(self, moment_id: int) -> None:
        self._queue.put_nowait(moment_id)
        if self._worker is None:
            self._worker = asyncio.ensure_future(self._work())

    async def _work(self) -> None:
        while True:
            moment_id = await self._queue.get()
            try:
                await self._nudge(moment_id)
            except Exception:  # a courtesy: the count is right on the next read anyway
                log.warning("could not tell friends of moment %d", moment_id, exc_info=True)

    async def _nudge(self, moment_id: int) -> None:
        async with self._sessions() as session:
            for friend_id in await reading.audience(session, moment_id=moment_id):
                count = await reading.unseen_count(session, viewer_id=friend_id)
                event = {"type": "moments.unseen", "count": count}
                await self._bus.publish(user_topic(friend_id), pack(event))

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)


def nudges_of(app: FastAPI) -> UnseenNudges:
    nudges: UnseenNudges = app.state.moments_nudges
    return nudges


def install(app: FastAPI, runtime: Runtime, media_access: ViewerChecks) -> None:
    """Moments' start-up hook, called by create_app."""
    runtime.hub.register(MomentsSource())
    media_access.register(SURFACE, reading.may_see_any)
    app.state.moments_nudges = UnseenNudges(runtime.sessions, runtime.bus)
