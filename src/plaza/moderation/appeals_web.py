"""The moderators' appeal queue in the console: `/moderation/appeals` (pending, claimed and
decided appeals) and `/moderation/appeals/{id}` (the person's text, what they were told, the
evidence the decision was taken on: the content exactly as it was, its pictures, the signals
and the reports, never who reported; and the claim and decision forms).

Server-rendered from the same service as the JSON API (`/api/v1/moderation/appeals`), which
decides who may review what (never the moderator who took the decision). As for the rest of
the console, anyone who is not a moderator gets the page an unknown address gets.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from plaza.accounts.models import User
from plaza.accounts.service.users import users_by_id
from plaza.deps import DbSession, RuntimeDep, WebUser
from plaza.errors import PlazaError
from plaza.moderation.roles import is_moderator
from plaza.moderation.service import appeals, evidence
from plaza.moderation.setup import moderation_of
from plaza.web.forms import form_data, page_id, redirect, render, sign_in_first

router = APIRouter(include_in_schema=False)

STATES = ("pending", "claimed", "upheld", "reversed", "all")
PAGE = 50


def _staff(user: User | None) -> User:
    if user is None or not is_moderator(user):
        raise HTTPException(status_code=404)
    return user


@router.get("/moderation/appeals")
async def appeals_page(
    request: Request,
    user: WebUser,
    session: DbSession,
    state: str = "pending",
    cursor: str | None = None,
) -> Response:
    if user is None:
        return sign_in_first(request)
    _staff(user)
    state = state if state in STATES else "pending"
    try:
        found, next_cursor = await appeals.queue(session, state=state, cursor=cursor, limit=PAGE)
    except PlazaError:
        return redirect(f"/moderation/appeals?state={state}")
    people = await users_by_id(session, {v.appeal.appellant_id for v in found})
    return render(
        request,
        "moderation_appeals.html",
        user,
        appeals=found,
        people=people,
        state=state,
        states=STATES,
        next_cursor=next_cursor,
    )


async def _appeal_page(
    request: Request,
    user: User,
    session: DbSession,
    runtime: RuntimeDep,
    appeal_id: int,
    status_code: int = 200,
    **context: object,
) -> Response:
    view = await appeals.get(session, appeal_id)
    kept = await evidence.review(session, [view.action], runtime.settings)
    ids = {view.appeal.appellant_id} | ({view.appeal.reviewer_id} - {None})
    people = await users_by_id(session, {i for i in ids if i is not None})
    return render(
        request,
        "moderation_appeal.html",
        user,
        status_code=status_code,
        view=view,
        statement=view.notice.statement,
        evidence=kept[view.action.id],
        policy_titles={p.id: p.title for p in moderation_of(request.app).catalogue.policies},
        people=people,
        decided_by_me=view.action.moderator_id == user.id,
        explanation_max=runtime.settings.moderation_explanation_max_chars,
        **context,
    )


@router.get("/moderation/appeals/{appeal_id}")
async def appeal_page(
    request: Request, user: WebUser, session: DbSession, runtime: RuntimeDep, appeal_id: str
) -> Response:
    if user is None:
        return sign_in_first(request)
    return await _appeal_page(request, _staff(user), session, runtime, page_id(appeal_id))


@router.post("/moderation/appeals/{appeal_id}")
async def appeal_form(
    request: Request, user: WebUser, session: DbSession, runtime: RuntimeDep, appeal_id: str
) -> Response:
    """The claim button (`step=claim`) and the decision form (`step=decide`)."""
    if user is None:
        return sign_in_first(request)
    moderator, number = _staff(user), page_id(appeal_id)
    form = await form_data(request)
    try:
        if form.get("step") == "claim":
            await appeals.claim(session, clock=runtime.clock, moderator=moderator,
                                appeal_id=number)  # fmt: skip
        else:
            outcome = form.get("outcome", "")
            if outcome not in ("uphold", "reverse"):
                return await _appeal_page(
                    request, moderator, session, runtime, number, 422,
                    error="Choose whether to uphold or reverse the decision.",
                )  # fmt: skip
            await appeals.decide(
                session,
                moderation=moderation_of(request.app),
                clock=runtime.clock,
                bus=runtime.bus,
                moderator=moderator,
                appeal_id=number,
                outcome="uphold" if outcome == "uphold" else "reverse",
                explanation=form.get("explanation", ""),
            )
    except PlazaError as exc:
        if exc.status == 404:
            raise
        return await _appeal_page(
            request, moderator, session, runtime, number, exc.status,
            error=exc.message, explanation=form.get("explanation", ""),
        )  # fmt: skip
    return redirect(f"/moderation/appeals/{number}")
