"""`GET /api/v1/moderation/audit`: the append-only log of moderators' actions, for admins
(anyone else gets the 404 of an address that does not exist)."""

from __future__ import annotations

from fastapi import APIRouter

from plaza.deps import DbSession, PageLimit
from plaza.moderation.roles import CurrentAdmin
from plaza.moderation.schemas import AuditOut
from plaza.moderation.service import audit
from plaza.pagination import Page
from plaza.validation import QueryCursor
from plaza.web.openapi import errors

router = APIRouter(prefix="/api/v1/moderation", tags=["trust and safety"])


@router.get("/audit", response_model=Page[AuditOut], responses=errors(404))
async def audit_log(
    admin: CurrentAdmin, session: DbSession, limit: PageLimit, cursor: QueryCursor = None
) -> Page[AuditOut]:
    """Who did what to what, when and why (a decision's entry holds its explanation), the
    newest first."""
    found, next_cursor = await audit.entries(session, cursor=cursor, limit=limit)
    return Page(items=[AuditOut.of(v) for v in found], next_cursor=next_cursor)
