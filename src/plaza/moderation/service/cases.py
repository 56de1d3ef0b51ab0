"""The moderators' queue and claiming a case.

The queue is every case in a state, the most severe first and, within a severity, the oldest
first. A moderator claims a case before deciding it, so two moderators never decide the same
case: the claim is one conditional update (open -> claimed by me), which only one of two
concurrent claims can win. A moderator does not claim a case about themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, cast

from pydantic import Field
from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.clock import Clock
from plaza.errors import Conflict, Forbidden, NotFound
from plaza.moderation.models import Case
from plaza.moderation.service import audit
from plaza.pagination import Position, UtcTime, decode_cursor, encode_cursor
from plaza.validation import Id

STATES = ("open", "claimed", "closed", "all")


class QueuePosition(Position):
    """The queue's order: severity down, then opened_at and id up."""

    severity: Annotated[int, Field(strict=True, ge=0, le=100)]
    at: UtcTime
    id: Id


async def queue(
    session: AsyncSession, *, state: str, cursor: str | None, limit: int
) -> tuple[Sequence[Case], str | None]:
    after = decode_cursor(cursor, QueuePosition)
    statement = select(Case)
    if state != "all":
        statement = statement.where(Case.state == state)
    if after is not None:
        statement = statement.where(
            or_(
                Case.severity < after.severity,
                and_(
                    Case.severity == after.severity,
                    or_(
                        Case.opened_at > after.at,
                        and_(Case.opened_at == after.at, Case.id > after.id),
                    ),
                ),
            )
        )
    statement = statement.order_by(Case.severity.desc(), Case.opened_at, Case.id).limit(limit + 1)
    rows = list(await session.scalars(statement))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = encode_cursor(
            QueuePosition(severity=last.severity, at=last.opened_at, id=last.id)
        )
    return rows, next_cursor


async def get(session: AsyncSession, case_id: int, *, for_update: bool = False) -> Case:
    statement = select(Case).where(Case.id == case_id)
    if for_update:
        statement = statement.with_for_update()
    found = await session.scalar(statement.execution_options(populate_existing=True))
    if found is None:
        raise NotFound("no such case")
    return found


async def claim(session: AsyncSession, *, clock: Clock, moderator: User, case_id: int) -> Case:
    """Take an open case (claiming one's own claim again changes nothing). 409
    `already_claimed` when another moderator holds it, `case_closed` when it is decided; 403
    `own_case` for a case about oneself (it goes to another moderator)."""
    found = await get(session, case_id)
    if found.subject_id == moderator.id:
        raise Forbidden("this case is about you: another moderator decides it", code="own_case")
    now = clock.now()
    won = await session.execute(
        update(Case)
        .where(Case.id == case_id, Case.state == "open")
        .values(state="claimed", claimed_by=moderator.id, claimed_at=now)
    )
    if cast(CursorResult[Any], won).rowcount == 1:
        audit.record(
            session,
            clock=clock,
            actor_id=moderator.id,
            verb="case.claim",
            target=f"case:{case_id}",
            details={"surface": found.surface, "ref_id": found.ref_id},
        )
        await session.commit()
        return await get(session, case_id)
    found = await get(session, case_id)
    if found.state == "closed":
        raise Conflict("this case is already decided", code="case_closed")
    if found.claimed_by != moderator.id:
        raise Conflict("another moderator has claimed this case", code="already_claimed")
    return found
