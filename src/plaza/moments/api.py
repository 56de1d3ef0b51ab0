"""JSON routes of moments: posting, the timeline, a person's moments, likes and comments,
and the "new from friends" count. Who sees what is decided in plaza.moments.policies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from plaza.deps import (
    CurrentUser,
    CurrentUserId,
    DbSession,
    ModerationDep,
    PageLimit,
    RuntimeDep,
)
from plaza.moments.limits import MomentLimits
from plaza.moments.live import nudges_of
from plaza.moments.schemas import (
    CommentIn,
    CommentOut,
    LikesOut,
    MomentIn,
    MomentOut,
    UnseenOut,
)
from plaza.moments.service import interactions, posting, reading
from plaza.pagination import Page
from plaza.validation import PathId, PathUsername, QueryCursor
from plaza.web.openapi import errors

router = APIRouter(prefix="/api/v1", tags=["moments"])


async def _limits(runtime: RuntimeDep) -> MomentLimits:
    return MomentLimits.of(runtime.settings, runtime.limiter)


Limits = Annotated[MomentLimits, Depends(_limits)]


@router.post("/moments", status_code=201, response_model=MomentOut, responses=errors(429))
async def post_moment(
    body: MomentIn,
    request: Request,
    user: CurrentUser,
    session: DbSession,
    runtime: RuntimeDep,
    limits: Limits,
    moderation: ModerationDep,
) -> MomentOut:
    """Share text and up to PLAZA_MEDIA_MAX_PER_ITEM pictures (ids from `POST /media`) with
    friends. `visibility` names friends (422 `not_a_friend` for anyone who is not one) and
    my labels (422 `unknown_label`); pictures must be my uploads (422 `unknown_media`)."""
    await limits.check_post(user.id)
    settings = runtime.settings
    view = await posting.create(
        session,
        clock=runtime.clock,
        author=user,
        draft=posting.Draft(
            text=body.text,
            media_ids=body.media_ids,
            mode=body.visibility.mode,
            usernames=body.visibility.usernames,
            labels=body.visibility.labels,
            article_id=body.article_id,
        ),
        limits=posting.PostLimits(
            max_chars=settings.moments_text_max_chars, max_media=settings.media_max_per_item
        ),
        moderation=moderation,
    )
    nudges_of(request.app).after_post(view.moment.id)
    return MomentOut.of(view)


@router.get("/moments/timeline", response_model=Page[MomentOut])
async def timeline(
    user_id: CurrentUserId, session: DbSession, limit: PageLimit, cursor: QueryCursor = None
) -> Page[MomentOut]:
    """My moments and my friends' that I may see, newest first."""
    views, next_cursor = await reading.timeline(
        session, viewer_id=user_id, cursor=cursor, limit=limit
    )
    return Page(items=[MomentOut.of(v) for v in views], next_cursor=next_cursor)


@router.get("/moments/unseen", response_model=UnseenOut)
async def unseen(user_id: CurrentUserId, session: DbSession) -> UnseenOut:
    """How many moments of friends I may see are newer than my last `POST /moments/seen`
    (the "new from friends" badge). The stream's `moments.unseen` event carries the same."""
    return UnseenOut(count=await reading.unseen_count(session, viewer_id=user_id))


@router.post("/moments/seen", status_code=204)
async def mark_seen(user: CurrentUser, session: DbSession) -> Response:
    """I opened the timeline: everything so far is seen."""
    await reading.mark_seen(session, user=user)
    return Response(status_code=204)


@router.get("/users/{username}/moments", response_model=Page[MomentOut])
async def person_moments(
    username: PathUsername,
    user_id: CurrentUserId,
    session: DbSession,
    runtime: RuntimeDep,
    limit: PageLimit,
    cursor: QueryCursor = None,
) -> Page[MomentOut]:
    """What I may see of one person's moments, newest first: nothing for a stranger, unless
    PLAZA_MOMENTS_STRANGER_PREVIEW lets them see that many of the latest shared with all
    friends."""
    views, next_cursor = await reading.person_moments(
        session,
        viewer_id=user_id,
        username=username,
        cursor=cursor,
        limit=limit,
        stranger_preview=runtime.settings.moments_stranger_preview,
    )
    return Page(items=[MomentOut.of(v) for v in views], next_cursor=next_cursor)


@router.get("/moments/{moment_id}", response_model=MomentOut)
async def get_moment(
    moment_id: PathId, user_id: CurrentUserId, session: DbSession, runtime: RuntimeDep
) -> MomentOut:
    view = await reading.get_moment(
        session,
        viewer_id=user_id,
        moment_id=moment_id,
        stranger_preview=runtime.settings.moments_stranger_preview,
    )
    return MomentOut.of(view)


@router.delete("/moments/{moment_id}", status_code=204)
async def delete_moment(moment_id: PathId, user: CurrentUser, session: DbSession) -> Response:
    """The author deletes a moment, with its likes and comments, for everyone at once."""
    await posting.remove(session, user=user, moment_id=moment_id)
    return Response(status_code=204)


async def _like(
    moment_id: int, liked: bool, user: CurrentUser, session: DbSession, runtime: RuntimeDep
) -> LikesOut:
    likes = await interactions.set_like(
        session,
        clock=runtime.clock,
        bus=runtime.bus,
        user=user,
        moment_id=moment_id,
        liked=liked,
        stranger_preview=runtime.settings.moments_stranger_preview,
    )
    return LikesOut.of(likes)


@router.post("/moments/{moment_id}/like", response_model=LikesOut, responses=errors(429))
async def like(
    moment_id: PathId, user: CurrentUser, session: DbSession, runtime: RuntimeDep, limits: Limits
) -> LikesOut:
    """Like a moment (again: no change). Answers the likes I may see; the author hears of
    it on the stream (`moment.liked`)."""
    await limits.check_like(user.id)
    return await _like(moment_id, True, user, session, runtime)


@router.delete("/moments/{moment_id}/like", response_model=LikesOut, responses=errors(429))
async def unlike(
    moment_id: PathId, user: CurrentUser, session: DbSession, runtime: RuntimeDep, limits: Limits
) -> LikesOut:
    """Take my like back (none: no change). Answers the likes I may see."""
    await limits.check_like(user.id)
    return await _like(moment_id, False, user, session, runtime)


@router.post(
    "/moments/{moment_id}/comments",
    status_code=201,
    response_model=CommentOut,
    responses=errors(429),
)
async def comment(
    moment_id: PathId,
    body: CommentIn,
    user: CurrentUser,
    session: DbSession,
    runtime: RuntimeDep,
    limits: Limits,
    moderation: ModerationDep,
) -> CommentOut:
    """Comment, or answer a comment I can see (`reply_to`; 422 `unknown_comment` otherwise).
    The author and the person answered hear of it on the stream (`moment.commented`)."""
    await limits.check_comment(user.id)
    view = await interactions.add_comment(
        session,
        clock=runtime.clock,
        bus=runtime.bus,
        user=user,
        moment_id=moment_id,
        text=body.text,
        reply_to=body.reply_to,
        max_chars=runtime.settings.moments_comment_max_chars,
        stranger_preview=runtime.settings.moments_stranger_preview,
        moderation=moderation,
    )
    return CommentOut.of(view)


@router.delete("/moments/{moment_id}/comments/{comment_id}", status_code=204)
async def delete_comment(
    moment_id: PathId, comment_id: PathId, user: CurrentUser, session: DbSession
) -> Response:
    """Delete a comment: my own, or any on my moment."""
    await interactions.remove_comment(
        session, user=user, moment_id=moment_id, comment_id=comment_id
    )
    return Response(status_code=204)
