"""The moderators' appeal queue: list appeals, claim one, uphold or reverse it. Moderators
only (a member gets the 404 of an address that does not exist)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from plaza.accounts.service.users import users_by_id
from plaza.deps import DbSession, PageLimit, RuntimeDep
from plaza.moderation.roles import CurrentModerator
from plaza.moderation.schemas import (
    ActionOut,
    AppealDecisionIn,
    AppealReviewOut,
    AppealStateOut,
    EvidenceOut,
)
from plaza.moderation.service import appeals, evidence
from plaza.moderation.service.appeals import AppealView
from plaza.moderation.setup import moderation_of
from plaza.pagination import Page
from plaza.runtime import Runtime
from plaza.validation import PathId, QueryCursor
from plaza.web.openapi import errors

router = APIRouter(prefix="/api/v1/moderation", tags=["trust and safety"])


async def _out(
    session: DbSession, runtime: Runtime, found: list[AppealView]
) -> list[AppealReviewOut]:
    kept = await evidence.review(session, [v.action for v in found], runtime.settings)
    people = await users_by_id(
        session,
        {v.appeal.appellant_id for v in found}
        | {v.appeal.reviewer_id for v in found if v.appeal.reviewer_id is not None},
    )

    def name(user_id: int | None) -> str | None:
        person = people.get(user_id) if user_id is not None else None
        return person.username if person else None

    return [
        AppealReviewOut(
            id=v.appeal.id,
            state=v.appeal.state,
            text=v.appeal.text,
            explanation=v.appeal.explanation,
            appellant=name(v.appeal.appellant_id),
            reviewer=name(v.appeal.reviewer_id),
            action=ActionOut.model_validate(v.action),
            statement=v.notice.statement,
            evidence=EvidenceOut.of(kept[v.action.id]),
            created_at=v.appeal.created_at,
            claimed_at=v.appeal.claimed_at,
            decided_at=v.appeal.decided_at,
        )
        for v in found
    ]


@router.get("/appeals", response_model=Page[AppealReviewOut], responses=errors(404))
async def list_appeals(
    moderator: CurrentModerator,
    session: DbSession,
    runtime: RuntimeDep,
    limit: PageLimit,
    state: Annotated[
        AppealStateOut | Literal["all"], Query(description="Which appeals; `all` for every state.")
    ] = "pending",
    cursor: QueryCursor = None,
) -> Page[AppealReviewOut]:
    """Appeals waiting for a reviewer, the oldest first."""
    found, next_cursor = await appeals.queue(session, state=state, cursor=cursor, limit=limit)
    return Page(items=await _out(session, runtime, found), next_cursor=next_cursor)


@router.get("/appeals/{appeal_id}", response_model=AppealReviewOut, responses=errors(404))
async def get_appeal(
    appeal_id: PathId, moderator: CurrentModerator, session: DbSession, runtime: RuntimeDep
) -> AppealReviewOut:
    """An appeal with the action it contests, what the person was told, and the evidence
    the decision was taken on: the content exactly as decided on (an article's revision),
    its pictures, the detectors' signals and the case's reports (never who reported)."""
    return (await _out(session, runtime, [await appeals.get(session, appeal_id)]))[0]


@router.post(
    "/appeals/{appeal_id}/claim", response_model=AppealReviewOut, responses=errors(403, 404, 409)
)
async def claim_appeal(
    appeal_id: PathId, moderator: CurrentModerator, session: DbSession, runtime: RuntimeDep
) -> AppealReviewOut:
    """Take the appeal (409 `already_claimed`, `appeal_decided`); 403 `own_decision` for the
    moderator who decided the action, `own_case` for one's own appeal."""
    view = await appeals.claim(
        session, clock=runtime.clock, moderator=moderator, appeal_id=appeal_id
    )
    return (await _out(session, runtime, [view]))[0]


@router.post(
    "/appeals/{appeal_id}/decision",
    response_model=AppealReviewOut,
    responses=errors(403, 404, 409),
)
async def decide_appeal(
    appeal_id: PathId,
    body: AppealDecisionIn,
    request: Request,
    moderator: CurrentModerator,
    session: DbSession,
    runtime: RuntimeDep,
) -> AppealReviewOut:
    """Uphold the action, or reverse it (the content is shown again, the account restored,
    the strike no longer counts), explaining it to the person, who gets a notice either way.
    409 `not_claimed` before a claim, `appeal_decided` after a decision."""
    view = await appeals.decide(
        session,
        moderation=moderation_of(request.app),
        clock=runtime.clock,
        bus=runtime.bus,
        moderator=moderator,
        appeal_id=appeal_id,
        outcome=body.outcome,
        explanation=body.explanation,
    )
    return (await _out(session, runtime, [view]))[0]
