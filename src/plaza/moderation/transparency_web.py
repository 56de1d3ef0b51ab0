"""`/transparency`: the public transparency report as a page, for anyone, signed in or not.

Unlike the moderator console (web.py, pages that the JSON API fills), this page is drawn on
the server from the same service as `GET /api/v1/transparency`, so it reads without
JavaScript and its numbers are the API's for the same range; it links to that JSON and CSV.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from plaza.deps import DbSession, WebUser
from plaza.errors import Invalid
from plaza.moderation.service import transparency
from plaza.moderation.setup import moderation_of
from plaza.web.forms import render

router = APIRouter(include_in_schema=False)

API = "/api/v1/transparency"
# Longer input is not a date; the service would say so, this keeps the echo short.
DATE_INPUT_MAX = 40


@router.get("/transparency")
async def transparency_page(
    request: Request,
    user: WebUser,
    session: DbSession,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> Response:
    """The report for the range in the form (by default the last 30 days). A range the API
    would refuse shows the form again with the reason, as a 422."""
    start = start[:DATE_INPUT_MAX] if start else None
    end = end[:DATE_INPUT_MAX] if end else None
    try:
        found = await transparency.for_range(
            session, moderation=moderation_of(request.app), start=start, end=end
        )
    except Invalid as refused:
        return render(
            request,
            "transparency.html",
            user,
            status_code=422,
            error=refused.message,
            figures=None,
            start=start or "",
            end=end or "",
            earliest=transparency.EARLIEST,
        )
    query = {"from": found.period.first.isoformat(), "to": found.period.last.isoformat()}
    return render(
        request,
        "transparency.html",
        user,
        figures=found,
        start=query["from"],
        end=query["to"],
        earliest=transparency.EARLIEST,
        json_url=f"{API}?{urlencode(query)}",
        csv_url=f"{API}?{urlencode({**query, 'format': 'csv'})}",
    )
