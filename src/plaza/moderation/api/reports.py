"""`POST /api/v1/reports`: a member reports something they can see, citing a policy."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from plaza.deps import CurrentUser, DbSession, RuntimeDep
from plaza.moderation.schemas import ReportIn, ReportOut
from plaza.moderation.service import reports
from plaza.moderation.setup import moderation_of
from plaza.web.openapi import errors

router = APIRouter(prefix="/api/v1", tags=["trust and safety"])


@router.post(
    "/reports",
    status_code=201,
    response_model=ReportOut,
    responses={
        200: {"model": ReportOut, "description": "I had reported this already: my report."},
        **errors(404, 429),
    },
)
async def file_report(
    body: ReportIn,
    request: Request,
    response: Response,
    user: CurrentUser,
    session: DbSession,
    runtime: RuntimeDep,
) -> ReportOut:
    """Report a message I received, a moment, comment or article I can see, a public account
    or a person, citing a policy that covers it (`GET /policies`; 422 `unknown_policy`,
    `policy_not_for_surface`), with optional details for the moderators. Something I cannot
    see is a 404; my own content or myself 422 `own_content`; past PLAZA_REPORTS_PER_HOUR a
    429. Reporting the same thing again answers 200 with my first report. The person reported
    is never told who reported them; nobody is, moderators included."""
    moderation = moderation_of(request.app)
    filed = await reports.file(
        session,
        moderation=moderation,
        clock=runtime.clock,
        limits=reports.limits_of(moderation),
        reporter=user,
        surface=body.surface,
        ref_id=body.id,
        policy_id=body.policy_id,
        details=body.details,
    )
    if not filed.created:
        response.status_code = 200
    return ReportOut.model_validate(filed.report)
