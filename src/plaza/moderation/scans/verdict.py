"""A finished picture scan becomes a stored decision and its effect, in one transaction.

The transaction deletes the `PendingScan` row first: the scan that deletes it is the one
whose verdict counts, so a picture scanned twice (a job run again after a lost worker, two
nodes sweeping the same database) is decided once. What the signals lead to is screening's
own `decide`, as for text: whenever a detector said anything, a `Decision` with every signal
and its evidence (the listed hash and its distance, NudeNet's label and confidence, which
picture); a removal enforced at once, a hold enforced with a case for the moderators; the
audit entry. All or nothing: a crash before the commit leaves the scan pending, to be done
again.

A picture that cannot be scanned (its file is gone, it does not decode, it kept failing) is
recorded as a decision of the "image.scan" detector with the reason, under no policy, and
allowed: it is not tried forever, and the log says that it was not looked at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, delete
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.moderation.detectors.signals import Signal
from plaza.moderation.models import PendingScan
from plaza.moderation.service.screening import decide
from plaza.moderation.setup import Moderation
from plaza.moderation.verdicts import Content

FAILED_DETECTOR = "image.scan"


@dataclass(frozen=True, slots=True)
class ScanItem:
    """The scan being concluded (a copy of its row, which this transaction deletes)."""

    scan_id: int
    surface: str
    ref_id: int
    author_id: int | None
    media_id: int


async def conclude(
    session: AsyncSession,
    *,
    moderation: Moderation,
    item: ScanItem,
    signals: Sequence[Signal],
    failure: str | None = None,
) -> None:
    """Store the scan's verdict and apply it, then commit; nothing when another scan of the
    same row got there first, or when the item's author is gone (and the item with them)."""
    deleted = await session.execute(delete(PendingScan).where(PendingScan.id == item.scan_id))
    if cast(CursorResult[Any], deleted).rowcount != 1:
        await session.rollback()
        return
    if failure is not None:
        signals = [*signals, _failed(item, failure)]
    verdict = None
    if item.author_id is not None:
        content = Content(
            surface=item.surface,
            ref_id=item.ref_id,
            author_id=item.author_id,
            text="",
            media_ids=(item.media_id,),
        )
        verdict = await decide(session, moderation=moderation, content=content, signals=signals)
    await session.commit()
    if verdict is not None:
        await verdict.announce()


def _failed(item: ScanItem, reason: str) -> Signal:
    evidence: dict[str, str | int | float] = {"media_id": item.media_id, "error": reason}
    # Filed under no policy: the engine finds no action for it and allows.
    return Signal("", 0, FAILED_DETECTOR, 0.0, evidence)
