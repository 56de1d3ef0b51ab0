"""FastAPI dependencies shared by every domain's routes, as `Annotated` aliases.

`DbSession`, `CurrentUser` and friends keep route signatures short and uniform (the pattern
Netflix Dispatch uses). A request authenticates with `Authorization: Bearer <token>` or with the
web client's httpOnly session cookie; cookie-authenticated writes must carry the CSRF header.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, NamedTuple

from fastapi import Depends, Query, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from plaza.accounts.models import User
from plaza.accounts.service.friends import incoming_count
from plaza.accounts.service.sessions import SignedIn, authenticate, hash_token, session_owner
from plaza.errors import Unauthorized
from plaza.moderation.service.notices import unread_count
from plaza.moderation.setup import Moderation, moderation_of
from plaza.runtime import Runtime
from plaza.web.addresses import client_address as _client_address
from plaza.web.csrf import SESSION_COOKIE, check_csrf_header

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


async def get_runtime(request: Request) -> Runtime:
    # async: FastAPI runs a plain `def` dependency in a worker thread, a hop per request.
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_moderation(request: Request) -> Moderation:
    """Moderation's per-app state, for the routes whose writes are screened."""
    return moderation_of(request.app)


ModerationDep = Annotated[Moderation, Depends(get_moderation)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    async with runtime.sessions() as session:
        yield session


DbSession = Annotated[AsyncSession, Depends(get_session)]


def bearer_token(request: HTTPConnection) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def request_token(request: HTTPConnection) -> tuple[str | None, bool]:
    """The session token of a request and whether it came from the cookie."""
    token = bearer_token(request)
    if token:
        return token, False
    cookie = request.cookies.get(SESSION_COOKIE)
    return (cookie, True) if cookie else (None, False)


async def optional_sign_in(
    request: Request, session: DbSession, runtime: RuntimeDep
) -> SignedIn | None:
    token, from_cookie = request_token(request)
    if not token:
        return None
    signed_in = await authenticate(session, clock=runtime.clock, token=token)
    if signed_in is not None and from_cookie and request.method not in SAFE_METHODS:
        check_csrf_header(request)
    return signed_in


OptionalSignIn = Annotated[SignedIn | None, Depends(optional_sign_in)]


# The OpenAPI security scheme of authenticated routes. It only documents: `auto_error=False`
# lets a request without the header through to `optional_sign_in`, which also reads the cookie.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="The `token` of `POST /api/v1/sessions`. The web client sends the same session "
    "in the httpOnly `plaza_session` cookie instead, and then writes need `X-CSRF-Token`.",
)


async def current_sign_in(
    signed_in: OptionalSignIn,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)] = None,
) -> SignedIn:
    if signed_in is None:
        raise Unauthorized("sign in first: send Authorization: Bearer <token>")
    return signed_in


CurrentSignIn = Annotated[SignedIn, Depends(current_sign_in)]


async def current_user(signed_in: CurrentSignIn) -> User:
    return signed_in.user


CurrentUser = Annotated[User, Depends(current_user)]


async def current_user_id(
    request: Request,
    runtime: RuntimeDep,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)] = None,
) -> int:
    """Who is asking, as an id only, in one Core query on a connection held just for it: for
    routes that need no more than the id (media uploads and downloads), so no ORM session or
    User object is built. Same rules as `current_sign_in`: an unknown, revoked or expired
    token is a 401, a cookie write needs the CSRF header."""
    token, from_cookie = request_token(request)
    owner = await session_owner(runtime.engine, clock=runtime.clock, token=token) if token else None
    if owner is None:
        raise Unauthorized("sign in first: send Authorization: Bearer <token>")
    if from_cookie and request.method not in SAFE_METHODS:
        check_csrf_header(request)
    return owner


CurrentUserId = Annotated[int, Depends(current_user_id)]


class SenderKey(NamedTuple):
    """Who is sending: a person already known (`user_id`), or a bearer token whose owner the
    send's own transaction looks up (`token_hash`, with `user_id` 0 until then)."""

    user_id: int
    token_hash: str | None = None


async def current_sender(
    request: Request,
    runtime: RuntimeDep,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)] = None,
) -> SenderKey:
    """Who is sending a message, for the send route, whose group commit reads the sender
    afresh in its own transaction anyway. A bearer token is passed on as its hash and checked
    there (an unknown, revoked or expired one is a 401 from the batch), so a send costs no
    query of its own for authentication and sees a revocation committed before it. The
    web client's cookie is checked here as `current_sign_in` does (a 401, then the CSRF
    header of a write)."""
    token, from_cookie = request_token(request)
    if token and not from_cookie:
        return SenderKey(0, hash_token(token))
    return SenderKey(await current_user_id(request, runtime))


CurrentSender = Annotated[SenderKey, Depends(current_sender)]


def client_address(request: HTTPConnection) -> str:
    """The client's address, believing X-Forwarded-For only from trusted proxies."""
    runtime: Runtime = request.app.state.runtime
    return _client_address(request, runtime.settings.trusted_proxies)


async def page_limit(
    runtime: RuntimeDep,
    limit: Annotated[int | None, Query(ge=1, le=1000, description="items per page")] = None,
) -> int:
    """The page size asked for, capped by PLAZA_PAGE_SIZE_MAX."""
    return min(limit or runtime.settings.page_size_default, runtime.settings.page_size_max)


PageLimit = Annotated[int, Depends(page_limit)]


async def cookie_sign_in(
    request: Request, session: DbSession, runtime: RuntimeDep
) -> SignedIn | None:
    """The web client's session (forms check their own CSRF field). Pages also show how many
    friend requests and unread notices wait, in the navigation."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    signed_in = await authenticate(session, clock=runtime.clock, token=token)
    if signed_in is not None:
        user_id = signed_in.user.id
        request.state.incoming_requests = await incoming_count(session, user_id=user_id)
        request.state.unread_notices = await unread_count(session, user_id=user_id)
    return signed_in


WebSignIn = Annotated[SignedIn | None, Depends(cookie_sign_in)]


async def cookie_user(signed_in: WebSignIn) -> User | None:
    """The person signed in to the web client."""
    return signed_in.user if signed_in else None


WebUser = Annotated[User | None, Depends(cookie_user)]
