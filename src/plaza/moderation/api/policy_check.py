"""`POST /api/v1/policy-check`: what publishing a text would meet, before publishing it."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request

from plaza.deps import CurrentUserId, DbSession, ModerationDep
from plaza.moderation.schemas import FindingOut, PolicyCheckIn, PolicyCheckOut
from plaza.moderation.service import policy_check
from plaza.web.openapi import errors

router = APIRouter(prefix="/api/v1", tags=["trust and safety"])


@router.post("/policy-check", response_model=PolicyCheckOut, responses=errors(429))
async def check_policies(
    body: PolicyCheckIn,
    request: Request,
    user_id: CurrentUserId,
    session: DbSession,
    moderation: ModerationDep,
) -> PolicyCheckOut:
    """Run the detectors and rules that publishing on `surface` would run, on this text,
    title and my pictures, and say what would happen and why: each finding names the policy,
    the clause and its text, and the evidence in what I submitted (the words as I wrote
    them and where; which of my pictures matched a listed one and how closely). Stores and
    enforces nothing. Never reveals a listed term or hash. At most
    PLAZA_POLICY_CHECKS_PER_PERSON checks (429 with Retry-After beyond)."""
    await policy_check.check_rate(moderation, user_id)
    result = await policy_check.check(
        session,
        moderation=moderation,
        storage=request.app.state.media.storage,
        user_id=user_id,
        surface=body.surface,
        text=body.text,
        title=body.title,
        media_ids=body.media_ids,
    )
    return PolicyCheckOut(
        outcome=result.outcome,
        findings=[FindingOut.model_validate(asdict(f)) for f in result.findings],
    )
