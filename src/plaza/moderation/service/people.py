"""A person as something moderation can be told about: the "user" subject.

Reporting a person (their name, their behaviour as a whole) opens a case about them rather
than about one item. Accounts lie below moderation, so moderation registers this subject
itself, through the same `Surface` interface the surfaces use: its snapshot is the profile as
it stands (username, display name, standing), anyone not blocking or blocked by the person may
report them, and a person has no moderation state of their own to set (what a moderator does
to a person, restrict, suspend, close, goes through the accounts service instead).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.service.friends import is_blocked
from plaza.accounts.service.users import users_by_id
from plaza.moderation.surfaces import AfterCommit, ModerationState, Snapshot, Surface, Surfaces

PERSON = "user"


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


async def _snapshot(session: AsyncSession, user_id: int) -> Snapshot | None:
    person = (await users_by_id(session, {user_id})).get(user_id)
    if person is None:
        return None
    return Snapshot(
        surface=PERSON,
        ref_id=person.id,
        author_id=person.id,
        text=person.display_name,
        title=person.username,
        url=f"/u/{person.username}",
        public=True,
        context={
            "status": person.status,
            "joined": _when(person.created_at),
            "suspended_until": _when(person.suspended_until),
            "restricted_until": _when(person.restricted_until),
        },
    )


async def _can_view(session: AsyncSession, viewer_id: int, user_id: int) -> bool:
    """Blocks are invisible both ways (design.md §9): a person one blocks, or who blocks one,
    cannot be reported, just as their profile cannot be found."""
    if not (await users_by_id(session, {user_id})):
        return False
    if viewer_id == user_id:
        return True
    for blocker, blocked in ((viewer_id, user_id), (user_id, viewer_id)):
        if await is_blocked(session, blocker_id=blocker, blocked_id=blocked):
            return False
    return True


async def _set_state(session: AsyncSession, user_id: int, state: ModerationState) -> AfterCommit:
    raise LookupError("a person has no moderation state; act through their account status")


SUBJECT = Surface(name=PERSON, snapshot=_snapshot, can_view=_can_view, set_state=_set_state)


def register_unless_present(surfaces: Surfaces) -> None:
    """Called after the surfaces' hooks: one that knows people better may have registered
    the "user" subject already, and then that one serves."""
    if PERSON not in surfaces:
        surfaces.register(SUBJECT)
