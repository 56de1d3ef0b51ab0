"""A person's notices and appeals: `GET /api/v1/notices`, `GET /api/v1/notices/{id}`,
`POST /api/v1/notices/{id}/appeal`. Open to suspended and closed accounts too: they may sign
in to read why and to contest it."""

from __future__ import annotations

from fastapi import APIRouter, Request

from plaza.deps import CurrentUser, DbSession, PageLimit, RuntimeDep
from plaza.moderation.schemas import AppealIn, AppealOut, NoticeOut
from plaza.moderation.service import appeals, notices
from plaza.moderation.setup import moderation_of
from plaza.pagination import Page
from plaza.validation import PathId, QueryCursor
from plaza.web.openapi import errors

router = APIRouter(prefix="/api/v1", tags=["trust and safety"])


@router.get("/notices", response_model=Page[NoticeOut])
async def list_notices(
    user: CurrentUser,
    session: DbSession,
    runtime: RuntimeDep,
    limit: PageLimit,
    cursor: QueryCursor = None,
) -> Page[NoticeOut]:
    """My notices, the newest first: every enforcement that concerned me, each with its
    statement of reasons, and the outcomes of my appeals."""
    found, next_cursor = await notices.mine(session, user_id=user.id, cursor=cursor, limit=limit)
    now = runtime.clock.now()
    return Page(items=[NoticeOut.of(v, now) for v in found], next_cursor=next_cursor)


@router.get("/notices/{notice_id}", response_model=NoticeOut, responses=errors(404))
async def get_notice(
    notice_id: PathId, user: CurrentUser, session: DbSession, runtime: RuntimeDep
) -> NoticeOut:
    """One of my notices (someone else's is a 404), which is marked read."""
    view = await notices.get(session, user_id=user.id, notice_id=notice_id)
    await notices.read(session, clock=runtime.clock, view=view)
    return NoticeOut.of(view, runtime.clock.now())


@router.post(
    "/notices/{notice_id}/appeal",
    status_code=201,
    response_model=AppealOut,
    responses=errors(404, 409),
)
async def appeal_notice(
    notice_id: PathId,
    body: AppealIn,
    request: Request,
    user: CurrentUser,
    session: DbSession,
    runtime: RuntimeDep,
) -> AppealOut:
    """Appeal one of my enforcement notices, once, within PLAZA_APPEAL_WINDOW_DAYS of it (409
    `appeal_window_closed`, `already_appealed`; 422 `not_appealable` for an appeal's outcome,
    `appeal_too_long`). A moderator other than the one who decided reviews it."""
    appeal = await appeals.file(
        session,
        moderation=moderation_of(request.app),
        clock=runtime.clock,
        user=user,
        notice_id=notice_id,
        text=body.text,
    )
    return AppealOut.model_validate(appeal)
