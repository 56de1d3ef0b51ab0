"""Cases and the moderators' queue.

Reports and screening's holds open cases here (`open_case`), one per thing. The queue is
every case in a state, the most severe first and, within a severity, the oldest first. A
moderator claims a case before deciding it, so two moderators never decide the same case:
the claim is one conditional update (open -> claimed by me), which only one of two
concurrent claims can win. A moderator does not claim a case about themselves. The claimer,
or an admin (a moderator who left), may release a claim: the case goes back to the queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, cast

from pydantic import Field
from sqlalchemy import CursorResult, and_, func, or_, select, update
from sqlalchemy import case as when
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.clock import Clock
from plaza.errors import Conflict, Forbidden, NotFound
from plaza.moderation.models import Case
from plaza.moderation.roles import ADMIN_ROLES
from plaza.moderation.service import audit
from plaza.pagination import Position, UtcTime, decode_cursor, encode_cursor
from plaza.validation import Id


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


async def open_case_of(session: AsyncSession, *, surface: str, ref_id: int) -> Case | None:
    """The case about this thing that is not closed yet, if any."""
    return await session.scalar(
        select(Case).where(Case.surface == surface, Case.ref_id == ref_id, Case.state != "closed")
    )


async def open_case(
    session: AsyncSession,
    *,
    surface: str,
    ref_id: int,
    subject_id: int | None,
    source: str,
    severity: int,
    now: datetime,
    reports: int = 0,
    decision_id: int | None = None,
) -> Case:
    """Open a case about a thing, or merge into its open (or claimed) one, in the caller's
    transaction: reports add up, the severity becomes the higher of the two, and the
    screening decision that held the thing is kept. Reports and held content meet here, so
    a thing has one case however it came to the moderators' attention. Two first openings
    at once: the one-open-case-per-thing index lets one insert win; the other merges."""
    found = await open_case_of(session, surface=surface, ref_id=ref_id)
    if found is None:
        fresh = Case(
            surface=surface,
            ref_id=ref_id,
            subject_id=subject_id,
            state="open",
            severity=severity,
            source=source,
            report_count=reports,
            decision_id=decision_id,
            opened_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(fresh)
                await session.flush()
            return fresh
        except IntegrityError:
            found = await open_case_of(session, surface=surface, ref_id=ref_id)
            if found is None:
                raise
    await session.execute(
        update(Case)
        .where(Case.id == found.id)
        .values(
            report_count=Case.report_count + reports,
            severity=when((Case.severity < severity, severity), else_=Case.severity),
            decision_id=func.coalesce(Case.decision_id, decision_id),
        )
    )
    return await get(session, found.id)


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


async def release(session: AsyncSession, *, clock: Clock, moderator: User, case_id: int) -> Case:
    """Give a claimed case back to the queue (open, unclaimed), audited `case.release`. 409
    `not_claimed` for an open case, `case_closed` for a decided one, `not_yours` for another
    moderator's claim (an admin may release anyone's)."""
    found = await get(session, case_id, for_update=True)
    if found.state == "closed":
        raise Conflict("this case is already decided", code="case_closed")
    if found.state != "claimed" or found.claimed_by is None:
        raise Conflict("this case is not claimed", code="not_claimed")
    holder = found.claimed_by
    if holder != moderator.id and moderator.role not in ADMIN_ROLES:
        raise Conflict("another moderator has claimed this case", code="not_yours")
    holder_name = moderator.username if holder == moderator.id else await _username(session, holder)
    # The row is locked (PostgreSQL) or the database's one writer is us (SQLite): no race.
    found.state, found.claimed_by, found.claimed_at = "open", None, None
    audit.record(
        session,
        clock=clock,
        actor_id=moderator.id,
        verb="case.release",
        target=f"case:{case_id}",
        details={
            "claimed_by": holder_name,
            "surface": found.surface,
            "ref_id": found.ref_id,
        },
    )
    await session.commit()
    return await get(session, case_id)


async def _username(session: AsyncSession, user_id: int) -> str | None:
    return await session.scalar(select(User.username).where(User.id == user_id))
