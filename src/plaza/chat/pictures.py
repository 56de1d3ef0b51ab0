"""Chat's part in picture access: who may see the pictures of a message.

Registered with media's viewer checks at start-up (`install`), so media never imports chat. A
viewer may see a message's pictures when they may see the message in the chat itself: a
member of its conversation for whom it is not hidden, from the point their history starts,
the message not recalled, and not withheld from them (a blocked sender's message is seen by
its sender only: blocks stay invisible, and withheld pictures with them), nor held or
removed by moderation (then its pictures are its sender's alone).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.chat.models import Member, Message
from plaza.media.access import ViewerChecks

SURFACE = "message"


async def may_see_any(session: AsyncSession, viewer_id: int, message_ids: Sequence[int]) -> bool:
    """Whether the viewer may see at least one of these messages (and so its pictures)."""
    row = await session.execute(
        select(Message.id)
        .join(
            Member,
            and_(Member.conversation_id == Message.conversation_id, Member.user_id == viewer_id),
        )
        .where(
            Message.id.in_(list(message_ids)),
            Message.recalled_at.is_(None),
            Member.hidden.is_(False),
            Message.seq >= Member.history_from_seq,
            or_(
                Message.sender_id == viewer_id,
                and_(Message.withheld.is_(False), Message.moderation.is_(None)),
            ),
        )
        .limit(1)
    )
    return row.first() is not None


def install(access: ViewerChecks) -> None:
    access.register(SURFACE, may_see_any)
