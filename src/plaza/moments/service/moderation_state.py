"""Moderation's changes to moments and comments, and what moderators see of them.

Moderation holds, removes and restores moments and comments through the callbacks moments
registered (plaza.moments.moderation); `set_state` writes the `moderation` column in the
caller's transaction and returns what to announce after commit:

- to the author (and, for a comment, whoever was told of it: the moment's author, the person
  it answers), on their own moments topic with its next revision, a stored notice like a
  like's (`moment.held`, `moment.removed`, `moment.restored`, and `comment.*` the same), so a
  reconnect replays it;
- to every friend who may see the moment, on their personal topic, the same event without a
  revision: a page that shows the moment draws it again (or drops it).

The events carry ids only: what a screen then shows is asked for afresh, under the rules.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.bus import Bus
from plaza.clock import Clock
from plaza.live.envelope import pack, user_topic
from plaza.moderation.surfaces import AfterCommit, ModerationState
from plaza.moments.models import Moment, MomentComment, MomentNotice
from plaza.moments.service import events, reading

# The event type of each state, which is also the kind of its stored notice.
STATES: dict[str | None, str] = {"held": "held", "removed": "removed", None: "restored"}
MOMENT_KINDS = frozenset(f"moment.{change}" for change in STATES.values())
COMMENT_KINDS = frozenset(f"comment.{change}" for change in STATES.values())


def event_of(kind: str, moment_id: int, comment_id: int | None, rev: int | None) -> dict[str, Any]:
    event: dict[str, Any] = {"type": kind, "moment_id": moment_id}
    if comment_id is not None:
        event["comment_id"] = comment_id
    if rev is not None:
        event["rev"] = rev
    return event


async def _announce(
    session: AsyncSession,
    *,
    bus: Bus,
    now: datetime,
    kind: str,
    moment: Moment,
    comment_id: int | None,
    told: list[int],
) -> AfterCommit:
    """Store a notice for each of `told` and find the moment's audience, in the caller's
    transaction; the announcement publishes them after commit."""
    notices = []
    for user_id in dict.fromkeys(told):
        rev = await events.record(
            session,
            user_id=user_id,
            kind=kind,
            moment_id=moment.id,
            actor_id=moment.author_id,
            comment_id=comment_id,
            now=now,
        )
        notices.append(events.Notice(user_id, rev, event_of(kind, moment.id, comment_id, rev)))
    others = [
        friend
        for friend in await reading.audience(session, moment_id=moment.id, as_shown=True)
        if friend not in told
    ]
    nudge = pack(event_of(kind, moment.id, comment_id, None))

    async def announce() -> None:
        await events.publish(bus, notices)
        for friend in others:
            await bus.publish(user_topic(friend), nudge)

    return announce


async def set_moment_state(
    session: AsyncSession, moment_id: int, state: ModerationState, *, bus: Bus, clock: Clock
) -> AfterCommit | None:
    moment = await session.get(Moment, moment_id)
    if moment is None or moment.moderation == state:
        return None
    moment.moderation = state
    await session.flush()
    kind = f"moment.{STATES[state]}"
    return await _announce(
        session,
        bus=bus,
        now=clock.now(),
        kind=kind,
        moment=moment,
        comment_id=None,
        told=[moment.author_id],
    )


async def set_comment_state(
    session: AsyncSession, comment_id: int, state: ModerationState, *, bus: Bus, clock: Clock
) -> AfterCommit | None:
    comment = await session.get(MomentComment, comment_id)
    if comment is None or comment.moderation == state:
        return None
    moment = await session.get(Moment, comment.moment_id)
    assert moment is not None  # comments go with their moment (ON DELETE CASCADE)
    comment.moderation = state
    await session.flush()
    # Its writer, and whoever was told of it (moment.commented): never someone who did not
    # know of it (one screening held at once was announced to nobody).
    heard = await session.scalars(
        select(MomentNotice.user_id).where(
            MomentNotice.comment_id == comment.id, MomentNotice.kind == "commented"
        )
    )
    return await _announce(
        session,
        bus=bus,
        now=clock.now(),
        kind=f"comment.{STATES[state]}",
        moment=moment,
        comment_id=comment.id,
        told=[comment.author_id, *heard],
    )


def replayed(
    kind: str, rev: int, moment_id: int, comment_id: int | None, comment_exists: bool
) -> dict[str, Any] | None:
    """A stored moderation notice as its event again (None for a comment deleted since)."""
    if kind in COMMENT_KINDS and not comment_exists:
        return None
    return event_of(kind, moment_id, comment_id if kind in COMMENT_KINDS else None, rev)
