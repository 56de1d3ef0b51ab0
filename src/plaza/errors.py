"""The one error type of Plaza and its mapping to HTTP.

Services raise `PlazaError` subclasses; the app turns each into
`{"error": {"code": ..., "message": ...}}` with a 4xx status. Nothing else should reach a client
as an error, and nothing should become a 500. The one 5xx is `Unavailable` (503 with
`Retry-After`): the database cannot be reached for now, and `database_unavailable` tells such a
failure apart from a bug wherever one is caught.
"""

from __future__ import annotations

import sqlite3
from types import TracebackType
from typing import Any

from sqlalchemy import exc as sa

DATABASE_UNREACHABLE = "the database is unreachable; retry shortly"


class PlazaError(Exception):
    """A failure the client caused or may act on."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field


class Invalid(PlazaError):
    status = 422
    code = "invalid"


class Unauthorized(PlazaError):
    status = 401
    code = "unauthorized"


class Forbidden(PlazaError):
    status = 403
    code = "forbidden"


class NotFound(PlazaError):
    """Also used for things that exist but the caller may not see, so existence does not leak."""

    status = 404
    code = "not_found"


class Conflict(PlazaError):
    status = 409
    code = "conflict"


class Gone(PlazaError):
    """It was there and was taken down for good (a public account closed by a moderator):
    unlike a 404, clients such as feed readers may forget the address."""

    status = 410
    code = "gone"


class TooLarge(PlazaError):
    status = 413
    code = "too_large"


class UnsupportedMediaType(PlazaError):
    status = 415
    code = "unsupported_media_type"


class RateLimited(PlazaError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(PlazaError):
    """The database cannot be reached for now (down, restarting, locked by another process):
    the client should retry the same request after `retry_after` seconds; a send is idempotent
    on its client_id, so nothing is doubled."""

    status = 503
    code = "unavailable"

    def __init__(self, message: str = DATABASE_UNREACHABLE, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


# PostgreSQL error classes that mean "not reachable now" rather than "this request is wrong":
# connection exceptions (08xxx), shutting down / starting up (57P01-57P03), too many clients.
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
_DRIVER_MODULES = ("sqlalchemy.", "asyncpg.", "aiosqlite.", "plaza.sqlite_inline")


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` means the database cannot be reached for now (a 503, retry shortly), as
    opposed to a bug (a 500). Follows SQLAlchemy's wrapping (`orig`, `raise ... from`)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        error = todo.pop()
        if error is None or id(error) in seen:
            continue
        seen.add(id(error))
        if _unavailable(error):
            return True
        todo += [getattr(error, "orig", None), error.__cause__]
    return False


def _unavailable(error: BaseException) -> bool:
    if isinstance(error, sa.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sa.TimeoutError | sa.DisconnectionError):
        return True  # no pooled connection came free in time / the pool gave up on one
    if isinstance(error, sqlite3.OperationalError):
        code = getattr(error, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
        return "locked" in str(error) or "busy" in str(error)
    module = type(error).__module__
    if module.startswith("asyncpg"):
        sqlstate = getattr(error, "sqlstate", None)
        if isinstance(sqlstate, str):
            return sqlstate.startswith(_UNAVAILABLE_SQLSTATES)
        # asyncpg.InterfaceError: "connection is closed" yes, "another operation is in
        # progress" (a bug) no.
        return "closed" in str(error)
    if isinstance(error, OSError):
        # Refused, reset, timed out or unresolvable: only when the driver was connecting or
        # talking to the server, not from any file or socket of the app.
        return _raised_in(error.__traceback__, _DRIVER_MODULES)
    return False


def _raised_in(tb: TracebackType | None, modules: tuple[str, ...]) -> bool:
    while tb is not None:
        if str(tb.tb_frame.f_globals.get("__name__", "")).startswith(modules):
            return True
        tb = tb.tb_next
    return False


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """The JSON body of every error answer."""
    error: dict[str, Any] = {"code": code, "message": message}
    if field:
        error["field"] = field
    return {"error": error}
