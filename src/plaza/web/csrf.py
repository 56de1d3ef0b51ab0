"""CSRF protection, tied to the session.

A signed-in browser's CSRF token is derived from its session token (an HMAC keyed by it), so
it changes with every sign-in and nobody who cannot read the httpOnly session cookie can
compute it; a cookie planted by a sibling subdomain is worth nothing. Pages carry the token in
a `<meta name="csrf-token">` and in a hidden `csrf_token` field of every form; the web
client's JavaScript sends it as `X-CSRF-Token`. Before signing in (the sign-in and sign-up
forms) there is no session yet, so the token is a random value in a readable `plaza_csrf`
cookie that the form must echo (double submit). Bearer-token API calls need no CSRF token: a
browser never attaches them by itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plaza.errors import Forbidden

CSRF_COOKIE = "plaza_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_COOKIE = "plaza_session"
NO_PAGES = ("/api/", "/static/", "/static-docs/", "/healthz")


def token_for_session(session_token: str) -> str:
    """The CSRF token of a signed-in browser."""
    digest = hmac.new(session_token.encode(), b"plaza-csrf-v1", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def expected_token(cookies: dict[str, str]) -> str | None:
    """What a request with these cookies must echo: derived from the session when there is
    one, else the pre-session cookie's value."""
    session_token = cookies.get(SESSION_COOKIE)
    if session_token:
        return token_for_session(session_token)
    return cookies.get(CSRF_COOKIE)


def _same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())  # type: ignore[union-attr]


def check_csrf_header(request) -> None:
    if not _same(request.headers.get(CSRF_HEADER), expected_token(request.cookies)):
        raise Forbidden("missing or wrong CSRF token; reload the page", code="csrf")


def check_csrf_form(request, form_value: str | None) -> None:
    if not _same(form_value, expected_token(request.cookies)):
        raise Forbidden("missing or wrong CSRF token; reload the page", code="csrf")


class CsrfCookieMiddleware:
    """Give every browser a pre-session CSRF cookie; expose the token its pages must carry
    to templates as `request.state.csrf_token`."""

    def __init__(self, app: ASGIApp, *, secure: bool) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(NO_PAGES):
            # JSON, files and health checks render no page: nothing to carry a token.
            await self.app(scope, receive, send)
            return
        cookies = _cookies(scope)
        fresh = CSRF_COOKIE not in cookies
        if fresh:
            cookies[CSRF_COOKIE] = secrets.token_urlsafe(24)
        scope.setdefault("state", {})["csrf_token"] = expected_token(cookies)
        if not fresh:
            await self.app(scope, receive, send)
            return
        attrs = f"{CSRF_COOKIE}={cookies[CSRF_COOKIE]}; Path=/; SameSite=Lax"
        if self.secure:
            attrs += "; Secure"

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"set-cookie", attrs.encode()))
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _cookies(scope: Scope) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, value in scope.get("headers", ()):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k and v:
                    found.setdefault(k, v)
    return found
