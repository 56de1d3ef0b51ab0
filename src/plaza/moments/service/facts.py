"""Reading the facts the pure rules (plaza.moments.policies) decide on: about the viewer
(friends, blocks both ways, the labels they are in) and about moments (mode, named people and
labels). Each is one indexed query, whatever the number of moments asked about."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, union
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import Block, FriendLabelMember, Friendship
from plaza.moments.models import Moment, MomentAudienceLabel, MomentAudienceUser
from plaza.moments.policies import MomentFacts, ViewerFacts


async def viewer_facts(session: AsyncSession, user_id: int) -> ViewerFacts:
    friends = set(
        await session.scalars(select(Friendship.friend_id).where(Friendship.user_id == user_id))
    )
    blocked = set(
        await session.scalars(
            union(
                select(Block.blocked_id).where(Block.blocker_id == user_id),
                select(Block.blocker_id).where(Block.blocked_id == user_id),
            )
        )
    )
    labels = set(
        await session.scalars(
            select(FriendLabelMember.label_id).where(FriendLabelMember.user_id == user_id)
        )
    )
    return ViewerFacts(user_id=user_id, friends=friends, blocked=blocked, labels=labels)


async def moment_facts(session: AsyncSession, moments: Sequence[Moment]) -> dict[int, MomentFacts]:
    """Facts of these moments; the lists are read only for "only" and "except" ones."""
    listed = [m.id for m in moments if m.visibility in ("only", "except")]
    users: dict[int, set[int]] = {}
    labels: dict[int, set[int]] = {}
    if listed:
        for moment_id, user_id in await session.execute(
            select(MomentAudienceUser.moment_id, MomentAudienceUser.user_id).where(
                MomentAudienceUser.moment_id.in_(listed)
            )
        ):
            users.setdefault(moment_id, set()).add(user_id)
        for moment_id, label_id in await session.execute(
            select(MomentAudienceLabel.moment_id, MomentAudienceLabel.label_id).where(
                MomentAudienceLabel.moment_id.in_(listed)
            )
        ):
            labels.setdefault(moment_id, set()).add(label_id)
    return {
        m.id: MomentFacts(
            author_id=m.author_id,
            mode=m.visibility,
            users=frozenset(users.get(m.id, ())),
            labels=frozenset(labels.get(m.id, ())),
        )
        for m in moments
    }


async def preview_ids(session: AsyncSession, *, author_id: int, count: int) -> set[int]:
    """The author's latest `count` "friends" moments: what a stranger may preview when
    PLAZA_MOMENTS_STRANGER_PREVIEW allows it."""
    if count <= 0:
        return set()
    return set(
        await session.scalars(
            select(Moment.id)
            .where(Moment.author_id == author_id, Moment.visibility == "friends")
            .order_by(Moment.id.desc())
            .limit(count)
        )
    )
