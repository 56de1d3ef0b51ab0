"""The audit log: who did what to what, when and why. Append-only.

`record` adds an entry to the caller's transaction, so an entry exists exactly when the
action it describes was committed (never one without the other); it is inserted and chained
to the entry before it when that transaction commits (see `audit_chain`). Nothing in Plaza
updates or deletes an entry; only admins read the log (`GET /api/v1/moderation/audit`,
filtered by verb, actor, target and time), and `plaza audit verify` checks the chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.accounts.service.users import find_user, users_by_id
from plaza.clock import Clock
from plaza.errors import Invalid
from plaza.moderation.models import AuditEntry
from plaza.moderation.service import audit_chain
from plaza.pagination import newest_first


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
    or an automated step. `target` names what was acted on ("case:12", "term:5",
    "user:alice"). The entry gets its id and hashes when the transaction commits."""
    entry = AuditEntry(
        actor_id=actor_id, verb=verb, target=target, details=details, created_at=clock.now()
    )
    audit_chain.append(session, entry)
    return entry


@dataclass(frozen=True)
class EntryView:
    entry: AuditEntry
    actor: User | None


@dataclass(frozen=True)
class Filters:
    """Which entries to list; None matches any. `since` is inclusive, `until` exclusive."""

    verb: str | None = None
    actor: str | None = None  # a username
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def _conditions(session: AsyncSession, filters: Filters) -> list[ColumnElement[bool]]:
    """422 `unknown_actor` for a username no one has, `reversed_range` for `since` after
    `until`."""
    if filters.since and filters.until and filters.since > filters.until:
        raise Invalid("from must not be after to", code="reversed_range", field="from")
    found: list[ColumnElement[bool]] = []
    if filters.actor is not None:
        actor = await find_user(session, username=filters.actor)
        if actor is None:
            raise Invalid(f"no user called {filters.actor}", code="unknown_actor", field="actor")
        found.append(AuditEntry.actor_id == actor.id)
    if filters.verb is not None:
        found.append(AuditEntry.verb == filters.verb)
    if filters.target is not None:
        found.append(AuditEntry.target == filters.target)
    if filters.since is not None:
        found.append(AuditEntry.created_at >= filters.since)
    if filters.until is not None:
        found.append(AuditEntry.created_at < filters.until)
    return found


async def entries(
    session: AsyncSession, *, cursor: str | None, limit: int, filters: Filters = Filters()
) -> tuple[Sequence[EntryView], str | None]:
    """The newest entries first, those matching every filter."""
    statement = select(AuditEntry).where(*await _conditions(session, filters))
    rows, next_cursor = await newest_first(
        session, statement, AuditEntry.id, cursor=cursor, limit=limit
    )
    actors = await users_by_id(session, {r.actor_id for r in rows if r.actor_id is not None})
    views = [EntryView(r, actors.get(r.actor_id) if r.actor_id else None) for r in rows]
    return views, next_cursor
