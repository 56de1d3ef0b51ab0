"""Accounts' plug into moderation: a person ("user", what reports about someone name) and
their display name ("profile", what screening of a name change names) are both reached by
the person's id. Hiding either hides the display name: others see the username instead
(plaza.accounts.service.profiles); the person's status (suspend, close) is set through
`plaza.accounts.service.status`, not here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.accounts.service import profiles
from plaza.accounts.service.profiles import ScreenName
from plaza.moderation.service.screening import screen
from plaza.moderation.setup import Moderation
from plaza.moderation.surfaces import Snapshot, Surface
from plaza.moderation.verdicts import Content

SURFACES = ("profile", "user")


async def snapshot(surface: str, session: AsyncSession, user_id: int) -> Snapshot | None:
    """The person's chosen name (what a moderator judges), even while it is hidden."""
    user = await session.get(User, user_id)
    if user is None:
        return None
    return Snapshot(
        surface=surface,
        ref_id=user.id,
        author_id=user.id,
        text=profiles.own_display_name(user),
        title=user.username,
        url=f"/u/{user.username}",
        public=True,
        context={
            "username": user.username,
            "status": user.status,
            "joined_at": user.created_at.isoformat(),
        },
    )


async def can_view(session: AsyncSession, viewer_id: int, user_id: int) -> bool:
    """Anyone may see a person who exists, as `GET /users/{username}` shows them: across a
    block too. Blocks are invisible, so a 404 here would tell the blocked person; and the
    one who blocked a harasser is the first to report them."""
    return await session.get(User, user_id) is not None


def name_screener(moderation: Moderation) -> ScreenName:
    """Screening of display names (a sign-up, a change): the name is given first, so what
    moderation records and acts on is the new name; a held or removed one then shows as the
    username to everyone else."""

    async def screen_name(
        session: AsyncSession, user: User, name: str
    ) -> Callable[[], Awaitable[None]]:
        profiles.show_display_name(user, name, None)
        await session.flush()
        verdict = await screen(
            session,
            moderation=moderation,
            content=Content(
                surface="profile", ref_id=user.id, author_id=user.id, text=name, public=True
            ),
        )
        profiles.show_display_name(user, name, verdict.state)
        return verdict.announce

    return screen_name


def install(moderation: Moderation) -> None:
    """Accounts' moderation hook, called by create_app."""
    for name in SURFACES:
        moderation.surfaces.register(
            Surface(name, partial(snapshot, name), can_view, profiles.set_state)
        )
