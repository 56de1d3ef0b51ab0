"""JSON routes of the accounts domain: registration, sessions, profiles, friends, blocks."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from plaza.accounts.limits import guarded_login, limit_friend_requests, limit_registration
from plaza.accounts.moderation import name_screener
from plaza.accounts.schemas import (
    AccountOut,
    BlockIn,
    Credentials,
    FriendRequestIn,
    FriendRequestOut,
    LabelIn,
    LabelOut,
    LabelUpdate,
    MeOut,
    NewSession,
    PasswordChange,
    ProfileOut,
    ProfileUpdate,
    Registration,
    SessionInfoOut,
    SessionOut,
    SessionsEnded,
    UserOut,
)
from plaza.accounts.service import friends, labels, sessions, users
from plaza.accounts.service.profiles import own_display_name
from plaza.deps import (
    CurrentSignIn,
    CurrentUser,
    DbSession,
    ModerationDep,
    PageLimit,
    RuntimeDep,
    client_address,
)
from plaza.pagination import AfterUsername, Page, decode_cursor, encode_cursor
from plaza.validation import PathId, PathUsername, QueryCursor, Text
from plaza.web.openapi import errors

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.post("/accounts", status_code=201, response_model=AccountOut, responses=errors(409, 429))
async def register(
    body: Registration,
    request: Request,
    session: DbSession,
    runtime: RuntimeDep,
    moderation: ModerationDep,
):
    """Create an account, signed in at once: the answer carries a session (`session.token`),
    so a new person needs no separate `POST /sessions`. Usernames are unique regardless of
    case."""
    users.check_registration(body.username, body.password, body.display_name)
    await limit_registration(runtime, request)
    user, token, row = await sessions.sign_up(
        session,
        passwords=runtime.passwords,
        clock=runtime.clock,
        ttl_days=runtime.settings.session_ttl_days,
        username=body.username,
        password=body.password,
        display_name=body.display_name,
        user_agent=request.headers.get("user-agent", ""),
        address=client_address(request),
        screen_name=name_screener(moderation),
    )
    return AccountOut(
        id=user.id,
        username=user.username,
        display_name=own_display_name(user),
        session=NewSession(token=token, expires_at=row.expires_at),
    )


@router.post("/sessions", status_code=201, response_model=SessionOut, responses=errors(401, 429))
async def log_in(body: Credentials, request: Request, session: DbSession, runtime: RuntimeDep):
    """Exchange a username and password for a bearer token."""
    token, row, user = await guarded_login(
        runtime,
        request,
        body.username,
        lambda: sessions.log_in(
            session,
            passwords=runtime.passwords,
            clock=runtime.clock,
            ttl_days=runtime.settings.session_ttl_days,
            username=body.username,
            password=body.password,
            user_agent=request.headers.get("user-agent", ""),
            address=client_address(request),
        ),
    )
    return SessionOut(token=token, expires_at=row.expires_at, user=UserOut.model_validate(user))


@router.get("/sessions", response_model=Page[SessionInfoOut])
async def list_sessions(signed_in: CurrentSignIn, session: DbSession, runtime: RuntimeDep):
    """My open sessions (devices), newest first; `current` marks the one asking."""
    rows = await sessions.list_sessions(session, clock=runtime.clock, user=signed_in.user)
    return Page(
        items=[
            SessionInfoOut(
                id=row.id,
                created_at=row.created_at,
                expires_at=row.expires_at,
                user_agent=row.user_agent,
                address=row.address,
                current=row.id == signed_in.session_id,
            )
            for row in rows
        ]
    )


@router.delete("/sessions/current", status_code=204)
async def log_out(signed_in: CurrentSignIn, session: DbSession, runtime: RuntimeDep):
    """Sign out: the token stops working and its open sockets close (code 4401)."""
    await sessions.log_out(session, clock=runtime.clock, bus=runtime.bus, signed_in=signed_in)
    return Response(status_code=204)


@router.delete("/sessions/others", response_model=SessionsEnded)
async def log_out_elsewhere(signed_in: CurrentSignIn, session: DbSession, runtime: RuntimeDep):
    """Sign out everywhere else: every other session of mine ends, with its sockets."""
    ended = await sessions.revoke_others(
        session, clock=runtime.clock, bus=runtime.bus, signed_in=signed_in
    )
    return SessionsEnded(ended=ended)


@router.delete("/sessions/{session_id}", status_code=204)
async def revoke_session(
    session_id: PathId, user: CurrentUser, session: DbSession, runtime: RuntimeDep
):
    """End one of my sessions, e.g. a lost phone's."""
    await sessions.revoke(
        session, clock=runtime.clock, bus=runtime.bus, user=user, session_id=session_id
    )
    return Response(status_code=204)


@router.post("/me/password", response_model=SessionsEnded)
async def change_password(
    body: PasswordChange, signed_in: CurrentSignIn, session: DbSession, runtime: RuntimeDep
):
    """Change my password; every other session ends (this one stays signed in)."""
    ended = await sessions.change_password(
        session,
        passwords=runtime.passwords,
        clock=runtime.clock,
        bus=runtime.bus,
        signed_in=signed_in,
        current_password=body.current_password,
        new_password=body.new_password,
    )
    return SessionsEnded(ended=ended)


@router.get("/me", response_model=MeOut)
async def me(user: CurrentUser, runtime: RuntimeDep):
    """My profile: my chosen display name (`moderation` says when others see my username
    instead), my role, my status as it applies now, and until when a suspension or a
    publishing restriction holds."""
    return MeOut.mine(user, runtime.clock.now())


@router.patch("/me", response_model=MeOut)
async def update_me(
    body: ProfileUpdate,
    user: CurrentUser,
    session: DbSession,
    runtime: RuntimeDep,
    moderation: ModerationDep,
):
    """Change my display name. It is screened: one held for review or removed shows as my
    username to others (`moderation` says so)."""
    user = await users.update_profile(
        session, user=user, display_name=body.display_name, screen_name=name_screener(moderation)
    )
    return MeOut.mine(user, runtime.clock.now())


@router.get("/users", response_model=Page[UserOut])
async def search_users(
    q: Annotated[Text, Query(max_length=users.SEARCH_MAX_CHARS)],
    user: CurrentUser,
    session: DbSession,
    limit: PageLimit,
    cursor: QueryCursor = None,
):
    """Find people by the start of their username or display name (Chinese too)."""
    position = decode_cursor(cursor, AfterUsername)
    after = position.after if position is not None else None
    found, next_after = await users.search(session, query=q, limit=limit, after=after)
    return Page(
        items=[UserOut.model_validate(u) for u in found],
        next_cursor=encode_cursor({"after": next_after}) if next_after else None,
    )


@router.get("/users/{username}", response_model=ProfileOut)
async def profile(
    username: PathUsername, user: CurrentUser, session: DbSession, runtime: RuntimeDep
):
    person = await users.get_user(session, username=username)
    return ProfileOut.of(person, runtime.clock.now())


@router.post(
    "/friend-requests",
    status_code=201,
    response_model=FriendRequestOut,
    responses=errors(404, 409, 429),
)
async def send_friend_request(
    body: FriendRequestIn, user: CurrentUser, session: DbSession, runtime: RuntimeDep
):
    await limit_friend_requests(runtime, user)
    view = await friends.send_request(
        session,
        clock=runtime.clock,
        sender=user,
        to_username=body.to,
        message=body.message,
        cooldown_seconds=runtime.settings.friend_request_cooldown_seconds,
        bus=runtime.bus,
    )
    return FriendRequestOut.of(view)


@router.get("/friend-requests", response_model=Page[FriendRequestOut])
async def list_friend_requests(
    user: CurrentUser,
    session: DbSession,
    limit: PageLimit,
    direction: Literal["incoming", "outgoing"] = "incoming",
    cursor: QueryCursor = None,
):
    """Pending requests sent to me (`direction=incoming`, the default) or by me (`outgoing`)."""
    views, next_cursor = await friends.list_requests(
        session, user=user, direction=direction, cursor=cursor, limit=limit
    )
    return Page(items=[FriendRequestOut.of(v) for v in views], next_cursor=next_cursor)


@router.post(
    "/friend-requests/{request_id}/accept", response_model=FriendRequestOut, responses=errors(409)
)
async def accept_friend_request(
    request_id: PathId, user: CurrentUser, session: DbSession, runtime: RuntimeDep
):
    view = await friends.accept_request(
        session, clock=runtime.clock, user=user, request_id=request_id, bus=runtime.bus
    )
    return FriendRequestOut.of(view)


@router.post(
    "/friend-requests/{request_id}/decline", response_model=FriendRequestOut, responses=errors(409)
)
async def decline_friend_request(
    request_id: PathId, user: CurrentUser, session: DbSession, runtime: RuntimeDep
):
    view = await friends.decline_request(
        session, clock=runtime.clock, user=user, request_id=request_id, bus=runtime.bus
    )
    return FriendRequestOut.of(view)


@router.get("/friends", response_model=Page[UserOut])
async def list_friends(
    user: CurrentUser,
    session: DbSession,
    limit: PageLimit,
    cursor: QueryCursor = None,
):
    rows, next_cursor = await friends.list_friends(session, user=user, cursor=cursor, limit=limit)
    return Page(items=[UserOut.model_validate(u) for u in rows], next_cursor=next_cursor)


@router.delete("/friends/{username}", status_code=204)
async def remove_friend(username: PathUsername, user: CurrentUser, session: DbSession):
    await friends.remove_friend(session, user=user, username=username)
    return Response(status_code=204)


@router.post("/blocks", status_code=201, response_model=UserOut, responses=errors(404))
async def block(body: BlockIn, user: CurrentUser, session: DbSession, runtime: RuntimeDep):
    return await friends.block(
        session, clock=runtime.clock, user=user, username=body.username, bus=runtime.bus
    )


@router.get("/blocks", response_model=Page[str])
async def list_blocks(user: CurrentUser, session: DbSession):
    return Page(items=await friends.blocked_usernames(session, user=user))


@router.delete("/blocks/{username}", status_code=204)
async def unblock(username: PathUsername, user: CurrentUser, session: DbSession):
    await friends.unblock(session, user=user, username=username)
    return Response(status_code=204)


def _label_limits(runtime: RuntimeDep) -> labels.LabelLimits:
    return labels.LabelLimits.of(runtime.settings)


@router.get("/labels", response_model=Page[LabelOut], tags=["labels"])
async def list_labels(user: CurrentUser, session: DbSession):
    """My friend labels (WeChat's tags) with their members, by name; one page holds all."""
    views = await labels.list_labels(session, owner=user)
    return Page(items=[LabelOut.of(v) for v in views])


@router.post(
    "/labels",
    status_code=201,
    response_model=LabelOut,
    responses=errors(409),
    tags=["labels"],
)
async def create_label(body: LabelIn, user: CurrentUser, session: DbSession, runtime: RuntimeDep):
    """Name some of my friends (422 `not_a_friend` names anyone who is not one), to share
    moments with them or leave them out (PLAZA_LABELS_PER_PERSON, PLAZA_LABEL_MEMBERS_MAX)."""
    view = await labels.create_label(
        session,
        clock=runtime.clock,
        owner=user,
        name=body.name,
        usernames=body.members,
        limits=_label_limits(runtime),
    )
    return LabelOut.of(view)


@router.put("/labels/{label_id}", response_model=LabelOut, responses=errors(409), tags=["labels"])
async def update_label(
    label_id: PathId, body: LabelUpdate, user: CurrentUser, session: DbSession, runtime: RuntimeDep
):
    """Rename a label and/or replace its members; moments shared by it follow at once."""
    view = await labels.update_label(
        session,
        owner=user,
        label_id=label_id,
        name=body.name,
        usernames=body.members,
        limits=_label_limits(runtime),
    )
    return LabelOut.of(view)


@router.delete("/labels/{label_id}", status_code=204, tags=["labels"])
async def delete_label(label_id: PathId, user: CurrentUser, session: DbSession):
    """Delete a label; moments that named it lose it from their audience at once."""
    await labels.delete_label(session, owner=user, label_id=label_id)
    return Response(status_code=204)
