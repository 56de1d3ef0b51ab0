"""The public decision log: `GET /api/v1/decisions` pages through it as JSON, and
`GET /api/v1/decisions/{day}.jsonl` is one UTC day's records as JSON Lines. For anyone,
signed in or not; no record names a person (see plaza.moderation.service.decision_log)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from plaza.deps import DbSession, PageLimit
from plaza.moderation.api.transparency import DATE, DATE_EDGE_MAX
from plaza.moderation.service import decision_log
from plaza.moderation.setup import moderation_of
from plaza.pagination import Page
from plaza.validation import QueryCursor

router = APIRouter(prefix="/api/v1", tags=["trust and safety"])

JSONL = "application/jsonl"
POLICY_ID_MAX = 40


class DecisionRecordOut(BaseModel):
    """One enforcement as a statement of reasons with the fields of the EU DSA Transparency
    Database (their names and coded values), and Plaza's own additions last."""

    model_config = ConfigDict(from_attributes=True)

    platform_uid: str = Field(description='Stable and unique: "plaza-" and a number.')
    decision_visibility: list[str] = Field(
        description="DECISION_VISIBILITY_CONTENT_REMOVED, _CONTENT_DISABLED (held for review) "
        "or _OTHER; empty when the decision is about an account only."
    )
    decision_visibility_other: str | None
    end_date_visibility_restriction: date | None
    decision_monetary: str | None = Field(description="Always null: Plaza pays nobody.")
    end_date_monetary_restriction: date | None
    decision_provision: str | None = Field(
        description="DECISION_PROVISION_PARTIAL_SUSPENSION: not allowed to post for a while."
    )
    end_date_service_restriction: date | None
    decision_account: str | None = Field(
        description="DECISION_ACCOUNT_SUSPENDED or DECISION_ACCOUNT_TERMINATED."
    )
    end_date_account_restriction: date | None = Field(
        description="The last day of a timed suspension (null: until reinstated, or closed)."
    )
    account_type: str | None = Field(
        description="ACCOUNT_TYPE_BUSINESS (a public account) or ACCOUNT_TYPE_PRIVATE (a "
        "person), for decisions about an account."
    )
    decision_ground: str = Field(description="Always DECISION_GROUND_INCOMPATIBLE_CONTENT.")
    incompatible_content_ground: str = Field(description="The policy and clause cited.")
    incompatible_content_explanation: str = Field(description="The clause's published text.")
    illegal_content_legal_ground: str | None
    illegal_content_explanation: str | None
    category: str = Field(description="The policy's STATEMENT_CATEGORY_*.")
    content_type: list[str] = Field(description="CONTENT_TYPE_TEXT, _IMAGE or _OTHER.")
    content_type_other: str | None
    content_date: date | None = Field(description="When the content was posted, if known.")
    application_date: date = Field(description="The day the decision was taken (UTC).")
    decision_facts: str = Field(
        description="Generated from the source, the policy and the action; never the "
        "content, a name or a moderator's own words."
    )
    source_type: str = Field(description="SOURCE_ARTICLE_16 (a user's report) or SOURCE_VOLUNTARY.")
    automated_detection: str = Field(description="Yes or No.")
    automated_decision: str = Field(
        description="AUTOMATED_DECISION_FULLY, _PARTIALLY or _NOT_AUTOMATED."
    )
    policy_id: str | None = Field(description="Plaza: the policy cited (GET /api/v1/policies).")
    clause: int | None
    surface: str = Field(description="Plaza: where the content was (moment, article, user, ...).")
    action: str = Field(description="Plaza: the action taken (hold, remove_content, ...).")
    reversed: bool = Field(description="Plaza: later reversed (an appeal, a hold released).")
    reversed_at: date | None


class DecisionPage(Page[DecisionRecordOut]):
    pass


@router.get("/decisions", response_model=DecisionPage)
async def list_decisions(
    request: Request,
    session: DbSession,
    limit: PageLimit,
    cursor: QueryCursor = None,
    start: Annotated[str | None, Query(alias="from", **DATE)] = None,
    to: Annotated[str | None, Query(**DATE)] = None,
    policy: Annotated[
        str | None, Query(max_length=POLICY_ID_MAX, description="Only this policy's.")
    ] = None,
    surface: Annotated[
        str | None, Query(max_length=20, description="Only on this surface (moment, ...).")
    ] = None,
    automated: Annotated[
        bool | None, Query(description="Only fully automated decisions (true) or not (false).")
    ] = None,
) -> DecisionPage:
    """The public decision log from `from` to `to` (UTC days, both included; by default the
    last 30 days up to today), oldest first: one statement of reasons per enforcement on
    public content (private messages are never in it), with the fields of the EU DSA
    Transparency Database. Public: no sign-in. 422 for a range the transparency report would
    refuse (`invalid_date`, `reversed_range`, `range_too_long`) or a cursor not given out."""
    moderation = moderation_of(request.app)
    chosen = decision_log.period(moderation, start=start, end=to)
    records, next_cursor = await decision_log.page(
        session,
        catalogue=moderation.catalogue,
        period=chosen,
        filters=decision_log.Filters(policy_id=policy, surface=surface, automated=automated),
        cursor=cursor,
        limit=limit,
    )
    return DecisionPage(
        items=[DecisionRecordOut.model_validate(r) for r in records], next_cursor=next_cursor
    )


def json_line(record: decision_log.Record) -> bytes:
    """One record as one line of the daily file: exactly the API's item."""
    item: dict[str, Any] = DecisionRecordOut.model_validate(record).model_dump(mode="json")
    return orjson.dumps(item) + b"\n"


@router.get(
    "/decisions/{day}.jsonl",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {JSONL: {"schema": {"type": "string"}}},
            "description": "The day's records, one JSON object a line (empty for a day "
            "without any).",
        },
    },
)
async def decisions_of_day(
    request: Request,
    day: Annotated[
        str,
        Path(
            max_length=DATE_EDGE_MAX,
            description="A UTC day, YYYY-MM-DD.",
            json_schema_extra={"format": "date"},
        ),
    ],
) -> StreamingResponse:
    """One UTC day of the decision log as JSON Lines (`application/jsonl`), each line an item
    of `GET /api/v1/decisions`, oldest first, downloaded as `plaza-decisions-DAY.jsonl`.
    422 `invalid_date` for a day that is not YYYY-MM-DD or is absurdly far away."""
    moderation = moderation_of(request.app)
    chosen = decision_log.one_day(moderation, day)

    async def lines() -> AsyncIterator[bytes]:
        async for record in decision_log.day_records(moderation, period=chosen):
            yield json_line(record)

    name = f"plaza-decisions-{chosen.first.isoformat()}.jsonl"
    return StreamingResponse(
        lines(),
        media_type=JSONL,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
