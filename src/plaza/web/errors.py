"""Turning every failure into the one error shape (or an HTML page for the browser).

A database that cannot be reached (down, restarting, locked by another process) is a 503
`unavailable` with `Retry-After`, answered by a handler for the database's exception types so
that it is a normal response: Starlette's catch-all for `Exception` re-raises after answering
its 500, and uvicorn then closes the client's keep-alive connection. For the same reason a
database failure after the answer went out in full (a `yield` dependency closing its session
on a connection that just died) is logged, not raised. Any other exception is a bug: logged,
and a 500.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import exc as sa
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plaza.errors import PlazaError, Unavailable, database_unavailable, error_body
from plaza.web.templating import templates

log = logging.getLogger(__name__)


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


def _answer(
    request: Request, status: int, code: str, message: str, field: str | None = None
) -> Response:
    if _wants_html(request):
        return templates().TemplateResponse(
            request, "error.html", {"status": status, "message": message}, status_code=status
        )
    return JSONResponse(error_body(code, message, field), status_code=status)


def _field_of(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "body"


class KeepConnectionAfterDatabaseLoss:
    """Nothing is left to tell a client whose answer went out in full when the database fails
    afterwards (FastAPI closes a `yield` dependency's session after sending the response):
    log it, instead of letting it reach uvicorn, which would close the keep-alive connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        answered = False

        async def send_and_note(message: Message) -> None:
            nonlocal answered
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                answered = True

        try:
            await self.app(scope, receive, send_and_note)
        except Exception as exc:
            if not (answered and database_unavailable(exc)):
                raise
            cause = exc.__cause__ or exc  # Starlette wraps it in a RuntimeError
            log.warning(
                "database lost after answering %s %s: %r", scope["method"], scope["path"], cause
            )


def install_error_handlers(app: FastAPI) -> None:
    app.add_middleware(KeepConnectionAfterDatabaseLoss)

    @app.exception_handler(PlazaError)
    async def plaza_error(request: Request, exc: PlazaError) -> Response:
        if isinstance(exc, Unavailable):
            log.warning(
                "database unavailable on %s %s: %r", request.method, request.url.path, exc.__cause__
            )
        response = _answer(request, exc.status, exc.code, exc.message, exc.field)
        retry_after = getattr(exc, "retry_after", None)  # RateLimited, Unavailable
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    async def database_error(request: Request, exc: Exception) -> Response:
        if not database_unavailable(exc):
            raise exc  # a bug after all: on to `unexpected` below
        unavailable = Unavailable()
        unavailable.__cause__ = exc
        return await plaza_error(request, unavailable)

    # The types a database failure arrives as: SQLAlchemy's, or the driver's OSError when
    # connecting (asyncpg's connection refused is not wrapped).
    for kind in (sa.DBAPIError, sa.TimeoutError, sa.DisconnectionError, OSError):
        app.add_exception_handler(kind, database_error)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": ("body",), "msg": "invalid request"}
        field = _field_of(tuple(first.get("loc", ())))
        message = f"{field}: {first.get('msg', 'invalid')}"
        return _answer(request, 422, "invalid", message, field)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        phrase = HTTPStatus(exc.status_code).phrase
        code = phrase.lower().replace(" ", "_").replace("-", "_")
        message = exc.detail if isinstance(exc.detail, str) else phrase
        return _answer(request, exc.status_code, code, message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _answer(request, 500, "internal", "something went wrong on our side")
