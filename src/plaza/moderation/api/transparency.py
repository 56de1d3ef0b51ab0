"""`GET /api/v1/transparency`: the public transparency report, as JSON or (`format=csv`) as a
flat CSV table, for anyone, signed in or not."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from plaza.deps import DbSession
from plaza.moderation.service import transparency
from plaza.moderation.setup import moderation_of

router = APIRouter(prefix="/api/v1", tags=["trust and safety"])

# Longer than any date, so a wrong value is refused by the service with its own message.
DATE_EDGE_MAX = 40
DATE: dict[str, Any] = {
    "max_length": DATE_EDGE_MAX,
    "description": "A UTC day, YYYY-MM-DD (2000-01-01 up to a year from today).",
    "json_schema_extra": {"format": "date"},
}


class CountOut(BaseModel):
    key: str = Field(description="What is counted: an action, a surface or a source.")
    label: str = Field(description="Its name for people.")
    count: int


class PolicyCountOut(BaseModel):
    id: str | None = Field(description="The policy cited (null: none was).")
    title: str
    count: int


class ActionsOut(BaseModel):
    total: int = Field(
        description="Enforcements taken in the range (a moderator's 'no action' is not one)."
    )
    automated_decisions: int = Field(description="Of these, how many automated means decided.")
    by_policy: list[PolicyCountOut]
    by_action: list[CountOut]
    by_surface: list[CountOut]
    by_source: list[CountOut] = Field(
        description="automated (detection), report (a user's report), moderator (their own "
        "initiative)."
    )


class AppealsOut(BaseModel):
    filed: int
    upheld: int
    reversed: int
    pending: int


class TimeToDecisionOut(BaseModel):
    cases: int = Field(description="Cases decided in the range that had reports.")
    median_hours: float | None = Field(
        description="Median hours from a case's first report to its decision."
    )


class ReportsOut(BaseModel):
    filed: int


class TransparencyOut(BaseModel):
    from_: date = Field(alias="from", description="First day of the range (UTC).")
    to: date = Field(description="Last day of the range (UTC), included.")
    days: int
    actions: ActionsOut
    reports: ReportsOut
    appeals: AppealsOut
    time_to_decision: TimeToDecisionOut

    @classmethod
    def of(cls, found: transparency.Figures) -> TransparencyOut:
        acts = found.actions
        return cls.model_validate(
            {
                "from": found.period.first,
                "to": found.period.last,
                "days": found.period.days,
                "actions": ActionsOut(
                    total=acts.total,
                    automated_decisions=acts.automated_decisions,
                    by_policy=[
                        PolicyCountOut(id=c.key, title=c.label, count=c.count)
                        for c in acts.by_policy
                    ],
                    by_action=[CountOut(**vars(c)) for c in acts.by_action],
                    by_surface=[CountOut(**vars(c)) for c in acts.by_surface],
                    by_source=[CountOut(**vars(c)) for c in acts.by_source],
                ),
                "reports": ReportsOut(filed=found.reports),
                "appeals": AppealsOut(**vars(found.appeals)),
                "time_to_decision": TimeToDecisionOut(**vars(found.time_to_decision)),
            }
        )


def csv_table(found: transparency.Figures) -> str:
    """The report as one flat table, `section,key,count`, one line per number."""
    acts = found.actions
    lines: list[tuple[str, str, object]] = [
        ("range", "from", found.period.first.isoformat()),
        ("range", "to", found.period.last.isoformat()),
        ("actions", "total", acts.total),
        ("actions", "automated_decisions", acts.automated_decisions),
    ]
    for section, counts in (
        ("by_policy", acts.by_policy),
        ("by_action", acts.by_action),
        ("by_surface", acts.by_surface),
        ("by_source", acts.by_source),
    ):
        lines += [(section, c.key or "none", c.count) for c in counts]
    lines.append(("reports", "filed", found.reports))
    lines += [("appeals", key, n) for key, n in vars(found.appeals).items()]
    wait = found.time_to_decision
    lines.append(("time_to_decision", "cases", wait.cases))
    lines.append(
        ("time_to_decision", "median_hours", "" if wait.median_hours is None else wait.median_hours)
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("section", "key", "count"))
    writer.writerows(lines)
    return out.getvalue()


@router.get(
    "/transparency",
    response_model=TransparencyOut,
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "The report (JSON, or with `format=csv` a CSV file).",
        }
    },
)
async def transparency_report(
    request: Request,
    session: DbSession,
    start: Annotated[str | None, Query(alias="from", **DATE)] = None,
    to: Annotated[str | None, Query(**DATE)] = None,
    format: Annotated[Literal["json", "csv"], Query(description="json or csv")] = "json",
) -> TransparencyOut | Response:
    """What moderation did from `from` to `to` (UTC days, both included; by default the
    last 30 days up to today): enforcements by policy, action, surface and source (automated
    detection, a user's report, a moderator's own initiative), how many automated means
    decided, reports filed, appeals filed and how they ended, and the median hours from a
    case's first report to its decision. Public: no sign-in. 422 `invalid_date` for a date
    that is not YYYY-MM-DD or is absurdly far away, `reversed_range` when `from` is after
    `to`, `range_too_long` past PLAZA_TRANSPARENCY_MAX_DAYS."""
    found = await transparency.for_range(
        session, moderation=moderation_of(request.app), start=start, end=to
    )
    if format == "csv":
        name = f"plaza-transparency-{found.period.first}-to-{found.period.last}.csv"
        return Response(
            csv_table(found),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return TransparencyOut.of(found)
