"""Purging evidence past its keeping (plaza.moderation.service.evidence says how long).

`purge_due` finds the actions whose frozen copy is past `kept_until` and, per action, in one
transaction per batch: the snapshot keeps only what names the thing (surface, id, author,
address) and gains `{"purged_at": ...}`; each of its notices' `statement.content` likewise;
its pictures stop being evidence, and those no item shows any more are deleted (their blobs
too, after the commit, unless another upload shares them); an `evidence.purge` audit entry
(no actor) records it. Nothing else changes: the action, its notices, signals and reports
stay. Run by the server's hourly sweep (plaza.moderation.evidence_sweep) and by `plaza
moderation purge-evidence`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.clock import Clock
from plaza.config import Settings
from plaza.media.service import detach, forget_unused, remove_unused_blobs
from plaza.media.storage import Storage
from plaza.moderation.models import Action, Notice
from plaza.moderation.service import audit
from plaza.moderation.service.evidence import EVIDENCE, PURGED, kept_untils

BATCH = 200
# What a purged snapshot keeps: what names the thing, none of what it said or showed.
_SNAPSHOT_KEPT = ("surface", "ref_id", "author_id", "url", "public")
_CONTENT_KEPT = ("surface", "ref_id", "url")


def _frozen() -> Any:
    """Actions that may still hold a copy. A cheap filter on the JSON's text (the same on
    SQLite and PostgreSQL); `_holds_copy` decides."""
    text = cast(Action.snapshot, Text)
    return text.not_like(f'%"{PURGED}"%') & (text != "{}")


def _holds_copy(action: Action) -> bool:
    snapshot = action.snapshot or {}
    return bool(snapshot) and PURGED not in snapshot


async def purge_due(
    session: AsyncSession,
    *,
    clock: Clock,
    settings: Settings,
    storage: Storage,
    total: Callable[[int], object] | None = None,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Purge every copy past its keeping; returns how many actions were purged. `total` is
    told how many actions are looked at, `progress` each batch's count (a progress bar)."""
    now = clock.now()
    # Nothing created after this is due yet: the window and the retention are the least kept.
    cutoff = now - timedelta(days=settings.appeal_window_days + settings.evidence_retention_days)
    candidates = (Action.created_at <= cutoff) & _frozen()
    if total is not None:
        total(await session.scalar(select(func.count()).where(candidates)) or 0)
    purged, after = 0, 0
    while True:
        batch = list(
            await session.scalars(
                select(Action)
                .where(candidates, Action.id > after)
                .order_by(Action.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        if not batch:
            break
        after = batch[-1].id
        until = await kept_untils(session, batch, settings)
        keys: list[str] = []
        for action in batch:
            due = until[action.id]
            if _holds_copy(action) and due is not None and now >= due:
                keys += await _purge(session, clock, action, now)
                purged += 1
        await session.commit()
        await remove_unused_blobs(session, storage, keys)
        if progress is not None:
            progress(len(batch))
    return purged


async def _purge(session: AsyncSession, clock: Clock, action: Action, now: datetime) -> list[str]:
    """Purge one action's copies in the caller's transaction: the blob keys to delete once
    committed."""
    stamp = now.isoformat()
    snapshot = action.snapshot or {}
    media_ids = [int(i) for i in snapshot.get("media_ids") or []]
    action.snapshot = {k: snapshot[k] for k in _SNAPSHOT_KEPT if k in snapshot} | {PURGED: stamp}
    notices = list(await session.scalars(select(Notice).where(Notice.action_id == action.id)))
    for notice in notices:
        content = notice.statement.get("content") or {}
        kept = {k: content[k] for k in _CONTENT_KEPT if k in content}
        notice.statement = {**notice.statement, "content": kept | {PURGED: stamp}}
    await detach(session, surface=EVIDENCE, ref_id=action.id)
    deleted, keys = await forget_unused(session, media_ids=media_ids)
    audit.record(
        session,
        clock=clock,
        actor_id=None,
        verb="evidence.purge",
        target=f"action:{action.id}",
        details={
            "surface": action.surface,
            "ref_id": action.ref_id,
            "notices": [n.id for n in notices],
            "pictures": len(media_ids),
            "pictures_deleted": deleted,
        },
    )
    return keys
