"""An account's status: active, suspended or closed, and a restriction on publishing.

Suspending or closing an account ends every one of its sessions (its open sockets close at
once on every node); the person may sign in again, to read what happened and to export their
data, but every surface refuses their writes (`sessions.require_active`). Nothing is deleted.

`set_status` is the operator's command, one transaction of its own. Moderation's enforcement
calls `apply_status` and `apply_restriction` instead, inside the transaction that also writes
its action and audit entry, and ends the sessions (`sessions.end_sessions`) once that has
committed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import STATUSES, User
from plaza.accounts.service.sessions import end_sessions
from plaza.bus import Bus
from plaza.clock import Clock
from plaza.errors import Invalid


def apply_status(user: User, status: str, *, suspended_until: datetime | None = None) -> None:
    """Set the status in the caller's transaction, without committing or ending sessions.
    `suspended_until` (a suspension only) is when a timed suspension lifts; None: until
    reinstated. Any other status clears it."""
    if status not in STATUSES:
        raise Invalid(f"status must be one of {', '.join(STATUSES)}", field="status")
    user.status = status
    user.suspended_until = suspended_until if status == "suspended" else None


def apply_restriction(user: User, until: datetime | None) -> None:
    """Restrict publishing (moments, comments, articles) until then, in the caller's
    transaction; None lifts the restriction."""
    user.restricted_until = until


async def set_status(
    session: AsyncSession,
    *,
    clock: Clock,
    bus: Bus,
    user: User,
    status: str,
    suspended_until: datetime | None = None,
) -> User:
    """`suspended_until`: a suspension that lifts itself then (None: until reinstated). Any
    other status clears it."""
    apply_status(user, status, suspended_until=suspended_until)
    await session.commit()
    if status != "active":
        await end_sessions(session, clock=clock, bus=bus, user_id=user.id, reason=status)
    return user
