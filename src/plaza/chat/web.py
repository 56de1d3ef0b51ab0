"""The chat page. The page is a shell; static/chat.js drives it through the JSON API and the
live stream with the same cookie session, sending the CSRF token as a header."""

from __future__ import annotations

from fastapi import APIRouter, Request

from plaza.accounts.service import friends
from plaza.chat.service import conversations
from plaza.deps import DbSession, RuntimeDep, WebUser
from plaza.errors import NotFound, PlazaError
from plaza.web.forms import form_data, redirect, render, sign_in_first

router = APIRouter(include_in_schema=False)


@router.get("/chat")
@router.get("/chat/{conversation_id}")
async def chat_page(
    request: Request,
    user: WebUser,
    session: DbSession,
    runtime: RuntimeDep,
    conversation_id: int | None = None,
):
    if user is None:
        return sign_in_first(request)
    if conversation_id is not None:
        # Only members may open it; anyone else (or a made-up id) sees the same 404.
        if not 0 < conversation_id < 2**31:
            raise NotFound("no such conversation")
        await conversations.membership(session, conversation_id=conversation_id, user_id=user.id)
    mine, _ = await friends.list_friends(session, user=user, cursor=None, limit=500)
    return render(
        request,
        "chat.html",
        user,
        conversation_id=conversation_id,
        friends=mine,
        max_pictures=runtime.settings.media_max_per_item,
    )


@router.post("/chat/direct")
async def start_direct(request: Request, user: WebUser, session: DbSession, runtime: RuntimeDep):
    """The "Message" button of a friend's profile: open (or reuse) the direct chat."""
    if user is None:
        return sign_in_first(request)
    form = await form_data(request)
    try:
        view, _ = await conversations.create(
            session,
            clock=runtime.clock,
            bus=runtime.bus,
            creator=user,
            kind="direct",
            usernames=[form.get("username", "")],
            title="",
            max_members=runtime.settings.group_max_members,
        )
    except PlazaError as exc:
        return render(
            request, "error.html", user, exc.status, status=exc.status, message=exc.message
        )
    return redirect(f"/chat/{view.conversation.id}")
