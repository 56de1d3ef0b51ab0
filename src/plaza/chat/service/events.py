"""The conversation event log and live publishing.

Every visible change to a conversation takes the next revision under the conversation's row
lock (`bump`), writes a row to the event log (`record`) in the same transaction, and after
commit is published once on the conversation's bus topic (`publish`). Zulip calls this "send
event on commit": an event never announces something that rolled back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.bus import Bus
from plaza.chat.models import Message
from plaza.chat.service import statements
from plaza.errors import NotFound
from plaza.live.envelope import pack, user_topic
from plaza.media import service as media
from plaza.media.service import MediaRef
from plaza.public_accounts.service import cards


def topic(conversation_id: int) -> str:
    return f"conversation:{conversation_id}"


async def bump(
    session: AsyncSession, conversation_id: int, *, now: datetime, quiet: bool = False
) -> tuple[int, int]:
    """Take the next revision for a change that is not a message; returns (last seq, rev).
    `quiet`: the change does not move the conversation up its members' lists.

    The UPDATE takes the row lock first, so concurrent writers to one conversation queue here
    and numbers stay gap-free and in commit order (messages number themselves the same way,
    several at a time, in `sending`).
    """
    connection = await session.connection()
    statement = statements.BUMP_EVENT_QUIET if quiet else statements.BUMP_EVENT
    row = (await connection.execute(statement, {"cid": conversation_id, "now": now})).first()
    if row is None:
        raise NotFound("no such conversation")
    return row[0], row[1]


async def record(
    session: AsyncSession,
    *,
    conversation_id: int,
    rev: int,
    seq: int,
    type: str,
    now: datetime,
    message_id: int | None = None,
    event: dict[str, Any] | None = None,
) -> None:
    """Append to the replay log."""
    await session.flush()
    connection = await session.connection()
    await connection.execute(
        statements.INSERT_EVENT,
        {
            "conversation_id": conversation_id,
            "rev": rev,
            "type": type,
            "message_id": message_id,
            "payload": orjson.dumps(event).decode() if event is not None else None,
            "seq": seq,
            "created_at": now,
        },
    )


async def commit_change(
    session: AsyncSession,
    bus: Bus,
    *,
    conversation_id: int,
    seq: int,
    rev: int,
    now: datetime,
    type: str,
    unfollow_users: list[int] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Finish a non-message change taken with `bump`: log it, commit, then announce it.

    Returns the event, `{type, conversation_id, seq, rev, **fields}`.
    """
    event = {
        "type": type,
        "conversation_id": conversation_id,
        "seq": seq,
        "rev": rev,
        "created_at": now.isoformat(),
        **fields,
    }
    await record(
        session, conversation_id=conversation_id, rev=rev, seq=seq, type=type, now=now, event=event
    )
    await session.commit()
    await publish(bus, conversation_id, event, rev=rev, unfollow_users=unfollow_users)
    return event


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message just stored by `sending`, as its row was written: a plain object, since
    building ORM instances cost the hot path more than the statements that store them."""

    id: int
    conversation_id: int
    seq: int
    sender_id: int
    client_id: str
    text: str
    reply_to_id: int | None
    created_at: datetime
    recalled_at: datetime | None
    withheld: bool
    moderation: str | None = None


class Sender(Protocol):
    """What a message shows of its sender: a `User` row, or sending's detached `Author`."""

    @property
    def username(self) -> str: ...

    @property
    def display_name(self) -> str: ...


def hidden_from(message: Message | NewMessage, viewer_id: int | None) -> bool:
    """Whether moderation hides the message's content from `viewer_id` (anyone but its
    sender; None stands for the sender's own view)."""
    return (
        message.moderation is not None and viewer_id is not None and viewer_id != message.sender_id
    )


def message_json(
    message: Message | NewMessage,
    sender: Sender,
    pictures: Sequence[MediaRef] = (),
    card: dict[str, Any] | None = None,
    *,
    viewer_id: int | None = None,
) -> dict[str, Any]:
    """A message as `viewer_id` sees it (None: as its sender does). A recalled message keeps
    its place but loses its text and its pictures; so does one moderation removed, for anyone
    but its sender (`removed`), who sees it whole, marked (`moderation`: held or removed). A
    held message is not shown to others at all: the callers leave it out."""
    recalled = message.recalled_at is not None
    removed = hidden_from(message, viewer_id)
    blank = recalled or removed
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "sender": sender.username,
        "sender_display_name": sender.display_name,
        "text": "" if blank else message.text,
        "client_id": message.client_id,
        "reply_to": message.reply_to_id,
        "created_at": message.created_at.isoformat(),
        "recalled": recalled,
        "removed": removed,
        "moderation": None if removed else message.moderation,
        "media": [] if blank else [picture.as_dict() for picture in pictures],
        # A shared public account article (plaza.public_accounts.service.cards).
        "card": None if blank else card,
    }


def message_event(
    message: Message | NewMessage,
    sender: Sender,
    rev: int,
    pictures: Sequence[MediaRef] = (),
    card: dict[str, Any] | None = None,
    *,
    viewer_id: int | None = None,
) -> dict[str, Any]:
    return {
        "type": "message.new",
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "rev": rev,
        "message": message_json(message, sender, pictures, card, viewer_id=viewer_id),
    }


def _shown(messages: Sequence[Message], viewer_id: int | None) -> list[int]:
    """The messages whose pictures and cards the viewer is shown: not recalled, not hidden."""
    return [m.id for m in messages if m.recalled_at is None and not hidden_from(m, viewer_id)]


async def pictures_of(
    session: AsyncSession, messages: Sequence[Message], *, viewer_id: int | None = None
) -> dict[int, list[MediaRef]]:
    """The pictures of many messages in one query (message id -> pictures in order); the
    recalled ones, and those moderation hides from the viewer, are not asked for."""
    wanted = _shown(messages, viewer_id)
    return await media.refs_for(session, surface="message", ref_ids=wanted)


async def cards_of(
    session: AsyncSession, messages: Sequence[Message], *, viewer_id: int | None = None
) -> dict[int, dict[str, Any]]:
    """The cards of the messages that share an article (message id -> card JSON)."""
    found = await cards.cards_of(session, surface="message", ref_ids=_shown(messages, viewer_id))
    return {message_id: card.as_dict() for message_id, card in found.items()}


async def messages_json(
    session: AsyncSession, rows: Sequence[tuple[Message, Sender]], *, viewer_id: int | None
) -> list[dict[str, Any]]:
    """`message_json` of many stored messages as `viewer_id` sees them, their pictures and
    cards read in one query each for all of them."""
    messages = [m for m, _ in rows]
    pictures = await pictures_of(session, messages, viewer_id=viewer_id)
    found = await cards_of(session, messages, viewer_id=viewer_id)
    return [
        message_json(m, s, pictures.get(m.id, ()), found.get(m.id), viewer_id=viewer_id)
        for m, s in rows
    ]


async def publish(
    bus: Bus,
    conversation_id: int,
    event: dict[str, Any],
    *,
    rev: int | None,
    unfollow_users: list[int] | None = None,
    visible_to: list[int] | None = None,
) -> None:
    """`visible_to`: only these people's connections get the event; the other followers
    only move past its revision (a withheld message)."""
    await bus.publish(
        topic(conversation_id),
        pack(event, rev=rev, unfollow_users=unfollow_users, visible_to=visible_to),
    )


async def publish_to_user(
    bus: Bus, user_id: int, event: dict[str, Any], *, follow: dict[str, int] | None = None
) -> None:
    await bus.publish(user_topic(user_id), pack(event, follow=follow))
