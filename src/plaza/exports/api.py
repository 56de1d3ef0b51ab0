"""JSON routes of data exports: start one, list mine, see one's progress, fetch its zip.

`GET /exports/{id}` is the export's status (design.md §3 says "a zip when ready": the zip is
beside it, at `GET /exports/{id}/download`, so that polling the status never downloads it).
Suspended and closed accounts may export: they can sign in, and nothing here refuses them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from plaza.deps import CurrentUser, DbSession, PageLimit, RuntimeDep
from plaza.exports.runner import exports_of
from plaza.exports.schemas import ExportOut, ExportPage
from plaza.exports.service import jobs
from plaza.validation import PathId, QueryCursor
from plaza.web.openapi import errors

router = APIRouter(prefix="/api/v1", tags=["data export"])
ZIP: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The archive: JSON files, the pictures and an index.html to open.",
        "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post("/exports", status_code=202, response_model=ExportOut, responses=errors(409, 429))
async def start_export(
    request: Request, user: CurrentUser, session: DbSession, runtime: RuntimeDep
) -> ExportOut:
    """Start building a zip of everything I wrote: profile, friends, the messages I sent
    with their conversations, moments and comments, public accounts and articles with
    every revision, my pictures, my notices and appeals, as JSON plus an `index.html` that
    opens offline. Answers 202 at once; follow `GET /exports/{id}` for progress. Open to
    suspended and closed accounts too. 409 `export_running` while one of mine is being
    built; past PLAZA_EXPORTS_PER_DAY a 429."""
    exports = exports_of(request.app)
    export = await exports.ask(session, user_id=user.id)
    return ExportOut.of(export, keep_days=exports.keep_days, now=runtime.clock.now())


@router.get("/exports", response_model=ExportPage)
async def list_exports(
    request: Request,
    user: CurrentUser,
    session: DbSession,
    runtime: RuntimeDep,
    limit: PageLimit,
    cursor: QueryCursor = None,
) -> ExportPage:
    """My exports, newest first."""
    keep_days = exports_of(request.app).keep_days
    rows, next_cursor = await jobs.page(session, user_id=user.id, cursor=cursor, limit=limit)
    now = runtime.clock.now()
    return ExportPage(
        items=[ExportOut.of(e, keep_days=keep_days, now=now) for e in rows],
        next_cursor=next_cursor,
    )


@router.get("/exports/{export_id}", response_model=ExportOut, responses=errors(404))
async def get_export(
    export_id: PathId, request: Request, user: CurrentUser, session: DbSession, runtime: RuntimeDep
) -> ExportOut:
    """One of my exports: its state, `done_steps` of `total_steps`, and once done its
    `download_url` until `expires_at`. Anyone else's is a 404."""
    export = await jobs.get(session, user_id=user.id, export_id=export_id)
    keep_days = exports_of(request.app).keep_days
    return ExportOut.of(export, keep_days=keep_days, now=runtime.clock.now())


@router.get(
    "/exports/{export_id}/download",
    response_class=FileResponse,
    responses={**ZIP, **errors(404, 409, 410)},
)
async def download_export(
    export_id: PathId, request: Request, user: CurrentUser, session: DbSession, runtime: RuntimeDep
) -> FileResponse:
    """The zip of one of my finished exports. 409 `export_not_ready` while it is being built
    (`export_failed` if it failed); 410 `export_expired` after PLAZA_EXPORT_KEEP_DAYS."""
    settings = runtime.settings
    path = await jobs.zip_path(
        session,
        clock=runtime.clock,
        data_dir=settings.data_dir,
        keep_days=settings.export_keep_days,
        user_id=user.id,
        export_id=export_id,
    )
    username = user.username
    # The database has answered: give its connection back before the file is streamed.
    await session.close()
    return FileResponse(
        path,
        media_type="application/zip",
        filename=f"plaza-{username}-export-{export_id}.zip",
        headers={"Cache-Control": "private, no-store"},
    )
