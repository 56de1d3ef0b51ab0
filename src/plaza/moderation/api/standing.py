"""`GET /api/v1/standing`: my account's standing, strikes and what they led to."""

from __future__ import annotations

from fastapi import APIRouter

from plaza.deps import CurrentUser, DbSession, ModerationDep, RuntimeDep
from plaza.moderation.schemas import StandingOut
from plaza.moderation.service import strikes

router = APIRouter(prefix="/api/v1", tags=["trust and safety"])


@router.get("/standing", response_model=StandingOut)
async def my_standing(
    user: CurrentUser, session: DbSession, runtime: RuntimeDep, moderation: ModerationDep
) -> StandingOut:
    """My status (active, suspended or closed, and until when), my publishing restriction,
    my active strikes (the policy and clause each cites, what it was for, when it expires),
    how many have expired, the rule by which strikes suspend an account, and the
    suspensions for too many strikes in force with the strikes each counted. A suspended or
    closed person may sign in and read it. Never says who reported or who decided."""
    found = await strikes.standing(
        session, moderation=moderation, user=user, now=runtime.clock.now()
    )
    return StandingOut.of(found)
