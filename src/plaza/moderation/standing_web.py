"""The "My standing" page: the server-rendered twin of `GET /api/v1/standing`.

Read-only, so it is rendered on the server from the same service call as the API (no
script needed). A suspended or closed person may sign in and read it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from plaza.deps import DbSession, ModerationDep, RuntimeDep, WebUser
from plaza.moderation.service import strikes
from plaza.web.forms import render, sign_in_first

router = APIRouter(include_in_schema=False)

# How the page names what a strike was for.
SURFACE_NAMES = {
    "message": "a message",
    "moment": "a moment",
    "comment": "a comment",
    "article": "an article",
    "profile": "your profile",
    "public_account": "a public account",
    "image": "a picture",
    "user": "your account",
}


@router.get("/standing")
async def standing_page(
    request: Request,
    user: WebUser,
    session: DbSession,
    runtime: RuntimeDep,
    moderation: ModerationDep,
) -> Response:
    if user is None:
        return sign_in_first(request)
    found = await strikes.standing(
        session, moderation=moderation, user=user, now=runtime.clock.now()
    )
    return render(request, "standing.html", user, s=found, surface_names=SURFACE_NAMES)
