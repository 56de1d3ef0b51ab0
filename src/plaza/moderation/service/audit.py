"""The audit log: who did what to what, when and why. Append-only.

`record` adds an entry to the caller's transaction, so an entry exists exactly when the
action it describes was committed (never one without the other). Nothing in Plaza updates or
deletes an entry; only admins read the log (`GET /api/v1/moderation/audit`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.accounts.service.users import users_by_id
from plaza.clock import Clock
from plaza.moderation.models import AuditEntry
from plaza.pagination import BeforeId, decode_cursor, encode_cursor


def record(
    session: AsyncSession,
    *,
    clock: Clock,
    actor_id: int | None,
    verb: str,
    target: str,
    details: dict[str, Any],
) -> AuditEntry:
    """Add an entry to the caller's transaction. `actor_id` None: the operator's command line
    or an automated step. `target` names what was acted on ("case:12", "term:5")."""
    entry = AuditEntry(
        actor_id=actor_id, verb=verb, target=target, details=details, created_at=clock.now()
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class EntryView:
    entry: AuditEntry
    actor: User | None


async def entries(
    session: AsyncSession, *, cursor: str | None, limit: int
) -> tuple[Sequence[EntryView], str | None]:
    """The newest entries first."""
    after = decode_cursor(cursor, BeforeId)
    statement = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit + 1)
    if after is not None:
        statement = statement.where(AuditEntry.id < after.before)
    rows = list(await session.scalars(statement))
    more = len(rows) > limit
    rows = rows[:limit]
    actors = await users_by_id(session, {r.actor_id for r in rows if r.actor_id is not None})
    views = [EntryView(r, actors.get(r.actor_id) if r.actor_id else None) for r in rows]
    next_cursor = encode_cursor(BeforeId(before=rows[-1].id)) if more else None
    return views, next_cursor
