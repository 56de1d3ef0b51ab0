"""Friend requests, friendships and blocks (WeChat's contacts).

A blocked person is never told: their request is stored and looks pending to them, but the
blocker never sees it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts import policies
from plaza.accounts.models import Block, FriendRequest, Friendship, User
from plaza.accounts.service.labels import forget_between
from plaza.accounts.service.sessions import require_active
from plaza.accounts.service.users import get_user, users_by_id
from plaza.bus import Bus
from plaza.clock import Clock
from plaza.errors import Conflict, Invalid, NotFound, RateLimited
from plaza.live.envelope import pack, user_topic
from plaza.pagination import AfterUsername, BeforeId, decode_cursor, encode_cursor


@dataclass(frozen=True)
class RequestView:
    request: FriendRequest
    sender: User
    recipient: User


async def is_blocked(session: AsyncSession, *, blocker_id: int, blocked_id: int) -> bool:
    return await session.get(Block, (blocker_id, blocked_id)) is not None


async def are_friends(session: AsyncSession, *, user_id: int, other_id: int) -> bool:
    return await session.get(Friendship, (user_id, other_id)) is not None


async def send_request(
    session: AsyncSession,
    *,
    clock: Clock,
    sender: User,
    to_username: str,
    message: str,
    cooldown_seconds: int = 0,
    bus: Bus | None = None,
) -> RequestView:
    """Ask someone to be friends. Asking again while a request is pending returns it; asking
    back someone who asked you accepts theirs; after a decline, the same person may be asked
    again only after `cooldown_seconds` (WeChat's cool-down), so a refusal sticks."""
    require_active(sender, now=clock.now())
    if len(message) > policies.GREETING_MAX:
        raise Invalid(
            f"greeting must be at most {policies.GREETING_MAX} characters", field="message"
        )
    recipient = await get_user(session, username=to_username)
    if recipient.id == sender.id:
        raise Invalid("you cannot befriend yourself", field="to")
    if await are_friends(session, user_id=sender.id, other_id=recipient.id):
        raise Conflict(f"you and {recipient.username} are already friends", code="already_friends")
    pending = await session.scalar(
        select(FriendRequest).where(
            FriendRequest.status == "pending",
            or_(
                and_(
                    FriendRequest.from_user_id == sender.id,
                    FriendRequest.to_user_id == recipient.id,
                ),
                and_(
                    FriendRequest.from_user_id == recipient.id,
                    FriendRequest.to_user_id == sender.id,
                ),
            ),
        )
    )
    if pending is not None:
        if pending.from_user_id == sender.id:
            return RequestView(pending, sender, recipient)
        if not await is_blocked(session, blocker_id=sender.id, blocked_id=recipient.id):
            # They already asked us: asking back means yes.
            return await accept_request(session, clock=clock, user=sender, request_id=pending.id)
    await _check_cooldown(
        session, clock=clock, sender=sender, recipient=recipient, seconds=cooldown_seconds
    )
    request = FriendRequest(
        from_user_id=sender.id,
        to_user_id=recipient.id,
        message=message,
        status="pending",
        created_at=clock.now(),
    )
    session.add(request)
    await session.commit()
    if bus is not None and not await is_blocked(
        session, blocker_id=recipient.id, blocked_id=sender.id
    ):
        await _announce_incoming(session, bus, recipient.id)
    return RequestView(request, sender, recipient)


async def incoming_count(session: AsyncSession, *, user_id: int) -> int:
    """Pending requests waiting for this person (those from people they block never count)."""
    blocked = select(Block.blocked_id).where(Block.blocker_id == user_id)
    count = await session.scalar(
        select(func.count())
        .select_from(FriendRequest)
        .where(
            FriendRequest.to_user_id == user_id,
            FriendRequest.status == "pending",
            FriendRequest.from_user_id.not_in(blocked),
        )
    )
    return count or 0


async def _announce_incoming(
    session: AsyncSession, bus: Bus | None, user_id: int, kind: str = "received"
) -> None:
    """Tell the person's open pages how many requests wait for them (the navigation badge):
    `friend_request.received` for a new one, `friend_request.count` after one was answered
    or its sender blocked."""
    if bus is None:
        return
    event = {
        "type": f"friend_request.{kind}",
        "count": await incoming_count(session, user_id=user_id),
    }
    await bus.publish(user_topic(user_id), pack(event))


async def _check_cooldown(
    session: AsyncSession, *, clock: Clock, sender: User, recipient: User, seconds: int
) -> None:
    if seconds <= 0:
        return
    declined_at = await session.scalar(
        select(func.max(FriendRequest.decided_at)).where(
            FriendRequest.from_user_id == sender.id,
            FriendRequest.to_user_id == recipient.id,
            FriendRequest.status == "declined",
        )
    )
    if declined_at is None:
        return
    wait = math.ceil((declined_at + timedelta(seconds=seconds) - clock.now()).total_seconds())
    if wait > 0:
        hours = max(1, round(wait / 3600))
        raise RateLimited(
            f"you asked {recipient.username} recently; you can ask again in about {hours} h",
            retry_after=wait,
        )


async def pending_between(
    session: AsyncSession, *, sender_id: int, recipient_id: int
) -> FriendRequest | None:
    """The pending request from one person to another, if any."""
    return await session.scalar(
        select(FriendRequest).where(
            FriendRequest.from_user_id == sender_id,
            FriendRequest.to_user_id == recipient_id,
            FriendRequest.status == "pending",
        )
    )


async def list_requests(
    session: AsyncSession, *, user: User, direction: str, cursor: str | None, limit: int
) -> tuple[list[RequestView], str | None]:
    """Pending requests to me ("incoming", minus those from people I block) or from me."""
    if direction not in {"incoming", "outgoing"}:
        raise Invalid("direction must be incoming or outgoing", field="direction")
    query = select(FriendRequest).where(FriendRequest.status == "pending")
    if direction == "incoming":
        blocked = select(Block.blocked_id).where(Block.blocker_id == user.id)
        query = query.where(
            FriendRequest.to_user_id == user.id, FriendRequest.from_user_id.not_in(blocked)
        )
    else:
        query = query.where(FriendRequest.from_user_id == user.id)
    position = decode_cursor(cursor, BeforeId)
    if position is not None:
        query = query.where(FriendRequest.id < position.before)
    rows = list(await session.scalars(query.order_by(FriendRequest.id.desc()).limit(limit + 1)))
    next_cursor = encode_cursor({"before": rows[limit - 1].id}) if len(rows) > limit else None
    rows = rows[:limit]
    people = await users_by_id(
        session, {r.from_user_id for r in rows} | {r.to_user_id for r in rows}
    )
    views = [RequestView(r, people[r.from_user_id], people[r.to_user_id]) for r in rows]
    return views, next_cursor


async def _incoming_request(session: AsyncSession, *, user: User, request_id: int) -> FriendRequest:
    request = await session.get(FriendRequest, request_id)
    if (
        request is None
        or request.to_user_id != user.id
        or await is_blocked(session, blocker_id=user.id, blocked_id=request.from_user_id)
    ):
        raise NotFound("no such friend request")
    if request.status != "pending":
        raise Conflict(f"this request was already {request.status}", code="request_decided")
    return request


async def accept_request(
    session: AsyncSession, *, clock: Clock, user: User, request_id: int, bus: Bus | None = None
) -> RequestView:
    require_active(user, now=clock.now())
    request = await _incoming_request(session, user=user, request_id=request_id)
    now = clock.now()
    request.status = "accepted"
    request.decided_at = now
    for a, b in ((request.from_user_id, user.id), (user.id, request.from_user_id)):
        if await session.get(Friendship, (a, b)) is None:
            session.add(Friendship(user_id=a, friend_id=b, created_at=now))
    await session.commit()
    await _announce_incoming(session, bus, user.id, "count")
    sender = await session.get(User, request.from_user_id)
    assert sender is not None
    return RequestView(request, sender, user)


async def decline_request(
    session: AsyncSession, *, clock: Clock, user: User, request_id: int, bus: Bus | None = None
) -> RequestView:
    request = await _incoming_request(session, user=user, request_id=request_id)
    request.status = "declined"
    request.decided_at = clock.now()
    await session.commit()
    await _announce_incoming(session, bus, user.id, "count")
    sender = await session.get(User, request.from_user_id)
    assert sender is not None
    return RequestView(request, sender, user)


async def list_friends(
    session: AsyncSession, *, user: User, cursor: str | None, limit: int
) -> tuple[list[User], str | None]:
    """Friends in username order."""
    query = (
        select(User)
        .join(Friendship, Friendship.friend_id == User.id)
        .where(Friendship.user_id == user.id)
    )
    position = decode_cursor(cursor, AfterUsername)
    if position is not None:
        query = query.where(User.username > position.after)
    rows = list(await session.scalars(query.order_by(User.username).limit(limit + 1)))
    next_cursor = encode_cursor({"after": rows[limit - 1].username}) if len(rows) > limit else None
    return rows[:limit], next_cursor


async def remove_friend(session: AsyncSession, *, user: User, username: str) -> None:
    other = await get_user(session, username=username)
    result = await session.execute(
        delete(Friendship).where(
            or_(
                and_(Friendship.user_id == user.id, Friendship.friend_id == other.id),
                and_(Friendship.user_id == other.id, Friendship.friend_id == user.id),
            )
        )
    )
    if cast(CursorResult[Any], result).rowcount == 0:
        raise NotFound(f"{other.username} is not your friend")
    await forget_between(session, user_id=user.id, other_id=other.id)
    await session.commit()


async def block(
    session: AsyncSession, *, clock: Clock, user: User, username: str, bus: Bus | None = None
) -> User:
    """Block someone: their requests and messages no longer reach you. Idempotent."""
    other = await get_user(session, username=username)
    if other.id == user.id:
        raise Invalid("you cannot block yourself", field="username")
    if not await is_blocked(session, blocker_id=user.id, blocked_id=other.id):
        session.add(Block(blocker_id=user.id, blocked_id=other.id, created_at=clock.now()))
        await session.commit()
        await _announce_incoming(session, bus, user.id, "count")
    return other


async def unblock(session: AsyncSession, *, user: User, username: str) -> None:
    other = await get_user(session, username=username)
    result = await session.execute(
        delete(Block).where(Block.blocker_id == user.id, Block.blocked_id == other.id)
    )
    if cast(CursorResult[Any], result).rowcount == 0:
        raise NotFound(f"you have not blocked {other.username}")
    await session.commit()


async def blocked_usernames(session: AsyncSession, *, user: User) -> list[str]:
    rows = await session.scalars(
        select(User.username)
        .join(Block, Block.blocked_id == User.id)
        .where(Block.blocker_id == user.id)
        .order_by(User.username)
    )
    return list(rows)
