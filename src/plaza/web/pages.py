"""Pages of the shell itself: the home page."""

from __future__ import annotations

from fastapi import APIRouter, Request

from plaza.deps import WebUser
from plaza.web.forms import redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(request: Request, user: WebUser):
    """Signed-in people land on their chats; everyone else on the welcome page."""
    if user is not None:
        return redirect("/chat")
    return render(request, "home.html", None)
