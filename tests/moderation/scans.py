"""Helpers for the picture scan tests: listing a picture's hash as an operator does, and
waiting for an item's scans to be concluded by watching the database (never a fixed sleep)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from plaza.moderation.detectors.images import pdq_hashes
from plaza.moderation.models import Decision, ModerationHash, PendingScan
from tests.moderation.scan_pictures import picture, png

# The verdict usually comes within a second; this only bounds a test that would hang.
PATIENCE_SECONDS = 120.0


async def list_picture_as(
    client: httpx.AsyncClient, moderator: dict[str, str], seed: int, policy_id: str = "violence"
) -> None:
    """A moderator lists picture `seed`'s PDQ hash (it acts at once on every node)."""
    answer = await client.post(
        "/api/v1/moderation/hashes",
        json={"policy_id": policy_id, "clause": 1, "hash": pdq_hashes(png(picture(seed))).hash_hex},
        headers=moderator,
    )
    assert answer.status_code == 201, answer.text


async def list_picture(
    sessions: async_sessionmaker[AsyncSession], seed: int, *, policy_id: str = "violence"
) -> None:
    """Put picture `seed`'s PDQ hash on the operators' list before a server starts, as
    `plaza moderation hashes import` does."""
    async with sessions() as session:
        session.add(
            ModerationHash(
                policy_id=policy_id,
                clause=1,
                hash=pdq_hashes(png(picture(seed))).hash_hex,
                created_at=datetime.now(UTC),
            )
        )
        await session.commit()


async def upload(client: httpx.AsyncClient, who: dict[str, str], data: bytes) -> int:
    answer = await client.post(
        "/api/v1/media", files={"file": ("p.jpg", data, "image/jpeg")}, headers=who
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


async def settled(
    sessions: async_sessionmaker[AsyncSession], surface: str, ref_id: int
) -> list[dict[str, Any]]:
    """Wait until no scan of the item is pending; then its decisions (outcome, signals)."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while True:
        async with sessions() as session:
            pending = await session.scalar(
                select(func.count())
                .select_from(PendingScan)
                .where(PendingScan.surface == surface, PendingScan.ref_id == ref_id)
            )
            if pending == 0:
                rows = await session.scalars(
                    select(Decision)
                    .where(Decision.surface == surface, Decision.ref_id == ref_id)
                    .order_by(Decision.id)
                )
                return [{"outcome": d.outcome, "signals": d.signals} for d in rows]
        if time.monotonic() > deadline:
            raise AssertionError(f"the scans of {surface} {ref_id} never finished")
        await asyncio.sleep(0.05)
