"""The API document as a contract (design.md §9): every error a route can answer, with the real
error shape, and the bearer security scheme.

Two sources, so that nothing is written twice and nothing is forgotten:

- Statuses that follow from how a route is built are derived from its dependencies and
  parameters when the document is generated (`document_errors`): every route can answer 503
  (the database is out of reach); a route that needs a signed-in person, 401; a write by such a
  route, 403 (the CSRF check of cookie sessions); a route with parameters or a body, 422; a route
  with a JSON body, 400 (not JSON text); a write, 413 (the body limit runs before any route); a
  route with path parameters, 404 (the object named is not there or not yours to see).
- Statuses that depend on what the use case does (409 for a conflict, 429 for a rate limit, 404
  for a name in a body, 401 for a failed log-in) are declared on the route:
  `@router.post(..., responses=errors(409, 429))`.

FastAPI's own 422 (`HTTPValidationError`, `{"detail": [...]}`) is replaced by Plaza's shape.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi import routing as fastapi_routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

from plaza import deps

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class ErrorDetail(BaseModel):
    code: str = Field(
        description="Machine-readable: invalid, unauthorized, csrf, not_found, rate_limited, ..."
    )
    message: str = Field(description="For people: what went wrong and what to do.")
    field: str | None = Field(
        None, description="The input at fault (a body field, a parameter, `cursor`), if any."
    )


class ErrorOut(BaseModel):
    """Every error answer of the JSON API."""

    error: ErrorDetail


DESCRIPTIONS = {
    400: "The body is not JSON text (`bad_request`).",
    401: "Not signed in, or the session has ended (`unauthorized`); or, when logging in, a "
    "wrong username or password (`bad_credentials`).",
    403: "Not allowed: the action is not yours to take (`forbidden` or a specific code), your "
    "account is suspended or closed, or a cookie-authenticated write lacks `X-CSRF-Token` "
    "(`csrf`).",
    404: "Not found, or not yours to see (the two are not told apart) (`not_found`).",
    409: "The request conflicts with the current state (a specific code says how).",
    410: "Taken down for good: a public account closed by a moderator (`account_closed`), or "
    "a data export's zip past PLAZA_EXPORT_KEEP_DAYS (`export_expired`).",
    413: "The request body is over the size limit, PLAZA_MAX_BODY_BYTES, or a picture is over "
    "PLAZA_MEDIA_MAX_BYTES (`too_large`).",
    415: "The upload is not a picture of a supported kind (`unsupported_media_type`): JPEG, "
    "PNG, WebP, GIF or HEIC/HEIF, told by its content, not its name or declared type.",
    422: "An input is invalid (`invalid`): `field` names it and `message` says why.",
    429: "Too many requests (`rate_limited`): retry after `Retry-After` seconds.",
    503: "The database cannot be reached for now (`unavailable`): retry after `Retry-After` "
    "seconds.",
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    }
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route for error statuses its use case can answer."""
    return {status: _error_response(status) for status in statuses}


def _error_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {"model": ErrorOut, "description": DESCRIPTIONS[status]}
    if status in (429, 503):
        response["headers"] = RETRY_AFTER
    return response


def _dependencies(dependant: Dependant) -> list[Dependant]:
    found = [dependant]
    for sub in dependant.dependencies:
        found += _dependencies(sub)
    return found


def derived_statuses(route: Any, method: str) -> set[int]:
    """The error statuses a route can answer because of how it is built."""
    every = _dependencies(route.dependant)
    calls = {d.call for d in every}
    statuses = {503}
    if calls & {deps.current_sign_in, deps.current_user_id, deps.current_sender}:
        statuses.add(401)
    writes = method not in SAFE_METHODS
    if writes and calls & {deps.optional_sign_in, deps.current_user_id, deps.current_sender}:
        statuses.add(403)
    if writes:
        statuses.add(413)
    parameters = [
        p
        for d in every
        for p in (*d.path_params, *d.query_params, *d.header_params, *d.cookie_params)
    ]
    has_body = any(d.body_params for d in every)
    if parameters or has_body:
        statuses.add(422)
    if has_body:
        statuses.add(400)
    if any(d.path_params for d in every):
        statuses.add(404)
    return statuses


def _error_schema_components() -> dict[str, Any]:
    _, schema = models_json_schema(
        [(ErrorOut, "serialization")], ref_template="#/components/schemas/{model}"
    )
    components: dict[str, Any] = schema["$defs"]
    return components


def _error_response_object(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
    }
    if status in (429, 503):
        response["headers"] = RETRY_AFTER
    return response


def document_errors(document: dict[str, Any], routes: list[Any]) -> dict[str, Any]:
    """Add the derived error statuses of every route to `document`, in Plaza's error shape."""
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components.update(_error_schema_components())
    for route in _api_routes(routes):
        for method in route.methods:
            operation = document["paths"].get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(derived_statuses(route, method)):
                existing = responses.get(str(status))
                if existing is None or _is_fastapi_validation_error(existing):
                    responses[str(status)] = _error_response_object(status)
            operation["responses"] = dict(sorted(responses.items()))
    if not any(_is_fastapi_validation_error(r) for r in _all_responses(document)):
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
    return document


def _api_routes(routes: list[Any]) -> list[Any]:
    """The routes of the document, through included routers (FastAPI ≥ 0.16x resolves those
    lazily: `iter_route_contexts` gives each route as it is served, prefix included)."""
    contexts = getattr(fastapi_routing, "iter_route_contexts", None)
    found = contexts(routes) if contexts is not None else routes
    return [
        route
        for route in found
        if isinstance(getattr(route, "original_route", route), APIRoute) and route.include_in_schema
    ]


def _all_responses(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        response
        for operations in document["paths"].values()
        for operation in operations.values()
        for response in operation.get("responses", {}).values()
    ]


def _is_fastapi_validation_error(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return str(schema.get("$ref", "")).endswith("/HTTPValidationError")


def install_openapi(app: FastAPI) -> None:
    """Serve a document with every route's errors (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                servers=app.servers,
            )
            app.openapi_schema = document_errors(document, app.routes)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
