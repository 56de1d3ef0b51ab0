"""Moments' plug into moderation: the "moment" and "comment" surfaces.

- `snapshot`: the text (and pictures) with its author; a comment with the moment it
  answers, so a moderator reads it in context.
- `can_view`: exactly moments' own rule (plaza.moments.policies), strangers' previews
  included: who may see the moment; for a comment, who may see its moment and it.
- `set_state`: held, removed or restored (plaza.moments.service.moderation_state), announced
  after commit to the author and to the friends whose screens may show it.
"""

from __future__ import annotations

from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from plaza.errors import NotFound
from plaza.media.service import media_ids_of
from plaza.moderation.setup import Moderation
from plaza.moderation.surfaces import Snapshot, Surface
from plaza.moments import policies
from plaza.moments.models import Moment, MomentComment
from plaza.moments.policies import ViewerFacts
from plaza.moments.service import moderation_state
from plaza.moments.service.facts import viewer_facts
from plaza.moments.service.reading import visible_moment
from plaza.moments.service.views import SURFACE
from plaza.runtime import Runtime

COMMENT_SURFACE = "comment"


async def moment_snapshot(session: AsyncSession, moment_id: int) -> Snapshot | None:
    moment = await session.get(Moment, moment_id)
    if moment is None:
        return None
    return Snapshot(
        surface=SURFACE,
        ref_id=moment.id,
        author_id=moment.author_id,
        text=moment.text,
        media_ids=await media_ids_of(session, surface=SURFACE, ref_id=moment.id),
        public=moment.visibility != "private",
        context={"visibility": moment.visibility, "created_at": moment.created_at.isoformat()},
    )


async def comment_snapshot(session: AsyncSession, comment_id: int) -> Snapshot | None:
    comment = await session.get(MomentComment, comment_id)
    if comment is None:
        return None
    moment = await session.get(Moment, comment.moment_id)
    assert moment is not None  # comments go with their moment (ON DELETE CASCADE)
    return Snapshot(
        surface=COMMENT_SURFACE,
        ref_id=comment.id,
        author_id=comment.author_id,
        text=comment.text,
        public=True,
        context={
            "moment_id": moment.id,
            "moment_author_id": moment.author_id,
            "moment_text": moment.text,
            "reply_to_id": comment.reply_to_id,
        },
    )


def install(moderation: Moderation, runtime: Runtime) -> None:
    """Moments' moderation hook, called by create_app."""
    preview = runtime.settings.moments_stranger_preview

    async def sees_moment(session: AsyncSession, viewer: ViewerFacts, moment_id: int) -> bool:
        try:
            await visible_moment(
                session, viewer=viewer, moment_id=moment_id, stranger_preview=preview
            )
        except NotFound:
            return False
        return True

    async def moment_can_view(session: AsyncSession, viewer_id: int, moment_id: int) -> bool:
        return await sees_moment(session, await viewer_facts(session, viewer_id), moment_id)

    async def comment_can_view(session: AsyncSession, viewer_id: int, comment_id: int) -> bool:
        comment = await session.get(MomentComment, comment_id)
        if comment is None:
            return False
        viewer = await viewer_facts(session, viewer_id)
        return await sees_moment(session, viewer, comment.moment_id) and (
            policies.can_see_interaction(
                viewer,
                actor_id=comment.author_id,
                reply_to_user_id=comment.reply_to_user_id,
                moderation=comment.moderation,
            )
        )

    bus, clock = runtime.bus, runtime.clock
    moment_set_state = partial(moderation_state.set_moment_state, bus=bus, clock=clock)
    comment_set_state = partial(moderation_state.set_comment_state, bus=bus, clock=clock)
    surfaces = moderation.surfaces
    surfaces.register(Surface(SURFACE, moment_snapshot, moment_can_view, moment_set_state))
    surfaces.register(
        Surface(COMMENT_SURFACE, comment_snapshot, comment_can_view, comment_set_state)
    )
