"""Registering people, finding them, and their roles."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts import policies
from plaza.accounts.models import ROLES, User
from plaza.accounts.passwords import Passwords
from plaza.accounts.service.profiles import ScreenName, show_display_name
from plaza.clock import Clock
from plaza.errors import Conflict, Invalid, NotFound


def check_registration(username: str, password: str, display_name: str) -> str:
    """Validate a sign-up; return the normalized username or raise Invalid naming the field."""
    username = policies.normalize_username(username)
    for field, problem in (
        ("username", policies.username_problem(username)),
        ("password", policies.password_problem(password)),
        ("display_name", policies.display_name_problem(display_name)),
    ):
        if problem:
            raise Invalid(problem, field=field)
    return username


async def register(
    session: AsyncSession,
    *,
    passwords: Passwords,
    clock: Clock,
    username: str,
    password: str,
    display_name: str,
    role: str = "member",
    screen_name: ScreenName | None = None,
) -> User:
    """A new person. With `screen_name` (every sign-up; not the operator's `plaza user
    create` or the demo) their display name is screened before it is committed."""
    username = check_registration(username, password, display_name)
    _check_role(role)
    if await find_user(session, username=username):
        raise Conflict(f"username {username!r} is taken", code="username_taken")
    user = User(
        username=username,
        display_name=policies.clean_display_name(display_name),
        password_hash=await passwords.hash(password),
        role=role,
        created_at=clock.now(),
    )
    session.add(user)
    announce = None
    try:
        await session.flush()
        if screen_name is not None:
            announce = await screen_name(session, user, user.display_name)
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Conflict(f"username {username!r} is taken", code="username_taken") from None
    if announce is not None:
        await announce()
    return user


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}", field="role")


def set_role(user: User, role: str) -> None:
    """Give `user` a role, in the caller's transaction (the operator's `plaza user role`,
    which audits it). Staff routes read the role on every request, so it applies at once."""
    _check_role(role)
    user.role = role


async def find_user(session: AsyncSession, *, username: str) -> User | None:
    """The person called `username`, or None. A name no one could have (a NUL, a space, too
    long) is answered without asking the database, so no caller (a web form, a path) can
    send it text the database refuses."""
    username = policies.normalize_username(username)
    if policies.username_problem(username):
        return None
    return await session.scalar(select(User).where(User.username == username))


async def get_user(session: AsyncSession, *, username: str) -> User:
    """The person called `username`, or 404 (closed accounts stay visible as such)."""
    user = await find_user(session, username=username)
    if user is None:
        raise NotFound(f"no user called {policies.normalize_username(username)!r}")
    return user


async def users_by_name(session: AsyncSession, usernames: list[str]) -> dict[str, User]:
    """Look several people up at once; the caller decides what a missing name means."""
    names = {policies.normalize_username(n) for n in usernames}
    names = {n for n in names if not policies.username_problem(n)}
    if not names:
        return {}
    rows = await session.scalars(select(User).where(User.username.in_(names)))
    return {u.username: u for u in rows}


async def users_by_id(session: AsyncSession, ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    rows = await session.scalars(select(User).where(User.id.in_(ids)))
    return {u.id: u for u in rows}


SEARCH_MAX_CHARS = 64


def _like_prefix(text: str) -> str:
    """A LIKE pattern matching strings that start with `text` taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def search(
    session: AsyncSession, *, query: str, limit: int, after: str | None = None
) -> tuple[list[User], str | None]:
    """People whose username or display name starts with `query` (any script; Latin letters
    regardless of case), in username order; returns a page and the username to continue after.
    """
    text = query.strip()
    if not text or len(text) > SEARCH_MAX_CHARS or "\x00" in text:
        raise Invalid(f"q must be 1 to {SEARCH_MAX_CHARS} characters", field="q")
    folded = policies.clean_display_name(text).lower()
    statement = select(User).where(
        or_(
            User.username.like(_like_prefix(policies.normalize_username(text)), escape="\\"),
            func.lower(User.display_name).like(_like_prefix(folded), escape="\\"),
        )
    )
    if after is not None:
        statement = statement.where(User.username > after)
    rows = list(await session.scalars(statement.order_by(User.username).limit(limit + 1)))
    next_after = rows[limit - 1].username if len(rows) > limit else None
    return rows[:limit], next_after


async def update_profile(
    session: AsyncSession, *, user: User, display_name: str, screen_name: ScreenName | None = None
) -> User:
    """A new display name: a new item for moderation, screened (with `screen_name`) before it
    is committed; whatever hid the previous one does not hide it."""
    problem = policies.display_name_problem(display_name)
    if problem:
        raise Invalid(problem, field="display_name")
    name = policies.clean_display_name(display_name)
    if screen_name is None:
        show_display_name(user, name, None)
        await session.commit()
        return user
    announce = await screen_name(session, user, name)
    await session.commit()
    await announce()
    return user
