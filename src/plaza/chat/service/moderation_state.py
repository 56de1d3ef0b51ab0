"""Moderation's changes to a message, and what moderators see of one.

Moderation holds, removes and restores messages through chat's registered callbacks
(plaza.chat.moderation). A change is a revision of the conversation like a recall: the
message's `moderation` column is set, the change is logged (`message.held`,
`message.removed`, `message.restored`, naming the message) and, after commit, published on
the conversation's topic so open screens update: others drop a held message and show a
removed one as a marker in its place; its sender sees it marked; a restored one comes back
whole (`message.restored` carries it). A withheld message (see `sending`) was never shown to
anyone but its sender, so its changes go to them alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.bus import Bus
from plaza.chat.models import Conversation, Message
from plaza.chat.service import events
from plaza.clock import Clock
from plaza.moderation.surfaces import AfterCommit, ModerationState

EVENT_TYPES: dict[str | None, str] = {
    "held": "message.held",
    "removed": "message.removed",
    None: "message.restored",
}
TYPES = frozenset(EVENT_TYPES.values())
CONTEXT_MESSAGES = 5  # messages before it that a moderator sees with a message


# The messages this task is storing and screening now (screening.screen_stored): nobody but
# their sender has heard of them, the sender's own announcement carries the state, and the
# batch stores each verdict's state with its message.
_being_stored: ContextVar[frozenset[int]] = ContextVar("being_stored", default=frozenset())


@contextmanager
def storing(message_ids: Iterable[int]) -> Iterator[None]:
    """While screening the messages a batch stores: moderation acting on one of them leaves
    it to the batch (no revision, nothing to retract from anyone, the state written with the
    batch's other verdicts), so a flood that screening holds costs the conversation nothing
    more than the flood."""
    token = _being_stored.set(frozenset(message_ids))
    try:
        yield
    finally:
        _being_stored.reset(token)


async def set_state(
    session: AsyncSession, message_id: int, state: ModerationState, *, bus: Bus, clock: Clock
) -> AfterCommit | None:
    """Set the message's moderation state in the caller's transaction; returns the
    announcement to make after commit (None when nothing changed, or nothing is owed to
    anyone: a message being stored). The surface's `set_state` (plaza.chat.moderation)."""
    if message_id in _being_stored.get():
        return None  # screening.screen_stored stores the verdict's state
    message = await session.get(Message, message_id)
    if message is None or message.moderation == state:
        return None
    now = clock.now()
    _, rev = await events.bump(session, message.conversation_id, now=now, quiet=True)
    message.moderation = state
    kind = EVENT_TYPES[state]
    event: dict[str, Any] = {
        "type": kind,
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "rev": rev,
        "message_id": message.id,
        "created_at": now.isoformat(),
    }
    await events.record(
        session,
        conversation_id=message.conversation_id,
        rev=rev,
        seq=message.seq,
        type=kind,
        now=now,
        message_id=message.id,
        event=event,
    )
    live = dict(event)
    if state is None:
        live["message"] = await restored_json(session, message, viewer_id=None)
    visible_to = [message.sender_id] if message.withheld else None

    async def announce() -> None:
        await events.publish(bus, message.conversation_id, live, rev=rev, visible_to=visible_to)

    return announce


async def restored_json(
    session: AsyncSession, message: Message, *, viewer_id: int | None
) -> dict[str, Any]:
    """The message as it is now, with its pictures and card, as `viewer_id` sees it."""
    sender = await session.get(User, message.sender_id)
    assert sender is not None  # messages go with their sender (ON DELETE CASCADE)
    [shown] = await events.messages_json(session, [(message, sender)], viewer_id=viewer_id)
    return shown


def replayed(
    event: dict[str, Any], message: Message, user_id: int, restored: dict[str, Any] | None
) -> dict[str, Any] | None:
    """A logged moderation change as `user_id` gets it on replay, or None when it is not for
    them: a change to a message withheld from them, or a restore of one held again since
    (its `message.held` follows)."""
    if message.withheld and message.sender_id != user_id:
        return None
    if event["type"] != EVENT_TYPES[None]:
        return event
    if restored is None:
        return None
    return {**event, "message": restored}


async def snapshot_of(session: AsyncSession, message: Message) -> dict[str, Any]:
    """What a moderator needs around a message: its conversation, and the messages before it
    that its recipients saw (not withheld, held or recalled), oldest first."""
    conversation = await session.get(Conversation, message.conversation_id)
    assert conversation is not None
    rows = (
        await session.execute(
            select(Message, User.username)
            .join(User, User.id == Message.sender_id)
            .where(
                Message.conversation_id == message.conversation_id,
                Message.seq < message.seq,
                Message.withheld.is_(False),
                Message.moderation.is_distinct_from("held"),
                Message.recalled_at.is_(None),
            )
            .order_by(Message.seq.desc())
            .limit(CONTEXT_MESSAGES)
        )
    ).all()
    return {
        "conversation_id": conversation.id,
        "kind": conversation.kind,
        "title": conversation.title,
        "seq": message.seq,
        "previous": [
            {
                "seq": earlier.seq,
                "sender": username,
                "text": earlier.text,
                "created_at": earlier.created_at.isoformat(),
                "moderation": earlier.moderation,
            }
            for earlier, username in reversed(rows)
        ],
    }
