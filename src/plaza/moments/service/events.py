"""Live events of moments, and each person's moments topic.

`moment.liked` and `moment.commented` go to the moment's author and to the person a comment
answers, on their own topic "moments:<user id>" (plaza.moments.live.MomentsSource). Each
event gets the next revision of that topic in the transaction that stores the like or
comment (a `MomentNotice` row), so a connection that missed some replays them in order, and
is published after commit. `moments.unseen` (the "new from friends" count) is a nudge on the
person's own un-revisioned topic: it carries a count, so a missed one needs no replay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.bus import Bus
from plaza.live.envelope import pack
from plaza.moments.models import MomentInbox, MomentNotice
from plaza.moments.service.views import CommentView, PersonData

PREFIX = "moments:"


def topic(user_id: int) -> str:
    return f"{PREFIX}{user_id}"


def person(user: PersonData) -> dict[str, str]:
    return {"username": user.username, "display_name": user.display_name}


def comment_json(view: CommentView) -> dict[str, Any]:
    """A comment in the shape of the API's CommentOut."""
    c = view.comment
    reply_to = None
    if view.reply_to is not None:
        reply_to = {"id": c.reply_to_id, **person(view.reply_to)}
    return {
        "id": c.id,
        "author": person(view.author),
        "text": c.text,
        "reply_to": reply_to,
        "created_at": c.created_at.isoformat(),
        "can_delete": view.can_delete,
        "moderation": c.moderation,
    }


def liked_event(rev: int, moment_id: int, liker: User) -> dict[str, Any]:
    return {"type": "moment.liked", "rev": rev, "moment_id": moment_id, "user": person(liker)}


def commented_event(rev: int, moment_id: int, view: CommentView) -> dict[str, Any]:
    return {
        "type": "moment.commented",
        "rev": rev,
        "moment_id": moment_id,
        "comment": comment_json(view),
    }


@dataclass(frozen=True)
class Notice:
    """A stored notice, to publish after commit."""

    user_id: int
    rev: int
    event: dict[str, Any]


async def next_rev(session: AsyncSession, user_id: int) -> int:
    """The next revision of the person's moments topic, taken in the caller's transaction
    (on PostgreSQL the inbox row stays locked until commit, so revisions commit in order)."""
    dialect = session.get_bind().dialect.name
    maker = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(
        maker(MomentInbox).values(user_id=user_id, rev=0).on_conflict_do_nothing()
    )
    rev = await session.scalar(
        update(MomentInbox)
        .where(MomentInbox.user_id == user_id)
        .values(rev=MomentInbox.rev + 1)
        .returning(MomentInbox.rev)
    )
    assert rev is not None
    return int(rev)


async def record(
    session: AsyncSession,
    *,
    user_id: int,
    kind: str,
    moment_id: int,
    actor_id: int,
    comment_id: int | None,
    now: datetime,
) -> int:
    """Store a notice for `user_id`; returns its revision."""
    rev = await next_rev(session, user_id)
    await session.execute(
        insert(MomentNotice).values(
            user_id=user_id,
            rev=rev,
            kind=kind,
            moment_id=moment_id,
            actor_id=actor_id,
            comment_id=comment_id,
            created_at=now,
        )
    )
    return rev


async def publish(bus: Bus | None, notices: list[Notice]) -> None:
    """After commit: each notice on its person's moments topic."""
    if bus is None:
        return
    for notice in notices:
        await bus.publish(topic(notice.user_id), pack(notice.event, rev=notice.rev))
