"""A person's display name under moderation (the "profile" surface).

The name everyone sees is `users.display_name`, which every path that shows a person reads
(messages, moments, comments, lists, search). So hiding a name is done there, once: while it
is held or removed, `display_name` is the username and the name the person chose waits in
`hidden_display_name`; restoring puts it back exactly. Nothing else has to know. The person
themself still sees their chosen name, marked (`own_display_name`, GET /me).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User

# Gives a person a display name under screening, in the caller's transaction, and returns
# what to announce once it commits. Moderation's is plaza.accounts.moderation.name_screener:
# handed in by the routes, since moderation imports this domain and not the other way.
ScreenName = Callable[[AsyncSession, User, str], Awaitable[Callable[[], Awaitable[None]]]]


def own_display_name(user: User) -> str:
    """The name the person chose, whether or not others see it now."""
    return user.hidden_display_name or user.display_name


def show_display_name(user: User, name: str, state: str | None) -> None:
    """Give the person `name` under moderation state `state` (None: everyone sees it;
    "held" or "removed": others see the username, the person sees `name`, marked)."""
    if state is None:
        user.display_name, user.hidden_display_name = name, None
    else:
        user.display_name, user.hidden_display_name = user.username, name
    user.profile_moderation = state


async def set_state(session: AsyncSession, user_id: int, state: str | None) -> None:
    """Hide or restore the person's chosen display name, in the caller's transaction (an
    unknown person or the same state: no change). The surfaces' `set_state`
    (plaza.accounts.moderation); nothing is announced live: a name is read afresh wherever it
    is shown next."""
    user = await session.get(User, user_id)
    if user is None or user.profile_moderation == state:
        return
    show_display_name(user, own_display_name(user), state)
    await session.flush()
