"""Reading, recalling and marking messages read (sending is in `sending`)."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.accounts.service.users import users_by_name
from plaza.bus import Bus
from plaza.chat import policies
from plaza.chat.models import Conversation, ConversationEvent, Message
from plaza.chat.service import events
from plaza.chat.service.conversations import membership
from plaza.chat.service.visibility import shown_to
from plaza.clock import Clock
from plaza.errors import Forbidden, Invalid, NotFound


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
            shown_to(user.id),
        )
    )
    if after_seq is not None:
        query = query.where(Message.seq > after_seq).order_by(Message.seq).limit(limit + 1)
    else:
        if before_seq is not None:
            query = query.where(Message.seq < before_seq)
        query = query.order_by(Message.seq.desc()).limit(limit + 1)
    rows = list((await session.execute(query)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    if after_seq is None:
        rows.reverse()
    items = await events.messages_json(session, rows, viewer_id=user.id)
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
        # Already recalled: a no-op for its sender, refused to anyone else as before.
        if message.sender_id != user.id:
            raise Forbidden("only the sender may recall a message")
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
    _, rev = await events.bump(session, conversation_id, now=now)
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


# What `changes` returns: the group's own history, shown between messages as system lines.
CHANGE_TYPES = ("member.added", "member.removed", "conversation.updated")


async def changes(
    session: AsyncSession,
    *,
    user: User,
    conversation_id: int,
    from_seq: int,
    to_seq: int | None,
    after_rev: int | None,
    limit: int,
) -> tuple[list[dict[str, Any]], int | None]:
    """Group changes (joins, removals, leaves, renames) that happened while the conversation
    had `from_seq`..`to_seq` messages, in order, as their live events were; and the rev to
    continue after, or None. Only from when the person joined, like the messages."""
    member = await membership(session, conversation_id=conversation_id, user_id=user.id)
    query = select(ConversationEvent.rev, ConversationEvent.payload).where(
        ConversationEvent.conversation_id == conversation_id,
        ConversationEvent.type.in_(CHANGE_TYPES),
        ConversationEvent.seq >= max(from_seq, member.history_from_seq - 1),
    )
    if to_seq is not None:
        query = query.where(ConversationEvent.seq <= to_seq)
    if after_rev is not None:
        query = query.where(ConversationEvent.rev > after_rev)
    rows = (await session.execute(query.order_by(ConversationEvent.rev).limit(limit + 1))).all()
    items = [orjson.loads(payload) for _, payload in rows[:limit] if payload]
    # Name the people involved as they are called now: someone who left is no longer in the
    # member list the client could look them up in.
    people = await users_by_name(
        session, [name for item in items for name in (item.get("user"), item.get("by")) if name]
    )
    for item in items:
        item["names"] = {
            name: people[name].display_name
            for name in (item.get("user"), item.get("by"))
            if name in people
        }
    return items, rows[limit - 1].rev if len(rows) > limit else None
