"""Pages of moments: the timeline with its composer, a person's moments, and friend labels.

The pages are server-rendered; static/moments.js posts, likes and comments through the JSON
API, and asks the fragments here (`.../items`, `/moments/{id}/card`) for more moments or a
moment's fresh likes and comments, so every moment is drawn by one template
(`_moment.html`) whoever asks, under the same visibility rules (plaza.moments.policies).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.accounts.service import friends, labels, users
from plaza.accounts.service.friends import are_friends
from plaza.deps import DbSession, RuntimeDep, WebUser
from plaza.errors import NotFound, PlazaError
from plaza.moments.live import MomentsSource
from plaza.moments.service import reading
from plaza.moments.service.views import MomentView
from plaza.validation import PathId
from plaza.web.forms import form_data, redirect, render, sign_in_first

router = APIRouter(include_in_schema=False)

PAGE = 20  # moments per page or "load more"
FRIENDS_SHOWN = 1000  # friends listed to pick from on the labels page


async def _label_names(
    session: AsyncSession, user: User, moments: Sequence[MomentView]
) -> dict[int, str]:
    """The viewer's label names, to tell them whom their own moments are shared with; asked
    only when a moment on the page names a label."""
    if not any(v.audience is not None and v.audience.labels for v in moments):
        return {}
    return {v.label.id: v.label.name for v in await labels.list_labels(session, owner=user)}


def _items(
    request: Request,
    user: User,
    moments: list[MomentView],
    next_cursor: str | None,
    more_url: str,
    label_names: dict[int, str],
) -> Response:
    return render(
        request,
        "moment_items.html",
        user,
        moments=moments,
        next_url=_next_url(more_url, next_cursor),
        label_names=label_names,
    )


async def _stream_rev(session: AsyncSession, user: User) -> int:
    """Where the person's moments topic stands before the page is read: the page's stream
    resumes from here, so a like or comment that lands between the page and the stream's
    start is replayed, not lost."""
    positions = await MomentsSource().followed(session, user_id=user.id)
    return next(iter(positions.values()), 0)


def _next_url(base: str, cursor: str | None) -> str | None:
    return f"{base}?{urlencode({'cursor': cursor})}" if cursor else None


@router.get("/moments")
async def timeline_page(
    request: Request,
    user: WebUser,
    session: DbSession,
    runtime: RuntimeDep,
    cursor: str | None = None,
) -> Response:
    """My timeline, newest first, with the composer on top. Opening it marks every moment so
    far as seen (the "new from friends" badge goes back to zero)."""
    if user is None:
        return sign_in_first(request)
    rev = await _stream_rev(session, user)
    moments, next_cursor = await reading.timeline(
        session, viewer_id=user.id, cursor=cursor, limit=PAGE
    )
    names = await _label_names(session, user, moments)
    await reading.mark_seen(session, user=user)
    return render(
        request,
        "moments.html",
        user,
        moments=moments,
        label_names=names,
        rev=rev,
        next_url=_next_url("/moments", next_cursor),
        items_url="/moments/items",
        older=cursor is not None,
        max_pictures=runtime.settings.media_max_per_item,
        max_bytes=runtime.settings.media_max_bytes,
        max_chars=runtime.settings.moments_text_max_chars,
        comment_max_chars=runtime.settings.moments_comment_max_chars,
    )


@router.get("/moments/items")
async def timeline_items(
    request: Request, user: WebUser, session: DbSession, cursor: str | None = None
) -> Response:
    """The next page of the timeline as HTML, for the page's "load more"."""
    if user is None:
        raise NotFound("sign in to see moments")
    moments, next_cursor = await reading.timeline(
        session, viewer_id=user.id, cursor=cursor, limit=PAGE
    )
    names = await _label_names(session, user, moments)
    return _items(request, user, moments, next_cursor, "/moments", names)


@router.get("/moments/{moment_id}/card")
async def moment_card(
    request: Request, moment_id: PathId, user: WebUser, session: DbSession, runtime: RuntimeDep
) -> Response:
    """One moment as HTML, as the viewer may see it now (after a like or comment, mine or
    one heard on the stream); 404 when it is gone or hidden from them."""
    if user is None:
        raise NotFound(reading.NOT_FOUND)
    view = await reading.get_moment(
        session,
        viewer_id=user.id,
        moment_id=moment_id,
        stranger_preview=runtime.settings.moments_stranger_preview,
    )
    names = await _label_names(session, user, [view])
    return render(request, "moment_card.html", user, v=view, label_names=names)


async def _person_moments(
    session: DbSession, runtime: RuntimeDep, user: User, person: User, cursor: str | None
) -> tuple[list[MomentView], str | None]:
    return await reading.person_moments(
        session,
        viewer_id=user.id,
        username=person.username,
        cursor=cursor,
        limit=PAGE,
        stranger_preview=runtime.settings.moments_stranger_preview,
    )


@router.get("/u/{username}/moments")
async def person_page(
    request: Request,
    username: str,
    user: WebUser,
    session: DbSession,
    runtime: RuntimeDep,
    cursor: str | None = None,
) -> Response:
    """What I may see of one person's moments: nothing for a stranger (unless
    PLAZA_MOMENTS_STRANGER_PREVIEW), my own in full."""
    if user is None:
        return sign_in_first(request)
    person = await users.get_user(session, username=username)
    rev = await _stream_rev(session, user)
    moments, next_cursor = await _person_moments(session, runtime, user, person, cursor)
    names = await _label_names(session, user, moments)
    base = f"/u/{person.username}/moments"
    return render(
        request,
        "person_moments.html",
        user,
        person=person,
        is_me=person.id == user.id,
        is_friend=await are_friends(session, user_id=user.id, other_id=person.id),
        rev=rev,
        moments=moments,
        label_names=names,
        next_url=_next_url(base, next_cursor),
        items_url=base + "/items",
        older=cursor is not None,
        comment_max_chars=runtime.settings.moments_comment_max_chars,
    )


@router.get("/u/{username}/moments/items")
async def person_items(
    request: Request,
    username: str,
    user: WebUser,
    session: DbSession,
    runtime: RuntimeDep,
    cursor: str | None = None,
) -> Response:
    if user is None:
        raise NotFound("sign in to see moments")
    person = await users.get_user(session, username=username)
    moments, next_cursor = await _person_moments(session, runtime, user, person, cursor)
    names = await _label_names(session, user, moments)
    return _items(request, user, moments, next_cursor, f"/u/{person.username}/moments", names)


@router.get("/labels")
async def labels_page(request: Request, user: WebUser, session: DbSession) -> Response:
    """My friend labels ("family", "colleagues"), to share moments with or hide them from."""
    if user is None:
        return sign_in_first(request)
    mine = await labels.list_labels(session, owner=user)
    my_friends, _ = await friends.list_friends(session, user=user, cursor=None, limit=FRIENDS_SHOWN)
    return render(
        request,
        "labels.html",
        user,
        labels=mine,
        friends=my_friends,
        notice=request.query_params.get("notice"),
        error=request.query_params.get("error"),
    )


@router.post("/labels")
async def label_action(
    request: Request, user: WebUser, session: DbSession, runtime: RuntimeDep
) -> Response:
    """The forms of the labels page: create, save (name and members), delete."""
    if user is None:
        return sign_in_first(request)
    await form_data(request)  # checks the CSRF field first
    form = await request.form()  # the same form, parsed once: `member` is a list
    action = str(form.get("action", ""))
    name = str(form.get("name", ""))
    members = [str(m) for m in form.getlist("member")]
    limits = labels.LabelLimits.of(runtime.settings)
    try:
        if action == "create":
            view = await labels.create_label(
                session,
                clock=runtime.clock,
                owner=user,
                name=name,
                usernames=members,
                limits=limits,
            )
            notice = f"Label “{view.label.name}” created."
        elif action == "save":
            view = await labels.update_label(
                session,
                owner=user,
                label_id=_label_id(form.get("label")),
                name=name,
                usernames=members,
                limits=limits,
            )
            notice = f"Label “{view.label.name}” saved."
        elif action == "delete":
            await labels.delete_label(session, owner=user, label_id=_label_id(form.get("label")))
            notice = "Label deleted."
        else:
            raise NotFound("unknown action")
    except PlazaError as exc:
        return redirect("/labels?" + urlencode({"error": exc.message}))
    return redirect("/labels?" + urlencode({"notice": notice}))


def _label_id(value: object) -> int:
    """A label id from a form field; anything else names no label: 404."""
    if not isinstance(value, str) or not value.isdigit() or len(value) > 9:
        raise NotFound("no such label")
    return int(value)
