"""`GET /api/v1/moderation/audit`: the append-only log of moderators' actions, for admins
(anyone else gets the 404 of an address that does not exist)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from plaza.deps import DbSession, PageLimit
from plaza.moderation.roles import CurrentAdmin
from plaza.moderation.schemas import AuditOut
from plaza.moderation.service import audit
from plaza.pagination import Page, UtcTime
from plaza.validation import QueryCursor, Text, Username
from plaza.web.openapi import errors

router = APIRouter(prefix="/api/v1/moderation", tags=["trust and safety"])

VerbFilter = Annotated[
    str | None,
    Query(
        pattern=r"^[a-z_]+(\.[a-z_]+)*$",
        max_length=40,
        description="Only this step, e.g. `case.decide`, `terms.add`, `user.role`.",
    ),
]
ActorFilter = Annotated[
    Username | None, Query(description="Only the steps of this moderator or admin (username).")
]
TargetFilter = Annotated[
    Text | None,
    Query(min_length=1, max_length=80, description="Only steps on this, e.g. `case:12`."),
]
FromFilter = Annotated[
    UtcTime | None, Query(alias="from", description="Entries at or after this time (with zone).")
]
ToFilter = Annotated[
    UtcTime | None, Query(alias="to", description="Entries before this time (with zone).")
]


@router.get("/audit", response_model=Page[AuditOut], responses=errors(404))
async def audit_log(
    admin: CurrentAdmin,
    session: DbSession,
    limit: PageLimit,
    cursor: QueryCursor = None,
    verb: VerbFilter = None,
    actor: ActorFilter = None,
    target: TargetFilter = None,
    since: FromFilter = None,
    until: ToFilter = None,
) -> Page[AuditOut]:
    """Who did what to what, when and why (a decision's entry holds its explanation), the
    newest first, those matching every filter given. 422 `unknown_actor` for a username no
    one has, `reversed_range` when `from` is after `to`."""
    filters = audit.Filters(verb=verb, actor=actor, target=target, since=since, until=until)
    found, next_cursor = await audit.entries(session, cursor=cursor, limit=limit, filters=filters)
    return Page(items=[AuditOut.of(v) for v in found], next_cursor=next_cursor)
