"""Chat's plug into moderation: the "message" surface.

- `snapshot`: the text, pictures and sender, with the conversation and the messages before
  it that its recipients saw (plaza.chat.service.moderation_state.snapshot_of).
- `can_view`: exactly who may see the message in the chat itself: a member for whom it is
  in their history, not recalled, withheld or hidden by moderation (plaza.chat.pictures,
  which decides the same for its pictures).
- `set_state`: held, removed or restored, as a revision of the conversation that open
  screens hear of after commit (plaza.chat.service.moderation_state.set_state).
"""

from __future__ import annotations

from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from plaza.chat import pictures
from plaza.chat.models import Message
from plaza.chat.service import moderation_state
from plaza.media.service import media_ids_of
from plaza.moderation.setup import Moderation
from plaza.moderation.surfaces import Snapshot, Surface
from plaza.runtime import Runtime

SURFACE = "message"


async def snapshot(session: AsyncSession, message_id: int) -> Snapshot | None:
    message = await session.get(Message, message_id)
    if message is None:
        return None
    return Snapshot(
        surface=SURFACE,
        ref_id=message.id,
        author_id=message.sender_id,
        text=message.text,
        media_ids=await media_ids_of(session, surface=SURFACE, ref_id=message.id),
        context=await moderation_state.snapshot_of(session, message),
    )


async def can_view(session: AsyncSession, viewer_id: int, message_id: int) -> bool:
    return await pictures.may_see_any(session, viewer_id, [message_id])


def install(moderation: Moderation, runtime: Runtime) -> None:
    """Chat's moderation hook, called by create_app: registers the surface, and has the send
    batcher screen every message it stores (HTTP and stream sends alike)."""
    runtime.chat_sends.moderation = moderation
    set_state = partial(moderation_state.set_state, bus=runtime.bus, clock=runtime.clock)
    moderation.surfaces.register(Surface(SURFACE, snapshot, can_view, set_state))
