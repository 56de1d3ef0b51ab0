"""Log-in sessions: opaque bearer tokens stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import Session, User
from plaza.accounts.passwords import Passwords
from plaza.accounts.service.users import find_user
from plaza.clock import Clock
from plaza.errors import Forbidden, Unauthorized

BAD_CREDENTIALS = "wrong username or password"

# Built once: every authenticated request runs it (see chat/service/statements.py for why).
_USER_FOR_TOKEN = (
    select(User, Session.expires_at)
    .join(Session, Session.user_id == User.id)
    .where(Session.token_hash == bindparam("token_hash"), Session.revoked_at.is_(None))
)


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
) -> tuple[str, Session, User]:
    """Check the password and open a session; the same 401 for unknown user and bad password."""
    user = await find_user(session, username=username)
    ok = await passwords.verify(user.password_hash if user else None, password)
    if not ok or user is None:
        raise Unauthorized(BAD_CREDENTIALS, code="bad_credentials")
    # A suspended or closed account may still sign in, to read its notices and export its
    # data; surfaces refuse its writes instead (require_active).
    token = secrets.token_urlsafe(32)
    now = clock.now()
    row = Session(
        user_id=user.id,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + timedelta(days=ttl_days),
    )
    session.add(row)
    await session.commit()
    return token, row, user


async def user_for_token(session: AsyncSession, *, clock: Clock, token: str) -> User | None:
    """The signed-in person for a bearer token, or None if unknown, expired or revoked."""
    row = (await session.execute(_USER_FOR_TOKEN, {"token_hash": hash_token(token)})).first()
    if row is None or row.expires_at <= clock.now():
        return None
    return row.User


async def log_out(session: AsyncSession, *, clock: Clock, token: str) -> None:
    await session.execute(
        update(Session)
        .where(Session.token_hash == hash_token(token), Session.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
    await session.commit()


def require_active(user: User) -> None:
    """Refuse a write by someone whose account is suspended or closed."""
    if user.status != "active":
        raise Forbidden(f"your account is {user.status}", code=f"account_{user.status}")
