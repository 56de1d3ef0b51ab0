"""Chat's plug into the live stream: which conversations a person follows, replay, and
sending messages over the stream."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.chat.models import Conversation, ConversationEvent, Member, Message
from plaza.chat.service import events, moderation_state
from plaza.chat.service.sending import Draft
from plaza.chat.service.visibility import is_shown
from plaza.errors import Invalid
from plaza.live.hub import Command
from plaza.live.sources import Replay

if TYPE_CHECKING:
    from plaza.runtime import Runtime

PREFIX = "conversation:"


class ConversationSource:
    prefix = PREFIX
    resume_key = "conversations"

    async def followed(self, session: AsyncSession, *, user_id: int) -> dict[str, int]:
        rows = await session.execute(
            select(Conversation.id, Conversation.rev)
            .join(Member, Member.conversation_id == Conversation.id)
            .where(Member.user_id == user_id, Member.hidden.is_(False))
        )
        return {events.topic(cid): rev for cid, rev in rows}

    async def replay(
        self, session: AsyncSession, *, user_id: int, topic: str, after: int, limit: int
    ) -> Replay:
        conversation_id = int(topic[len(PREFIX) :])
        member = await session.get(Member, (conversation_id, user_id))
        if member is None or member.hidden:
            return Replay(allowed=False)
        head = await session.scalar(
            select(Conversation.rev).where(Conversation.id == conversation_id)
        )
        if head is None:
            return Replay(allowed=False)
        if head - after > limit:
            reset = {
                "type": "conversation.reset",
                "conversation_id": conversation_id,
                "rev": head,
                "reason": f"more than {limit} events were missed; reload",
            }
            return Replay(reset=orjson.dumps(reset).decode(), head=head)
        rows = (
            await session.execute(
                select(ConversationEvent, Message, User)
                .outerjoin(Message, Message.id == ConversationEvent.message_id)
                .outerjoin(User, User.id == Message.sender_id)
                .where(
                    ConversationEvent.conversation_id == conversation_id,
                    ConversationEvent.rev > after,
                )
                .order_by(ConversationEvent.rev)
            )
        ).all()
        messages = list({m.id: m for _, m, _ in rows if m is not None}.values())
        pictures = await events.pictures_of(session, messages, viewer_id=user_id)
        cards = await events.cards_of(session, messages, viewer_id=user_id)
        replayed: list[tuple[int, str | None]] = []
        for event_row, message, sender in rows:
            event: dict[str, Any] | None
            if message is None:
                replayed.append((event_row.rev, event_row.payload or "{}"))
                continue
            shown = is_shown(message, user_id)
            if event_row.type in moderation_state.TYPES:
                restored = None
                if shown:
                    restored = events.message_json(
                        message,
                        sender,
                        pictures.get(message.id, ()),
                        cards.get(message.id),
                        viewer_id=user_id,
                    )
                logged = orjson.loads(event_row.payload or "{}")
                event = moderation_state.replayed(logged, message, user_id, restored)
            elif shown:
                event = events.message_event(
                    message,
                    sender,
                    event_row.rev,
                    pictures.get(message.id, ()),
                    cards.get(message.id),
                    viewer_id=user_id,
                )
            else:
                event = None  # not for this person: skipped, like live (see Hub._on_message)
            text = orjson.dumps(event).decode() if event is not None else None
            replayed.append((event_row.rev, text))
        return Replay(events=replayed)


def _field(frame: dict[str, Any], name: str, kind: type, *, optional: bool = False) -> Any:
    value = frame.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise Invalid(f"{name} must be a {kind.__name__}", field=name)
    return value


def send_command(runtime: Runtime) -> Command:
    """The stream's `send` frame: the same use case as POST .../messages."""

    async def send(user_id: int, frame: dict[str, Any]) -> dict[str, Any]:
        conversation_id = _field(frame, "conversation_id", int)
        client_id = _field(frame, "client_id", str)
        text = _field(frame, "text", str)
        reply_to = _field(frame, "reply_to", int, optional=True)
        media_ids = _field(frame, "media_ids", list, optional=True) or []
        article_id = _field(frame, "article_id", int, optional=True)
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in media_ids):
            raise Invalid("media_ids must be a list of picture ids", field="media_ids")
        # The sending transaction re-reads the sender, so a suspension applies at once.
        message, created = await runtime.chat_sends.send(
            Draft(
                user_id,
                conversation_id,
                client_id,
                text,
                reply_to,
                tuple(media_ids),
                article_id=article_id,
            )
        )
        return {"type": "sent", "created": created, "message": message}

    return send
