"""A person's notices in the web client: `/notices` (the list, unread ones marked),
`/notices/{id}` (the statement of reasons, the content as it was decided on, and the appeal
form or the appeal's state), and the appeal form's POST. Server-rendered from the same
service as the JSON API; open to suspended and closed accounts, who sign in to read why and
to contest it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from plaza.accounts.models import User
from plaza.deps import DbSession, RuntimeDep, WebUser
from plaza.errors import PlazaError
from plaza.moderation.service import appeals, notices
from plaza.moderation.setup import moderation_of
from plaza.web.forms import form_data, page_id, redirect, render, sign_in_first

router = APIRouter(include_in_schema=False)

PAGE = 50


@router.get("/notices")
async def notices_page(
    request: Request,
    user: WebUser,
    session: DbSession,
    runtime: RuntimeDep,
    cursor: str | None = None,
) -> Response:
    if user is None:
        return sign_in_first(request)
    try:
        found, next_cursor = await notices.mine(session, user_id=user.id, cursor=cursor, limit=PAGE)
    except PlazaError:
        return redirect("/notices")  # a hand-edited cursor: start from the newest
    return render(
        request,
        "notices.html",
        user,
        notices=found,
        next_cursor=next_cursor,
        now=runtime.clock.now(),
    )


async def _notice_page(
    request: Request,
    user: User,
    notice_id: int,
    session: DbSession,
    runtime: RuntimeDep,
    status_code: int = 200,
    **context: object,
) -> Response:
    view = await notices.get(session, user_id=user.id, notice_id=notice_id)
    await notices.read(session, clock=runtime.clock, view=view)
    now = runtime.clock.now()
    until = view.notice.appeal_until
    return render(
        request,
        "notice.html",
        user,
        status_code=status_code,
        view=view,
        statement=view.notice.statement,
        appealable=view.appeal is None and until is not None and now <= until,
        appeal_max=runtime.settings.appeal_max_chars,
        **context,
    )


@router.get("/notices/{notice_id}")
async def notice_page(
    request: Request, user: WebUser, session: DbSession, runtime: RuntimeDep, notice_id: str
) -> Response:
    if user is None:
        return sign_in_first(request)
    return await _notice_page(request, user, page_id(notice_id), session, runtime)


@router.post("/notices/{notice_id}/appeal")
async def appeal_form(
    request: Request, user: WebUser, session: DbSession, runtime: RuntimeDep, notice_id: str
) -> Response:
    if user is None:
        return sign_in_first(request)
    number = page_id(notice_id)
    form = await form_data(request)
    try:
        await appeals.file(
            session,
            moderation=moderation_of(request.app),
            clock=runtime.clock,
            user=user,
            notice_id=number,
            text=form.get("text", ""),
        )
    except PlazaError as exc:
        if exc.status == 404:
            raise
        return await _notice_page(
            request, user, number, session, runtime, exc.status,
            error=exc.message, text=form.get("text", ""),
        )  # fmt: skip
    return redirect(f"/notices/{number}?appealed=1")
