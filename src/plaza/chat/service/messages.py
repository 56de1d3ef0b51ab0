"""Sending, reading, recalling and marking messages read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.accounts.service.friends import is_blocked
from plaza.accounts.service.sessions import require_active
from plaza.bus import Bus
from plaza.chat import policies
from plaza.chat.models import Conversation, Message
from plaza.chat.service import events, statements
from plaza.chat.service.conversations import membership
from plaza.clock import Clock
from plaza.errors import Forbidden, Invalid, NotFound

CLIENT_ID_MAX = 64


def check_message(text: str, client_id: str, *, max_chars: int) -> str:
    if not client_id or len(client_id) > CLIENT_ID_MAX:
        raise Invalid(f"client_id must be 1 to {CLIENT_ID_MAX} characters", field="client_id")
    if not text.strip():
        raise Invalid("text must not be empty", field="text")
    if len(text) > max_chars:
        raise Invalid(f"text must be at most {max_chars} characters", field="text")
    return text


async def _withheld_by_block(session: AsyncSession, *, direct_key: str, sender: User) -> bool:
    """In a direct chat, is the sender blocked by the other person?"""
    other_id = next(int(i) for i in direct_key.split(":") if int(i) != sender.id)
    return await is_blocked(session, blocker_id=other_id, blocked_id=sender.id)


async def send(
    session: AsyncSession,
    *,
    clock: Clock,
    bus: Bus,
    sender: User,
    conversation_id: int,
    client_id: str,
    text: str,
    reply_to: int | None,
    max_chars: int,
) -> tuple[dict[str, Any], bool]:
    """Store a message and announce it; returns (message JSON, created).

    Returns only after commit. A repeated `client_id` returns the first message unchanged, so a
    client may retry a send whose answer it never got. This is the hottest write path, so it
    uses Core statements and as few round trips as it can: one membership check, the numbering
    UPDATE, two INSERTs, the read-marker UPDATE and the commit.
    """
    require_active(sender)
    text = check_message(text, client_id, max_chars=max_chars)
    connection = await session.connection()
    found = (
        await connection.execute(statements.MEMBERSHIP, {"cid": conversation_id, "uid": sender.id})
    ).first()
    if found is None:
        raise NotFound("no such conversation")
    if reply_to is not None:
        target = await session.scalar(select(Message.conversation_id).where(Message.id == reply_to))
        if target != conversation_id:
            raise Invalid("reply_to must be a message of this conversation", field="reply_to")
    withheld = found.direct_key is not None and await _withheld_by_block(
        session, direct_key=found.direct_key, sender=sender
    )
    now = clock.now()
    seq, rev = await events.bump(session, conversation_id, now=now, message=True)
    message = Message(
        conversation_id=conversation_id,
        seq=seq,
        sender_id=sender.id,
        client_id=client_id,
        text=text,
        reply_to_id=reply_to,
        created_at=now,
        recalled_at=None,
        withheld=withheld,
    )
    try:
        message.id = (
            await connection.execute(
                statements.INSERT_MESSAGE,
                {
                    "conversation_id": conversation_id,
                    "seq": seq,
                    "sender_id": sender.id,
                    "client_id": client_id,
                    "text": text,
                    "reply_to_id": reply_to,
                    "created_at": now,
                    "recalled_at": None,
                    "withheld": withheld,
                },
            )
        ).scalar_one()
    except IntegrityError:
        # The client_id was used before (a retry): undo the numbering, answer with the first.
        await session.rollback()
        await session.refresh(sender)
        first = await session.scalar(
            select(Message).where(
                Message.conversation_id == conversation_id,
                Message.sender_id == sender.id,
                Message.client_id == client_id,
            )
        )
        if first is None:
            raise
        return events.message_json(first, sender), False
    await events.record(
        session,
        conversation_id=conversation_id,
        rev=rev,
        type="message.new",
        now=now,
        message_id=message.id,
    )
    await connection.execute(
        statements.MARK_SENDER_READ, {"cid": conversation_id, "uid": sender.id, "seq": seq}
    )
    await session.commit()
    event = events.message_event(message, sender, rev)
    if withheld:
        await events.publish(
            bus, conversation_id, events.withheld_placeholder(conversation_id, seq, rev), rev=rev
        )
        await events.publish_to_user(bus, sender.id, event)
    else:
        await events.publish(bus, conversation_id, event, rev=rev)
    return event["message"], True


async def history(
    session: AsyncSession,
    *,
    user: User,
    conversation_id: int,
    after_seq: int | None,
    before_seq: int | None,
    limit: int,
) -> tuple[list[dict[str, Any]], int | None]:
    """A page of messages in seq order, and the seq to continue from (or None at the end).

    With `after_seq` the page goes forward (older to newer); otherwise it is the newest page
    below `before_seq` (default: the latest), for scrolling back.
    """
    member = await membership(session, conversation_id=conversation_id, user_id=user.id)
    query = (
        select(Message, User)
        .join(User, User.id == Message.sender_id)
        .where(
            Message.conversation_id == conversation_id,
            Message.seq >= member.history_from_seq,
            (Message.withheld.is_(False)) | (Message.sender_id == user.id),
        )
    )
    if after_seq is not None:
        query = query.where(Message.seq > after_seq).order_by(Message.seq).limit(limit + 1)
    else:
        if before_seq is not None:
            query = query.where(Message.seq < before_seq)
        query = query.order_by(Message.seq.desc()).limit(limit + 1)
    rows = (await session.execute(query)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    if after_seq is None:
        rows.reverse()
    items = [events.message_json(m, u) for m, u in rows]
    if not more or not items:
        return items, None
    return items, items[-1]["seq"] if after_seq is not None else items[0]["seq"]


async def recall(
    session: AsyncSession,
    *,
    clock: Clock,
    bus: Bus,
    user: User,
    conversation_id: int,
    message_id: int,
    window_seconds: int,
) -> None:
    """The sender takes a message back; everyone sees a "recalled" marker instead of it."""
    await membership(session, conversation_id=conversation_id, user_id=user.id)
    message = await session.get(Message, message_id)
    if message is None or message.conversation_id != conversation_id:
        raise NotFound("no such message")
    if message.recalled_at is not None:
        return
    now = clock.now()
    if not policies.can_recall(
        is_sender=message.sender_id == user.id,
        sent_at=message.created_at,
        now=now,
        window_seconds=window_seconds,
    ):
        if message.sender_id != user.id:
            raise Forbidden("only the sender may recall a message")
        raise Forbidden(
            f"messages can be recalled within {window_seconds} s of sending",
            code="recall_window_passed",
        )
    _, rev = await events.bump(session, conversation_id, now=now, message=False)
    message.recalled_at = now
    message.text = ""
    await events.commit_change(
        session,
        bus,
        conversation_id=conversation_id,
        seq=message.seq,
        rev=rev,
        now=now,
        type="message.recalled",
        message_id=message.id,
        by=user.username,
    )


async def mark_read(
    session: AsyncSession, *, bus: Bus, user: User, conversation_id: int, seq: int | None
) -> int:
    """Move my read marker forward (never back) to `seq` (default: the latest message)."""
    member = await membership(session, conversation_id=conversation_id, user_id=user.id)
    conversation = await session.get(Conversation, conversation_id, populate_existing=True)
    assert conversation is not None
    target = conversation.last_seq if seq is None else min(seq, conversation.last_seq)
    if target < 0:
        raise Invalid("seq must be >= 0", field="seq")
    if target <= member.last_read_seq:
        return member.last_read_seq
    member.last_read_seq = target
    await session.commit()
    # Read markers are live-only (no revision): a reconnecting client reloads unread counts.
    await events.publish(
        bus,
        conversation_id,
        {"type": "read", "conversation_id": conversation_id, "seq": target, "user": user.username},
        rev=None,
    )
    return target
