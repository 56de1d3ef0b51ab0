"""Who may reach the moderation routes: moderators (and admins), and admins alone for the
audit log.

Anyone else who is signed in gets the very 404 an unknown address gets (`not_found`, "Not
Found"), so a member cannot even tell that the moderator console exists; a signed-out caller
gets the usual 401 first. These are dependencies, so they run before the route's parameters
and body are checked: a member's malformed request is the same 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from plaza.accounts.models import User
from plaza.deps import CurrentUser
from plaza.errors import NotFound

MODERATOR_ROLES = ("moderator", "admin")
ADMIN_ROLES = ("admin",)
# What Starlette answers for a path no route serves (see plaza.web.errors.http_error).
NO_SUCH_ROUTE = "Not Found"


def is_moderator(user: User) -> bool:
    return user.role in MODERATOR_ROLES


async def current_moderator(user: CurrentUser) -> User:
    if not is_moderator(user):
        raise NotFound(NO_SUCH_ROUTE)
    return user


async def current_admin(user: CurrentUser) -> User:
    if user.role not in ADMIN_ROLES:
        raise NotFound(NO_SUCH_ROUTE)
    return user


CurrentModerator = Annotated[User, Depends(current_moderator)]
CurrentAdmin = Annotated[User, Depends(current_admin)]
