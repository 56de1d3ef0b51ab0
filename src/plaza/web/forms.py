"""Helpers shared by the server-rendered pages: rendering, redirects, CSRF-checked forms."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from plaza.accounts.models import User
from plaza.validation import ID_MAX
from plaza.web.csrf import CSRF_FIELD, check_csrf_form
from plaza.web.templating import templates


def render(
    request: Request, name: str, user: User | None, status_code: int = 200, **context: Any
) -> Response:
    context.update(
        user=user,
        csrf_token=request.state.csrf_token,
        incoming_requests=getattr(request.state, "incoming_requests", 0),
        unread_notices=getattr(request.state, "unread_notices", 0),
    )
    return templates().TemplateResponse(request, name, context, status_code=status_code)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def sign_in_first(request: Request) -> RedirectResponse:
    return redirect(f"/signin?next={request.url.path}")


async def form_data(request: Request) -> dict[str, str]:
    """The submitted form as plain strings, after checking its CSRF token."""
    form = await request.form()
    data = {k: v for k, v in form.items() if isinstance(v, str)}
    check_csrf_form(request, data.get(CSRF_FIELD))
    return data


def page_id(value: str) -> int:
    """An id from a page's address. Pages take it as text rather than a typed parameter so
    that anything else (`/notices/x`, an id out of range) is the 404 of an unknown address,
    the same for everyone, instead of a 422 that would tell the route exists."""
    if not value.isascii() or not value.isdigit() or not 0 < int(value) <= ID_MAX:
        raise HTTPException(status_code=404)
    return int(value)


def safe_next(url: str | None) -> str:
    """Only same-site paths, so a crafted link cannot bounce a person elsewhere."""
    if url and url.startswith("/") and not url.startswith("//"):
        return url
    return "/"
