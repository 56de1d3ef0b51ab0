"""CSRF protection by double submit.

A random token lives in a readable `plaza_csrf` cookie (SameSite=Lax). Forms echo it in a
hidden `csrf_token` field and the web client's JavaScript in an `X-CSRF-Token` header; another
site can make the browser send the cookie but cannot read it to echo it. Bearer-token API calls
need no CSRF token: a browser never attaches them by itself.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plaza.errors import Forbidden

CSRF_COOKIE = "plaza_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_COOKIE = "plaza_session"


def _same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


def check_csrf_header(request) -> None:
    if not _same(request.headers.get(CSRF_HEADER), request.cookies.get(CSRF_COOKIE)):
        raise Forbidden("missing or wrong CSRF token; reload the page", code="csrf")


def check_csrf_form(request, form_value: str | None) -> None:
    if not _same(form_value, request.cookies.get(CSRF_COOKIE)):
        raise Forbidden("missing or wrong CSRF token; reload the page", code="csrf")


class CsrfCookieMiddleware:
    """Give every browser a CSRF cookie; expose its value to templates as state.csrf_token."""

    def __init__(self, app: ASGIApp, *, secure: bool) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _cookie(scope, CSRF_COOKIE)
        fresh = token is None
        if fresh:
            token = secrets.token_urlsafe(24)
        scope.setdefault("state", {})["csrf_token"] = token

        async def send_with_cookie(message: Message) -> None:
            if fresh and message["type"] == "http.response.start":
                attrs = f"{CSRF_COOKIE}={token}; Path=/; SameSite=Lax"
                if self.secure:
                    attrs += "; Secure"
                message.setdefault("headers", []).append((b"set-cookie", attrs.encode()))
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name and v:
                    return v
    return None
