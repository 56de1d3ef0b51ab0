"""Log-in sessions: opaque bearer tokens stored only as hashes, and how they end.

A session ends by signing out, by being revoked from another device ("sign out everywhere
else"), by a password change (every other session), by the account being suspended or closed
(every session), or by expiring. Every ending is committed first and then announced on the
bus (`plaza.live.session_end`), so every node closes that session's open sockets at once.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from plaza.accounts import policies
from plaza.accounts.models import Session, User
from plaza.accounts.passwords import Passwords
from plaza.accounts.service.profiles import ScreenName
from plaza.accounts.service.users import find_user, register
from plaza.bus import Bus
from plaza.clock import Clock
from plaza.errors import Forbidden, Invalid, NotFound, Unauthorized
from plaza.live import session_end

BAD_CREDENTIALS = "wrong username or password"
USER_AGENT_MAX = 200
ADDRESS_MAX = 64

# Built once: every authenticated request runs it (see chat/service/statements.py for why).
_SIGNED_IN = (
    select(User, Session.id, Session.expires_at)
    .join(Session, Session.user_id == User.id)
    .where(Session.token_hash == bindparam("token_hash"), Session.revoked_at.is_(None))
)


@dataclass(frozen=True)
class SignedIn:
    """Who a token belongs to, and which of their sessions it is."""

    user: User
    session_id: int
    expires_at: datetime


def hash_token(token: str) -> str:
    """Tokens carry 256 random bits, so a plain SHA-256 is enough (no salt or stretching)."""
    return hashlib.sha256(token.encode()).hexdigest()


async def log_in(
    session: AsyncSession,
    *,
    passwords: Passwords,
    clock: Clock,
    ttl_days: int,
    username: str,
    password: str,
    user_agent: str = "",
    address: str = "",
) -> tuple[str, Session, User]:
    """Check the password and open a session; the same 401 for unknown user and bad password."""
    user = await find_user(session, username=username)
    ok = await passwords.verify(user.password_hash if user else None, password)
    if not ok or user is None:
        raise Unauthorized(BAD_CREDENTIALS, code="bad_credentials")
    if passwords.outdated(user.password_hash):
        user.password_hash = await passwords.hash(password)
    # A suspended or closed account may still sign in, to read its notices and export its
    # data; surfaces refuse its writes instead (require_active).
    token, row = await open_session(
        session, clock=clock, ttl_days=ttl_days, user=user, user_agent=user_agent, address=address
    )
    return token, row, user


async def sign_up(
    session: AsyncSession,
    *,
    passwords: Passwords,
    clock: Clock,
    ttl_days: int,
    username: str,
    password: str,
    display_name: str,
    user_agent: str = "",
    address: str = "",
    screen_name: ScreenName | None = None,
) -> tuple[User, str, Session]:
    """Register and sign in at once: one password hash (a separate log-in would hash the
    password a second time). Returns the person, the session's token and the session. The
    display name is screened with `screen_name` (users.register)."""
    user = await register(
        session,
        passwords=passwords,
        clock=clock,
        username=username,
        password=password,
        display_name=display_name,
        screen_name=screen_name,
    )
    token, row = await open_session(
        session, clock=clock, ttl_days=ttl_days, user=user, user_agent=user_agent, address=address
    )
    return user, token, row


async def open_session(
    session: AsyncSession,
    *,
    clock: Clock,
    ttl_days: int,
    user: User,
    user_agent: str = "",
    address: str = "",
) -> tuple[str, Session]:
    """A new session for someone whose identity is already established; returns its token."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    row = Session(
        user_id=user.id,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + timedelta(days=ttl_days),
        user_agent=_printable(user_agent)[:USER_AGENT_MAX],
        address=address[:ADDRESS_MAX],
    )
    session.add(row)
    await session.commit()
    return token, row


def _printable(text: str) -> str:
    return "".join(ch for ch in text if ch.isprintable())


@dataclass(frozen=True)
class StreamSignIn:
    """Who a stream's token signs in, as the stream needs it: no ORM instance."""

    user_id: int
    username: str
    session_id: int
    expires_at: datetime


_STREAM_SIGN_IN = (
    select(Session.user_id, User.username, Session.id, Session.expires_at)
    .join(User, User.id == Session.user_id)
    .where(Session.token_hash == bindparam("token_hash"), Session.revoked_at.is_(None))
)


async def stream_sign_in(engine: AsyncEngine, *, clock: Clock, token: str) -> StreamSignIn | None:
    """The session a stream's bearer token opens, or None if unknown, expired or revoked: one
    Core statement on a bare connection. Every live socket opens with it, and ten thousand
    opening at once (a node's restart) paid for an ORM session and a loaded person each."""
    async with engine.connect() as connection:
        row = (await connection.execute(_STREAM_SIGN_IN, {"token_hash": hash_token(token)})).first()
    if row is None or row.expires_at <= clock.now():
        return None
    return StreamSignIn(row.user_id, row.username, row.id, row.expires_at)


_SESSION_OWNER = select(Session.user_id, Session.expires_at).where(
    Session.token_hash == bindparam("token_hash"), Session.revoked_at.is_(None)
)


async def session_owner(engine: AsyncEngine, *, clock: Clock, token: str) -> int | None:
    """The id of the person a bearer token signs in, or None; no ORM session involved."""
    async with engine.connect() as connection:
        row = (await connection.execute(_SESSION_OWNER, {"token_hash": hash_token(token)})).first()
    if row is None or row.expires_at <= clock.now():
        return None
    return int(row.user_id)


async def authenticate(session: AsyncSession, *, clock: Clock, token: str) -> SignedIn | None:
    """The session a bearer token opens, or None if unknown, expired or revoked."""
    row = (await session.execute(_SIGNED_IN, {"token_hash": hash_token(token)})).first()
    if row is None or row.expires_at <= clock.now():
        return None
    return SignedIn(user=row.User, session_id=row.id, expires_at=row.expires_at)


async def still_open(session: AsyncSession, ids: set[int], *, clock: Clock) -> set[int]:
    """Which of these sessions are neither revoked nor expired."""
    if not ids:
        return set()
    rows = await session.scalars(
        select(Session.id).where(
            Session.id.in_(ids), Session.revoked_at.is_(None), Session.expires_at > clock.now()
        )
    )
    return set(rows)


async def list_sessions(session: AsyncSession, *, clock: Clock, user: User) -> list[Session]:
    """My sessions that are still open, newest first."""
    rows = await session.scalars(
        select(Session)
        .where(
            Session.user_id == user.id,
            Session.revoked_at.is_(None),
            Session.expires_at > clock.now(),
        )
        .order_by(Session.created_at.desc(), Session.id.desc())
    )
    return list(rows)


async def end_sessions(
    session: AsyncSession,
    *,
    clock: Clock,
    bus: Bus,
    user_id: int,
    reason: str,
    only: Collection[int] | None = None,
    keep: int | None = None,
) -> int:
    """Revoke the person's open sessions (`only` these, or all but `keep`), commit, and tell
    every node to close their sockets. Returns how many ended."""
    statement = update(Session).where(Session.user_id == user_id, Session.revoked_at.is_(None))
    if only is not None:
        statement = statement.where(Session.id.in_(list(only)))
    if keep is not None:
        statement = statement.where(Session.id != keep)
    ended = (
        await session.execute(statement.values(revoked_at=clock.now()).returning(Session.id))
    ).scalars()
    ids = frozenset(ended)
    await session.commit()
    if ids:
        notice = session_end.SessionEnd(user_id=user_id, session_ids=ids, reason=reason)
        await bus.publish(session_end.TOPIC, notice.pack())
    return len(ids)


async def log_out(session: AsyncSession, *, clock: Clock, bus: Bus, signed_in: SignedIn) -> None:
    await end_sessions(
        session,
        clock=clock,
        bus=bus,
        user_id=signed_in.user.id,
        only=[signed_in.session_id],
        reason="signed_out",
    )


async def log_out_token(session: AsyncSession, *, clock: Clock, bus: Bus, token: str) -> None:
    """Sign out the session of `token`, if it is still open (the web form's sign-out)."""
    signed_in = await authenticate(session, clock=clock, token=token)
    if signed_in is not None:
        await log_out(session, clock=clock, bus=bus, signed_in=signed_in)


async def revoke(
    session: AsyncSession, *, clock: Clock, bus: Bus, user: User, session_id: int
) -> None:
    """End one of my sessions (another device); 404 if it is not mine or already over."""
    open_ids = {s.id for s in await list_sessions(session, clock=clock, user=user)}
    if session_id not in open_ids:
        raise NotFound("no such session")
    await end_sessions(
        session, clock=clock, bus=bus, user_id=user.id, only=[session_id], reason="revoked"
    )


async def revoke_others(
    session: AsyncSession, *, clock: Clock, bus: Bus, signed_in: SignedIn
) -> int:
    """Sign out everywhere else; returns how many sessions ended."""
    return await end_sessions(
        session,
        clock=clock,
        bus=bus,
        user_id=signed_in.user.id,
        keep=signed_in.session_id,
        reason="revoked",
    )


async def change_password(
    session: AsyncSession,
    *,
    passwords: Passwords,
    clock: Clock,
    bus: Bus,
    signed_in: SignedIn,
    current_password: str,
    new_password: str,
) -> int:
    """Set a new password after checking the current one; every other session ends (whoever
    knew the old password is signed out). Returns how many sessions ended."""
    user = signed_in.user
    if not await passwords.verify(user.password_hash, current_password):
        raise Forbidden("the current password is wrong", code="bad_credentials")
    problem = policies.password_problem(new_password)
    if problem:
        raise Invalid(problem, field="new_password")
    if new_password == current_password:
        raise Invalid("the new password must differ from the current one", field="new_password")
    fresh = await session.get(User, user.id, populate_existing=True)
    assert fresh is not None
    fresh.password_hash = await passwords.hash(new_password)
    await session.commit()
    return await end_sessions(
        session,
        clock=clock,
        bus=bus,
        user_id=user.id,
        keep=signed_in.session_id,
        reason="password_changed",
    )


class Standing(Protocol):
    """What the write checks read of a person: a `User` row, or chat's detached sender."""

    @property
    def status(self) -> str: ...

    @property
    def suspended_until(self) -> datetime | None: ...


def require_active(user: Standing, *, now: datetime) -> None:
    """Refuse a write by someone whose account is suspended or closed. A timed suspension
    whose end has passed no longer refuses anything (`policies.status_in_force`)."""
    status = policies.status_in_force(user.status, user.suspended_until, now)
    if status == "active":
        return
    until = policies.suspension_in_force(user.status, user.suspended_until, now)
    message = f"your account is {status}"
    if until is not None:
        message += f" until {until.isoformat(timespec='seconds')}"
    raise Forbidden(message, code=f"account_{status}")


def require_can_publish(user: User, *, now: datetime) -> None:
    """`require_active`, and no publishing restriction in force: moments, comments and
    articles are refused (403 `publishing_restricted`, saying until when); chat is not."""
    require_active(user, now=now)
    until = policies.restriction_in_force(user.restricted_until, now)
    if until is not None:
        raise Forbidden(
            "you may not publish moments, comments or articles until "
            f"{until.isoformat(timespec='seconds')} (chat still works)",
            code="publishing_restricted",
        )
