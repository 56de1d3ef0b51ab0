"""The one error type of Plaza and its mapping to HTTP.

Services raise `PlazaError` subclasses; the app turns each into
`{"error": {"code": ..., "message": ...}}` with a 4xx status. Nothing else should reach a client
as an error, and nothing should become a 500.
"""

from __future__ import annotations


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


class TooLarge(PlazaError):
    status = 413
    code = "too_large"


class RateLimited(PlazaError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def error_body(code: str, message: str, field: str | None = None) -> dict:
    """The JSON body of every error answer."""
    error: dict = {"code": code, "message": message}
    if field:
        error["field"] = field
    return {"error": error}
