"""Recording the picture scans an item owes, in the transaction that writes the item.

Screening calls `record_scans` for every new or edited item that shows pictures, on every
surface: one `PendingScan` row per picture, inserted on the caller's connection, so the scan
commits with the content or not at all. Nothing between the upload and the verdict can lose
it: the row stays until the transaction that stores the verdict deletes it.

Telling the scanners: the rows are only worth reading once committed, and the caller may be
a session (moments, articles) or a bare Core connection (chat's group commit), whose commit
we do not see. So the ids are noted on the connection (`Connection.info`, which lives with
the pooled connection) and this node's `Scans` hears of them when the pool takes the
connection back, which happens after its transaction ended. A rolled-back transaction's ids
name no row: whoever looks finds nothing to do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.pool import ConnectionPoolEntry

from plaza.moderation.models import PendingScan

Executor = AsyncSession | AsyncConnection
_RECORDED = "plaza.moderation.scans.recorded"
# Called with the ids of the scans a connection's transaction recorded, once it is over.
Listener = Callable[[list[int]], None]


async def record_scans(
    executor: Executor,
    *,
    surface: str,
    ref_id: int,
    author_id: int | None,
    media_ids: Sequence[int],
    now: datetime,
) -> list[int]:
    """Owe one scan per picture of item `ref_id` of `surface` (a picture shown twice is
    scanned once); returns the scans' ids. Nothing is written for an item without pictures."""
    unique = list(dict.fromkeys(media_ids))
    if not unique:
        return []
    rows = [
        {
            "surface": surface,
            "ref_id": ref_id,
            "author_id": author_id,
            "media_id": media_id,
            "attempts": 0,
            "created_at": now,
        }
        for media_id in unique
    ]
    result = await executor.execute(
        insert(PendingScan).returning(PendingScan.id, sort_by_parameter_order=True), rows
    )
    ids = [int(scan_id) for scan_id in result.scalars()]
    connection = executor if isinstance(executor, AsyncConnection) else await executor.connection()
    connection.info.setdefault(_RECORDED, []).extend(ids)
    return ids


def listen(engine: AsyncEngine, listener: Listener) -> Callable[[], None]:
    """Call `listener` with the scans each transaction on `engine` recorded, once its
    connection is back in the pool; returns how to stop listening."""

    def checkin(_dbapi_connection: object, record: ConnectionPoolEntry | None) -> None:
        recorded = record.info.pop(_RECORDED, None) if record is not None else None
        if recorded:
            listener(recorded)

    pool = engine.sync_engine.pool
    event.listen(pool, "checkin", checkin)
    return lambda: event.remove(pool, "checkin", checkin)
