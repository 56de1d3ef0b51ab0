"""`/decisions`: the public decision log as a page, for anyone, signed in or not.

Drawn on the server from the same service as `GET /api/v1/decisions` (like /transparency),
with filters (range, policy, where, automated or not), the records of each day under a
heading that links that day's JSON Lines file, and a link to the next page.
"""

from __future__ import annotations

from itertools import groupby
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from plaza.deps import DbSession, WebUser
from plaza.errors import Invalid
from plaza.moderation.service import decision_log, transparency
from plaza.moderation.setup import moderation_of
from plaza.validation import CURSOR_MAX
from plaza.web.forms import render

router = APIRouter(include_in_schema=False)

API = "/api/v1/decisions"
# Longer input is not a date; the service would say so, this keeps the echo short.
INPUT_MAX = 40
AUTOMATED = {"": None, "yes": True, "no": False}


@router.get("/decisions")
async def decisions_page(
    request: Request,
    user: WebUser,
    session: DbSession,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    policy: str = "",
    surface: str = "",
    automated: str = "",
    cursor: str = "",
) -> Response:
    """The log for the range and filters in the form (by default the last 30 days, all of
    it). A range or cursor the API would refuse shows the form again with the reason, as a
    422; a filter value that is not among the choices is ignored."""
    moderation = moderation_of(request.app)
    start = start[:INPUT_MAX] if start else None
    end = end[:INPUT_MAX] if end else None
    policies = {p.id: p.title for p in moderation.catalogue.policies}
    surfaces = {s: transparency.SURFACE_LABELS[s] for s in decision_log.PUBLIC_SURFACES}
    chosen = {
        "policy": policy if policy in policies else "",
        "surface": surface if surface in surfaces else "",
        "automated": automated if automated in AUTOMATED else "",
    }
    context: dict[str, Any] = {
        "policies": policies,
        "surfaces": surfaces,
        "chosen": chosen,
        "earliest": transparency.EARLIEST,
        "api": API,
    }
    try:
        period = decision_log.period(moderation, start=start, end=end)
        records, next_cursor = await decision_log.page(
            session,
            catalogue=moderation.catalogue,
            period=period,
            filters=decision_log.Filters(
                policy_id=chosen["policy"] or None,
                surface=chosen["surface"] or None,
                automated=AUTOMATED[chosen["automated"]],
            ),
            cursor=cursor[:CURSOR_MAX] or None,
            limit=moderation.runtime.settings.page_size_default,
        )
    except Invalid as refused:
        return render(
            request,
            "decisions.html",
            user,
            status_code=422,
            error=refused.message,
            days=None,
            start=start or "",
            end=end or "",
            **context,
        )
    query = {"from": period.first.isoformat(), "to": period.last.isoformat()}
    query.update({k: v for k, v in chosen.items() if v})
    # The API spells the automated filter as a boolean.
    api_query = {k: v for k, v in query.items() if k != "automated"}
    if chosen["automated"]:
        api_query["automated"] = "true" if chosen["automated"] == "yes" else "false"
    days = [
        (day, [(r, decision_log.labels(r)) for r in group])
        for day, group in groupby(records, key=lambda r: r.application_date)
    ]
    return render(
        request,
        "decisions.html",
        user,
        days=days,
        period=period,
        start=query["from"],
        end=query["to"],
        json_url=f"{API}?{urlencode(api_query)}",
        next_url=f"/decisions?{urlencode({**query, 'cursor': next_cursor})}"
        if next_cursor
        else None,
        first_page=not cursor,
        **context,
    )
