"""Friend labels (WeChat's tags): a person names groups of their friends ("family",
"colleagues") to choose who sees a moment.

A label holds friends only: naming a non-friend is refused (422 naming them), and
unfriending takes the person out of the other's labels (`forget_between`). A label is its
owner's alone; anyone else is told it does not exist (404).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import FriendLabel, FriendLabelMember, Friendship, User
from plaza.accounts.service.users import users_by_name
from plaza.clock import Clock
from plaza.errors import Conflict, Invalid, NotFound

if TYPE_CHECKING:
    from plaza.config import Settings

NAME_MAX = 32


@dataclass(frozen=True)
class LabelView:
    label: FriendLabel
    members: list[User]


@dataclass(frozen=True)
class LabelLimits:
    per_person: int
    members: int

    @classmethod
    def of(cls, settings: Settings) -> LabelLimits:
        return cls(settings.labels_per_person, settings.label_members_max)


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise Invalid("a label needs a name", field="name")
    if len(name) > NAME_MAX:
        raise Invalid(f"a label name is at most {NAME_MAX} characters", field="name")
    return name


async def friends_named(
    session: AsyncSession, *, user_id: int, usernames: Sequence[str], field: str
) -> list[User]:
    """The people called `usernames`, each of whom must be a friend of `user_id`; otherwise a
    422 naming the first who is not (an unknown name reads the same: no one learns who exists
    from it)."""
    found = await users_by_name(session, list(usernames))
    ids = {u.id for u in found.values()}
    friends: set[int] = set()
    if ids:
        friends = set(
            await session.scalars(
                select(Friendship.friend_id).where(
                    Friendship.user_id == user_id, Friendship.friend_id.in_(ids)
                )
            )
        )
    people: dict[int, User] = {}
    for name in usernames:
        person = found.get(name.lower())
        if person is None or person.id not in friends:
            raise Invalid(f"{name.lower()} is not your friend", code="not_a_friend", field=field)
        people[person.id] = person
    return list(people.values())


async def list_labels(session: AsyncSession, *, owner: User) -> list[LabelView]:
    labels = list(
        await session.scalars(
            select(FriendLabel).where(FriendLabel.owner_id == owner.id).order_by(FriendLabel.name)
        )
    )
    members = await _members(session, [label.id for label in labels])
    return [LabelView(label, members.get(label.id, [])) for label in labels]


async def _members(session: AsyncSession, label_ids: list[int]) -> dict[int, list[User]]:
    if not label_ids:
        return {}
    rows = await session.execute(
        select(FriendLabelMember.label_id, User)
        .join(User, User.id == FriendLabelMember.user_id)
        .where(FriendLabelMember.label_id.in_(label_ids))
        .order_by(User.username)
    )
    members: dict[int, list[User]] = {}
    for label_id, user in rows:
        members.setdefault(label_id, []).append(user)
    return members


async def _own_label(session: AsyncSession, *, owner: User, label_id: int) -> FriendLabel:
    label = await session.get(FriendLabel, label_id)
    if label is None or label.owner_id != owner.id:
        raise NotFound("no such label")
    return label


async def _set_members(
    session: AsyncSession, *, owner: User, label: FriendLabel, usernames: Sequence[str], most: int
) -> list[User]:
    if len(set(n.lower() for n in usernames)) > most:
        raise Invalid(f"a label holds at most {most} friends", field="members")
    people = await friends_named(session, user_id=owner.id, usernames=usernames, field="members")
    await session.execute(delete(FriendLabelMember).where(FriendLabelMember.label_id == label.id))
    if people:
        await session.execute(
            insert(FriendLabelMember), [{"label_id": label.id, "user_id": p.id} for p in people]
        )
    return sorted(people, key=lambda p: p.username)


async def _flush_named(session: AsyncSession, name: str) -> None:
    """Write the label's name now, so that a name the person already uses is a 409."""
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise Conflict(f"you already have a label called {name!r}", code="label_exists") from None


async def create_label(
    session: AsyncSession,
    *,
    clock: Clock,
    owner: User,
    name: str,
    usernames: Sequence[str],
    limits: LabelLimits,
) -> LabelView:
    name = _clean_name(name)
    count = await session.scalar(
        select(func.count()).select_from(FriendLabel).where(FriendLabel.owner_id == owner.id)
    )
    if (count or 0) >= limits.per_person:
        raise Invalid(f"you may keep at most {limits.per_person} labels", code="too_many_labels")
    label = FriendLabel(owner_id=owner.id, name=name, created_at=clock.now())
    session.add(label)
    await _flush_named(session, name)
    members = await _set_members(
        session, owner=owner, label=label, usernames=usernames, most=limits.members
    )
    await session.commit()
    return LabelView(label, members)


async def update_label(
    session: AsyncSession,
    *,
    owner: User,
    label_id: int,
    name: str | None,
    usernames: Sequence[str] | None,
    limits: LabelLimits,
) -> LabelView:
    """Rename a label and/or replace its members. Moments shared by label follow at once:
    their audience is read through the label whenever they are shown."""
    label = await _own_label(session, owner=owner, label_id=label_id)
    if name is not None:
        label.name = _clean_name(name)
        await _flush_named(session, label.name)
    if usernames is not None:
        members = await _set_members(
            session, owner=owner, label=label, usernames=usernames, most=limits.members
        )
    else:
        members = (await _members(session, [label.id])).get(label.id, [])
    await session.commit()
    return LabelView(label, members)


async def delete_label(session: AsyncSession, *, owner: User, label_id: int) -> None:
    """Delete a label. Moments that named it lose it from their audience (shared "only" with
    it: its members no longer see them; "except" it: they now do)."""
    label = await _own_label(session, owner=owner, label_id=label_id)
    await session.delete(label)
    await session.commit()


async def forget_between(session: AsyncSession, *, user_id: int, other_id: int) -> None:
    """Take two people out of each other's labels (they are no longer friends). Does not
    commit: part of the unfriending transaction."""
    own = select(FriendLabel.id).where(FriendLabel.owner_id == user_id)
    theirs = select(FriendLabel.id).where(FriendLabel.owner_id == other_id)
    await session.execute(
        delete(FriendLabelMember).where(
            or_(
                (FriendLabelMember.user_id == other_id) & FriendLabelMember.label_id.in_(own),
                (FriendLabelMember.user_id == user_id) & FriendLabelMember.label_id.in_(theirs),
            )
        )
    )


async def owned_label_ids(
    session: AsyncSession, *, owner_id: int, label_ids: Sequence[int]
) -> list[int]:
    """`label_ids` if every one is a label of `owner_id`'s, else a 422 naming the first that
    is not (someone else's label reads like one that does not exist)."""
    wanted = list(dict.fromkeys(label_ids))
    if not wanted:
        return []
    owned = set(
        await session.scalars(
            select(FriendLabel.id).where(
                FriendLabel.owner_id == owner_id, FriendLabel.id.in_(wanted)
            )
        )
    )
    for label_id in wanted:
        if label_id not in owned:
            raise Invalid(f"you have no label {label_id}", code="unknown_label", field="labels")
    return wanted
