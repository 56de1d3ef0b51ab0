"""The moderators' queue: list cases, open one, claim it (or release the claim), decide it.
Moderators only (a member gets the 404 of an address that does not exist; see
plaza.moderation.roles)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from plaza.deps import DbSession, PageLimit, RuntimeDep
from plaza.moderation.models import Case
from plaza.moderation.roles import CurrentModerator
from plaza.moderation.schemas import (
    ActionOut,
    CaseOut,
    CaseState,
    CaseSummaryOut,
    DecisionIn,
    DecisionOut,
)
from plaza.moderation.service import cases, decisions, views
from plaza.moderation.setup import moderation_of
from plaza.pagination import Page
from plaza.validation import PathId, QueryCursor
from plaza.web.openapi import errors

router = APIRouter(prefix="/api/v1/moderation", tags=["trust and safety"])


@router.get("/cases", response_model=Page[CaseSummaryOut], responses=errors(404))
async def list_cases(
    request: Request,
    moderator: CurrentModerator,
    session: DbSession,
    limit: PageLimit,
    state: Annotated[CaseState, Query(description="Which cases; `all` for every state.")] = "open",
    cursor: QueryCursor = None,
) -> Page[CaseSummaryOut]:
    """The queue: the most severe cases first, the oldest first within a severity."""
    rows, next_cursor = await cases.queue(session, state=state, cursor=cursor, limit=limit)
    found = await views.case_views(session, moderation_of(request.app), rows)
    return Page(items=[CaseSummaryOut.of(v) for v in found], next_cursor=next_cursor)


async def _case_out(request: Request, session: DbSession, case: Case) -> CaseOut:
    """The case as the service just returned it (read once per request, not again here)."""
    return CaseOut.of_detail(await views.case_detail(session, moderation_of(request.app), case))


@router.get("/cases/{case_id}", response_model=CaseOut)
async def get_case(
    case_id: PathId, request: Request, moderator: CurrentModerator, session: DbSession
) -> CaseOut:
    """A case with the content as it stands, every signal and report (never who reported),
    the actions taken and the screening decision that opened it, if any."""
    return await _case_out(request, session, await cases.get(session, case_id))


@router.post("/cases/{case_id}/claim", response_model=CaseOut, responses=errors(409))
async def claim_case(
    case_id: PathId,
    request: Request,
    moderator: CurrentModerator,
    session: DbSession,
    runtime: RuntimeDep,
) -> CaseOut:
    """Take the case, so that no other moderator decides it meanwhile. 409 `already_claimed`
    when another moderator holds it (claiming my own claim again is a 200), `case_closed`
    once it is decided; 403 `own_case` for a case about me."""
    claimed = await cases.claim(session, clock=runtime.clock, moderator=moderator, case_id=case_id)
    return await _case_out(request, session, claimed)


@router.post("/cases/{case_id}/release", response_model=CaseOut, responses=errors(409))
async def release_case(
    case_id: PathId,
    request: Request,
    moderator: CurrentModerator,
    session: DbSession,
    runtime: RuntimeDep,
) -> CaseOut:
    """Give a case I claimed back to the queue (open again, unclaimed), e.g. when I cannot
    decide it; an admin may release another moderator's claim. 409 `not_claimed` when nobody
    holds it, `case_closed` once it is decided, `not_yours` for another moderator's claim."""
    released = await cases.release(
        session, clock=runtime.clock, moderator=moderator, case_id=case_id
    )
    return await _case_out(request, session, released)


@router.post("/cases/{case_id}/decision", response_model=DecisionOut, responses=errors(409))
async def decide_case(
    case_id: PathId,
    body: DecisionIn,
    request: Request,
    moderator: CurrentModerator,
    session: DbSession,
    runtime: RuntimeDep,
) -> DecisionOut:
    """Decide a case I have claimed (409 `not_claimed` otherwise, `case_closed` once
    decided), citing a policy clause (422 `unknown_policy` / `unknown_clause`; optional for
    `no_action`) and explaining it to the author. `remove_content` hides the content for
    everyone but its author; `strike` records a strike against the author and removes the
    content; `restrict` refuses publishing for `duration_days`; `suspend` suspends the
    account for `duration_days` (or until reinstated) and signs it out everywhere;
    `close_account` closes a public account, or the person's account; `no_action` shows held
    content again. The case closes; everything is in the audit log."""
    case, action = await decisions.decide(
        session,
        moderation=moderation_of(request.app),
        clock=runtime.clock,
        bus=runtime.bus,
        moderator=moderator,
        case_id=case_id,
        ruling=decisions.Ruling(
            action=body.action,
            explanation=body.explanation,
            policy_id=body.policy_id,
            clause=body.clause,
            duration_days=body.duration_days,
        ),
    )
    return DecisionOut(
        case=await _case_out(request, session, case), action=ActionOut.model_validate(action)
    )
