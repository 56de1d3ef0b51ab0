"""Reading the facts the pure rules (plaza.moments.policies) decide on: about the viewer
(friends, blocks both ways, the labels they are in) and about moments (mode, named people and
labels). Each is one round trip, whatever the number of moments asked about."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Integer,
    bindparam,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import Block, FriendLabelMember, Friendship
from plaza.moments.models import Moment, MomentAudienceLabel, MomentAudienceUser
from plaza.moments.policies import MomentFacts, ViewerFacts


def _viewer_statement() -> CompoundSelect[Any]:
    user_id = bindparam("user_id", type_=Integer)
    return union_all(
        select(literal_column("'f'"), Friendship.friend_id).where(Friendship.user_id == user_id),
        select(literal_column("'b'"), Block.blocked_id).where(Block.blocker_id == user_id),
        select(literal_column("'b'"), Block.blocker_id).where(Block.blocked_id == user_id),
        select(literal_column("'l'"), FriendLabelMember.label_id).where(
            FriendLabelMember.user_id == user_id
        ),
    )


# Built once: a fresh statement per request cost more to build and cache-key than to run.
_VIEWER = _viewer_statement()


async def viewer_facts(session: AsyncSession, user_id: int) -> ViewerFacts:
    """One round trip: the viewer's friends, blocks either way, and labels they are in."""
    rows = await session.execute(_VIEWER, {"user_id": user_id})
    found: dict[str, set[int]] = {"f": set(), "b": set(), "l": set()}
    for kind, ref in rows.all():
        found[kind].add(ref)
    return ViewerFacts(user_id=user_id, friends=found["f"], blocked=found["b"], labels=found["l"])


async def moment_facts(session: AsyncSession, moments: Sequence[Moment]) -> dict[int, MomentFacts]:
    """Facts of these moments; the lists are read (in one query) only for "only" and
    "except" ones."""
    listed = [m.id for m in moments if m.visibility in ("only", "except")]
    named: dict[str, dict[int, set[int]]] = {"u": {}, "l": {}}
    if listed:
        rows = await session.execute(
            union_all(
                select(
                    literal("u"), MomentAudienceUser.moment_id, MomentAudienceUser.user_id
                ).where(MomentAudienceUser.moment_id.in_(listed)),
                select(
                    literal("l"), MomentAudienceLabel.moment_id, MomentAudienceLabel.label_id
                ).where(MomentAudienceLabel.moment_id.in_(listed)),
            )
        )
        for kind, moment_id, ref in rows:
            named[kind].setdefault(moment_id, set()).add(ref)
    return {
        m.id: MomentFacts(
            author_id=m.author_id,
            mode=m.visibility,
            users=frozenset(named["u"].get(m.id, ())),
            labels=frozenset(named["l"].get(m.id, ())),
            moderation=m.moderation,
        )
        for m in moments
    }


async def preview_ids(session: AsyncSession, *, author_id: int, count: int) -> set[int]:
    """The author's latest `count` "friends" moments that moderation hides from nobody: what
    a stranger may preview when PLAZA_MOMENTS_STRANGER_PREVIEW allows it."""
    if count <= 0:
        return set()
    return set(
        await session.scalars(
            select(Moment.id)
            .where(
                Moment.author_id == author_id,
                Moment.visibility == "friends",
                Moment.moderation.is_(None),
            )
            .order_by(Moment.id.desc())
            .limit(count)
        )
    )
