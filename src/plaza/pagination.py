"""Opaque cursors: the one pagination style of every list in the API.

A cursor is URL-safe base64 of a small JSON object that only the server interprets; clients
pass `next_cursor` back as `cursor` and stop when it is null. A cursor comes back from the
client, so it is input like any other: `decode_cursor` parses it strictly against the position
model of its list (exact keys, an integer that is not a boolean, an id in range, a time with
its zone), and anything else is a 422 naming the field `cursor`, never a 500.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

import orjson
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    ValidationError,
    model_validator,
)
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from plaza.errors import Invalid
from plaza.validation import CURSOR_MAX, Id, Seq, Username

T = TypeVar("T")
P = TypeVar("P", bound="Position")
R = TypeVar("R")

FORGED = "cursor is not one this server gave out"


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class Position(BaseModel):
    """What a cursor of one list holds: strict types, no other keys."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+14:00 is before year 1 in UTC
        raise ValueError("time out of range") from None


# A time in a cursor: with its zone, kept in UTC (a time that has no UTC equivalent is refused).
UtcTime = Annotated[AwareDatetime, AfterValidator(_in_utc)]


class BeforeId(Position):
    """Newest first, by id: the page below `before`."""

    before: Id


class AfterId(Position):
    """Oldest first, by id: the page above `after`."""

    after: Id


class AfterUsername(Position):
    """In username order: the page after `after`."""

    after: Username


class BeforeTimeAndId(Position):
    """Most recent first, by (time, id): the page after `at`/`id`."""

    at: UtcTime
    id: Id


class AfterRev(Position):
    """In the order of a conversation's log: the page after revision `after`."""

    after: Seq


class AfterOrBeforeSeq(Position):
    """Either direction through a sequence: exactly one of `after` and `before`."""

    after: Seq | None = None
    before: Seq | None = None

    @model_validator(mode="after")
    def _one_direction(self) -> AfterOrBeforeSeq:
        if (self.after is None) == (self.before is None):
            raise ValueError("exactly one of after and before")
        return self


def encode_cursor(position: dict[str, Any] | Position) -> str:
    if isinstance(position, Position):
        position = position.model_dump(mode="json", exclude_none=True)
    return base64.urlsafe_b64encode(orjson.dumps(position)).decode().rstrip("=")


def decode_cursor(cursor: str | None, position: type[P]) -> P | None:
    """The position a cursor names, or None for the first page; a forged cursor is a 422."""
    if not cursor:
        return None
    try:
        if len(cursor) > CURSOR_MAX:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        # JSON mode: strict there still reads an ISO time from a string, and nothing else.
        return position.model_validate_json(raw)
    except (binascii.Error, ValueError, ValidationError):
        raise Invalid(FORGED, field="cursor") from None


async def newest_first(
    session: AsyncSession,
    statement: Select[R],
    id_column: InstrumentedAttribute[int],
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[R], str | None]:
    """One page of `statement`'s rows (already filtered, not yet ordered), the highest id
    first, and the cursor to the next page (None on the last): the one shape of every
    newest-first list (notices, exports, the audit log, the keyword and hash lists)."""
    before = decode_cursor(cursor, BeforeId)
    if before is not None:
        statement = statement.where(id_column < before.before)
    rows = list(await session.scalars(statement.order_by(id_column.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(BeforeId(before=getattr(rows[-1], id_column.key))) if more else None
    return rows, next_cursor
