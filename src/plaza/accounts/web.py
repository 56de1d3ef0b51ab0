"""Pages of the accounts domain: sign up/in/out, profile, people, friends and requests.

Each form posts to a route here that calls the same service as the JSON API; on a PlazaError
the form is shown again with the message, so a person sees exactly what to fix.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.limits import guarded_login, limit_friend_requests, limit_registration
from plaza.accounts.models import User
from plaza.accounts.moderation import name_screener
from plaza.accounts.schemas import MeOut, ProfileOut
from plaza.accounts.service import friends, sessions, users
from plaza.accounts.service.friends import are_friends, is_blocked
from plaza.accounts.service.sessions import SignedIn
from plaza.deps import (
    DbSession,
    ModerationDep,
    RuntimeDep,
    WebSignIn,
    WebUser,
    client_address,
)
from plaza.errors import NotFound, PlazaError
from plaza.runtime import Runtime
from plaza.web.csrf import SESSION_COOKIE
from plaza.web.forms import form_data, redirect, render, safe_next, sign_in_first

router = APIRouter(include_in_schema=False)


def _set_session_cookie(response: Response, runtime: Runtime, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=runtime.settings.session_ttl_days * 86400,
        httponly=True,
        samesite="lax",
        secure=runtime.settings.secure_cookies,
        path="/",
    )


async def _log_in(
    session: AsyncSession, runtime: Runtime, request: Request, form: dict[str, str]
) -> str:
    """Open a session for the form's credentials; returns the token for the cookie."""
    token, _, _ = await sessions.log_in(
        session,
        passwords=runtime.passwords,
        clock=runtime.clock,
        ttl_days=runtime.settings.session_ttl_days,
        username=form.get("username", ""),
        password=form.get("password", ""),
        user_agent=request.headers.get("user-agent", ""),
        address=client_address(request),
    )
    return token


@router.get("/signup")
async def signup_page(request: Request, user: WebUser):
    return render(request, "signup.html", user, form={})


@router.post("/signup")
async def signup(
    request: Request, session: DbSession, runtime: RuntimeDep, moderation: ModerationDep
):
    form = await form_data(request)
    try:
        await limit_registration(runtime, request)
        _, token, _ = await sessions.sign_up(
            session,
            passwords=runtime.passwords,
            clock=runtime.clock,
            ttl_days=runtime.settings.session_ttl_days,
            username=form.get("username", ""),
            password=form.get("password", ""),
            display_name=form.get("display_name", ""),
            user_agent=request.headers.get("user-agent", ""),
            address=client_address(request),
            screen_name=name_screener(moderation),
        )
    except PlazaError as exc:
        form.pop("password", None)
        return render(
            request, "signup.html", None, exc.status, form=form, error=exc.message, field=exc.field
        )
    response = redirect("/chat")
    _set_session_cookie(response, runtime, token)
    return response


@router.get("/signin")
async def signin_page(request: Request, user: WebUser, next: str | None = None):
    return render(request, "signin.html", user, form={}, next=safe_next(next))


@router.post("/signin")
async def signin(request: Request, session: DbSession, runtime: RuntimeDep):
    form = await form_data(request)
    next_url = safe_next(form.get("next"))
    try:
        token = await guarded_login(
            runtime,
            request,
            form.get("username", ""),
            lambda: _log_in(session, runtime, request, form),
        )
    except PlazaError as exc:
        return render(
            request,
            "signin.html",
            None,
            exc.status,
            form={"username": form.get("username", "")},
            error=exc.message,
            next=next_url,
        )
    response = redirect(next_url if next_url != "/" else "/chat")
    _set_session_cookie(response, runtime, token)
    return response


@router.post("/signout")
async def signout(request: Request, session: DbSession, runtime: RuntimeDep):
    await form_data(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await sessions.log_out_token(session, clock=runtime.clock, bus=runtime.bus, token=token)
    response = redirect("/")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def _render_me(
    request: Request,
    signed_in: SignedIn,
    session: AsyncSession,
    runtime: Runtime,
    status_code: int = 200,
    **context: str,
) -> Response:
    """My profile, with my open sessions and the password form."""
    open_sessions = await sessions.list_sessions(session, clock=runtime.clock, user=signed_in.user)
    return render(
        request,
        "me.html",
        signed_in.user,
        status_code,
        me=MeOut.mine(signed_in.user, runtime.clock.now()),
        sessions=open_sessions,
        current_session=signed_in.session_id,
        **context,
    )


@router.get("/me")
async def my_profile(
    request: Request, signed_in: WebSignIn, session: DbSession, runtime: RuntimeDep
):
    if signed_in is None:
        return sign_in_first(request)
    return await _render_me(request, signed_in, session, runtime)


@router.post("/me")
async def update_my_profile(
    request: Request,
    signed_in: WebSignIn,
    session: DbSession,
    runtime: RuntimeDep,
    moderation: ModerationDep,
):
    """The forms of my profile page: display name, password, sessions."""
    if signed_in is None:
        return sign_in_first(request)
    form = await form_data(request)
    action = form.get("action", "profile")
    clock, bus = runtime.clock, runtime.bus
    try:
        if action == "password":
            ended = await sessions.change_password(
                session,
                passwords=runtime.passwords,
                clock=clock,
                bus=bus,
                signed_in=signed_in,
                current_password=form.get("current_password", ""),
                new_password=form.get("new_password", ""),
            )
            notice = f"Password changed; {ended} other session(s) signed out."
        elif action == "sign_out_others":
            ended = await sessions.revoke_others(session, clock=clock, bus=bus, signed_in=signed_in)
            notice = f"{ended} other session(s) signed out."
        elif action == "revoke":
            await sessions.revoke(
                session,
                clock=clock,
                bus=bus,
                user=signed_in.user,
                session_id=_form_int(form.get("session_id"), "session"),
            )
            notice = "That session is signed out."
        else:
            await users.update_profile(
                session,
                user=signed_in.user,
                display_name=form.get("display_name", ""),
                screen_name=name_screener(moderation),
            )
            notice = "Saved."
    except PlazaError as exc:
        return await _render_me(request, signed_in, session, runtime, exc.status, error=exc.message)
    return await _render_me(request, signed_in, session, runtime, notice=notice)


def _form_int(value: str | None, what: str) -> int:
    """An id from a form field; anything else (or one out of range) names no object: 404."""
    if value is None or not value.isdigit() or len(value) > 9:
        raise NotFound(f"no such {what}")
    return int(value)


@router.get("/people")
async def people(request: Request, user: WebUser, session: DbSession, q: str = ""):
    """Find people by the start of their username or display name (Chinese too)."""
    if user is None:
        return sign_in_first(request)
    results: list[User] = []
    error = None
    if q.strip():
        try:
            results, _ = await users.search(session, query=q, limit=50)
        except PlazaError as exc:
            error = exc.message
    found = results[0] if len(results) == 1 else None
    return render(request, "people.html", user, q=q, found=found, results=results, error=error)


@router.get("/u/{username}")
async def profile_page(
    request: Request, username: str, user: WebUser, session: DbSession, runtime: RuntimeDep
):
    if user is None:
        return sign_in_first(request)
    person = await users.get_user(session, username=username)
    return render(
        request,
        "profile.html",
        user,
        person=person,
        status=ProfileOut.of(person, runtime.clock.now()).status,
        is_me=person.id == user.id,
        is_friend=await are_friends(session, user_id=user.id, other_id=person.id),
        pending=await friends.pending_between(session, sender_id=user.id, recipient_id=person.id)
        is not None,
        blocked=await is_blocked(session, blocker_id=user.id, blocked_id=person.id),
    )


@router.get("/friends")
async def friends_page(request: Request, user: WebUser, session: DbSession):
    if user is None:
        return sign_in_first(request)
    limit = 200
    mine, _ = await friends.list_friends(session, user=user, cursor=None, limit=limit)
    incoming, _ = await friends.list_requests(
        session, user=user, direction="incoming", cursor=None, limit=limit
    )
    outgoing, _ = await friends.list_requests(
        session, user=user, direction="outgoing", cursor=None, limit=limit
    )
    blocked = await friends.blocked_usernames(session, user=user)
    notice = request.query_params.get("notice")
    return render(
        request,
        "friends.html",
        user,
        friends=mine,
        incoming=incoming,
        outgoing=outgoing,
        blocked=blocked,
        notice=notice,
    )


@router.post("/friends/actions")
async def friend_action(request: Request, user: WebUser, session: DbSession, runtime: RuntimeDep):
    """One endpoint for the small buttons of the friends pages: action + target."""
    if user is None:
        return sign_in_first(request)
    form = await form_data(request)
    action, target = form.get("action", ""), form.get("target", "")
    clock = runtime.clock
    try:
        if action == "request":
            await limit_friend_requests(runtime, user)
            await friends.send_request(
                session,
                clock=clock,
                sender=user,
                to_username=target,
                message=form.get("message", ""),
                cooldown_seconds=runtime.settings.friend_request_cooldown_seconds,
                bus=runtime.bus,
            )
            notice = f"Friend request sent to {target}."
        elif action in {"accept", "decline"}:
            decide = friends.accept_request if action == "accept" else friends.decline_request
            request_id = _form_int(target, "friend request")
            view = await decide(
                session, clock=clock, user=user, request_id=request_id, bus=runtime.bus
            )
            notice = f"{view.sender.username}: request {view.request.status}."
        elif action == "remove":
            await friends.remove_friend(session, user=user, username=target)
            notice = f"{target} removed from your friends."
        elif action == "block":
            await friends.block(session, clock=clock, user=user, username=target, bus=runtime.bus)
            notice = f"{target} is blocked."
        elif action == "unblock":
            await friends.unblock(session, user=user, username=target)
            notice = f"{target} is unblocked."
        else:
            raise NotFound("unknown action")
    except (PlazaError, ValueError) as exc:
        notice = exc.message if isinstance(exc, PlazaError) else "invalid request"
    return redirect("/friends?" + urlencode({"notice": notice}))
