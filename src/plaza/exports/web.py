"""The "Export my data" page: my exports with their progress, and a button to start one.

The form posts here and calls the same service as `POST /api/v1/exports`; static/exports.js
then polls `GET /api/v1/exports/{id}` every second for the unfinished ones, moving their
progress bars and showing the download link when done. Suspended and closed accounts get the
page like anyone signed in.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from plaza.accounts.models import User
from plaza.deps import DbSession, RuntimeDep, WebUser
from plaza.errors import PlazaError
from plaza.exports.runner import exports_of
from plaza.exports.schemas import ExportOut
from plaza.exports.service import jobs
from plaza.web.forms import form_data, redirect, render, sign_in_first

router = APIRouter(include_in_schema=False)
# Exports shown on the page (the API pages through all of them).
SHOWN = 20


async def _page(
    request: Request,
    user: User,
    session: DbSession,
    runtime: RuntimeDep,
    status_code: int = 200,
    error: str | None = None,
) -> Response:
    exports = exports_of(request.app)
    rows, _ = await jobs.page(session, user_id=user.id, cursor=None, limit=SHOWN)
    now = runtime.clock.now()
    return render(
        request,
        "exports.html",
        user,
        status_code=status_code,
        error=error,
        exports=[ExportOut.of(e, keep_days=exports.keep_days, now=now) for e in rows],
        keep_days=exports.keep_days,
    )


@router.get("/exports")
async def exports_page(
    request: Request, user: WebUser, session: DbSession, runtime: RuntimeDep
) -> Response:
    if user is None:
        return sign_in_first(request)
    return await _page(request, user, session, runtime)


@router.post("/exports")
async def start_export(
    request: Request, user: WebUser, session: DbSession, runtime: RuntimeDep
) -> Response:
    if user is None:
        return sign_in_first(request)
    await form_data(request)
    try:
        await exports_of(request.app).ask(session, user_id=user.id)
    except PlazaError as exc:
        return await _page(request, user, session, runtime, exc.status, error=exc.message)
    return redirect("/exports")
