"""What every section of an archive shares: JSON-ready times, where pictures go inside the
archive, usernames by id, the pictures an item shows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.accounts.service.users import users_by_id
from plaza.media.models import Media, MediaUse

Json = dict[str, Any]
Section = Callable[[AsyncSession, User], Awaitable[Json]]

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def picture_path(media_id: int, content_type: str) -> str:
    """Where a picture sits inside the archive (relative, so index.html opens offline)."""
    return f"pictures/{media_id}.{EXTENSIONS.get(content_type, 'bin')}"


async def usernames(session: AsyncSession, ids: Iterable[int | None]) -> dict[int, str]:
    found = await users_by_id(session, {i for i in ids if i is not None})
    return {i: u.username for i, u in found.items()}


async def pictures_of(session: AsyncSession, surface: str, ref_ids: list[int]) -> dict[int, list]:
    """The pictures each item of a surface shows, in order, as archive paths (an item shows
    only its author's own uploads, which the archive holds)."""
    if not ref_ids:
        return {}
    rows = await session.execute(
        select(MediaUse.ref_id, Media.id, Media.content_type)
        .join(Media, Media.id == MediaUse.media_id)
        .where(MediaUse.surface == surface, MediaUse.ref_id.in_(ref_ids))
        .order_by(MediaUse.ref_id, MediaUse.position)
    )
    found: dict[int, list] = defaultdict(list)
    for ref_id, media_id, content_type in rows:
        found[ref_id].append({"id": media_id, "file": picture_path(media_id, content_type)})
    return found
