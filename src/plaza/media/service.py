"""The media interface other domains use: attach uploads to their items, detach them, and
read them back for rendering (plaza.media.service is the only media module they import).

Plain async functions with keyword-only arguments; they take the caller's session and never
commit, so attaching pictures happens in the same transaction that stores the message or
moment (and rolls back with it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import bindparam, delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from plaza.errors import Invalid
from plaza.media.models import Media, MediaUse
from plaza.media.storage import Storage

log = logging.getLogger(__name__)

# "evidence": the pictures an enforcement's frozen copy shows (item = the moderation action),
# kept and readable by whom moderation says until the evidence is purged.
SURFACES = ("message", "moment", "article", "profile", "public_account", "evidence")
_MAX_ID = 2**31 - 1  # the id columns' range: a larger number names nothing
# Chat's send path works on its transaction's Core connection; the other surfaces on a session.
Executor = AsyncSession | AsyncConnection


@dataclass(frozen=True, slots=True)
class MediaRef:
    """A picture as an item shows it. orjson serializes it as it is (the shape of MediaOut)."""

    id: int
    url: str
    thumbnail_url: str
    width: int
    height: int
    content_type: str

    @classmethod
    def of(cls, media_id: int, width: int, height: int, content_type: str) -> MediaRef:
        return cls(
            id=media_id,
            url=f"/api/v1/media/{media_id}",
            thumbnail_url=f"/api/v1/media/{media_id}/thumbnail",
            width=width,
            height=height,
            content_type=content_type,
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_REF_COLUMNS = (Media.id, Media.width, Media.height, Media.content_type)


async def attach(
    session: AsyncSession,
    *,
    owner_id: int,
    media_ids: Sequence[int],
    surface: str,
    ref_id: int,
    limit: int,
) -> list[MediaRef]:
    """Record that item `ref_id` of `surface` shows these uploads, in this order.

    Every id must name an upload of `owner_id`: an unknown id and someone else's answer the
    same 422 `unknown_media`, so ids of others' pictures cannot be probed. Duplicates and more
    than `limit` pictures are refused too (422, field `media_ids`)."""
    refs = await check_owned(session, owner_id=owner_id, media_ids=media_ids, limit=limit)
    await record_uses(session, surface=surface, uses=[(ref_id, [r.id for r in refs])])
    return refs


def check_list(media_ids: Sequence[int], *, limit: int) -> None:
    """The checks that need no database: at most `limit` pictures, none twice, ids in range
    (a batch that shares a transaction runs these before it starts)."""
    if len(media_ids) > limit:
        raise Invalid(
            f"at most {limit} pictures per item, not {len(media_ids)}",
            code="too_many_media",
            field="media_ids",
        )
    seen: set[int] = set()
    for media_id in media_ids:
        if media_id in seen:
            raise Invalid(
                f"picture {media_id} is listed twice", code="duplicate_media", field="media_ids"
            )
        seen.add(media_id)
        if not 0 < media_id <= _MAX_ID:
            raise _unknown(media_id)


async def check_owned(
    session: Executor, *, owner_id: int, media_ids: Sequence[int], limit: int
) -> list[MediaRef]:
    """`attach`'s checks without recording anything: for a caller that learns its item's id
    only later in the transaction (chat numbers a whole batch of messages at once)."""
    check_list(media_ids, limit=limit)
    if not media_ids:
        return []
    rows = await session.execute(
        select(*_REF_COLUMNS).where(Media.id.in_(list(media_ids)), Media.uploader_id == owner_id)
    )
    found = {row.id: MediaRef.of(*row) for row in rows}
    for media_id in media_ids:
        if media_id not in found:
            raise _unknown(media_id)
    return [found[media_id] for media_id in media_ids]


async def record_uses(
    session: Executor, *, surface: str, uses: Sequence[tuple[int, Sequence[int]]]
) -> None:
    """Record, for many items of one surface at once, which checked uploads each shows:
    (item id, media ids in order). Use `check_owned` first."""
    if surface not in SURFACES:
        raise ValueError(f"unknown media surface {surface!r}")
    rows = [
        {"surface": surface, "ref_id": ref_id, "position": position, "media_id": media_id}
        for ref_id, media_ids in uses
        for position, media_id in enumerate(media_ids)
    ]
    if rows:
        await session.execute(insert(MediaUse), rows)


def _unknown(media_id: int) -> Invalid:
    return Invalid(
        f"no upload of yours has id {media_id}; upload it with POST /api/v1/media first",
        code="unknown_media",
        field="media_ids",
    )


async def detach(session: AsyncSession, *, surface: str, ref_id: int) -> None:
    """Forget which pictures item `ref_id` of `surface` shows (it was deleted or recalled). The
    uploads stay, visible to their uploader."""
    await session.execute(
        delete(MediaUse).where(MediaUse.surface == surface, MediaUse.ref_id == ref_id)
    )


# Built once (the ids bind as one expanding parameter): a page of moments or messages asks
# this on every read, and building the statement each time cost more than running it.
_REFS = (
    select(MediaUse.ref_id, *_REF_COLUMNS)
    .join(Media, Media.id == MediaUse.media_id)
    .where(
        MediaUse.surface == bindparam("surface"),
        MediaUse.ref_id.in_(bindparam("ref_ids", expanding=True)),
    )
    .order_by(MediaUse.ref_id, MediaUse.position)
)


async def refs_for(
    session: AsyncSession, *, surface: str, ref_ids: Sequence[int]
) -> dict[int, list[MediaRef]]:
    """The pictures of many items of one surface, in one query: item id -> pictures in order.
    Items without pictures are absent from the answer."""
    if not ref_ids:
        return {}
    rows = await session.execute(_REFS, {"surface": surface, "ref_ids": list(set(ref_ids))})
    refs: dict[int, list[MediaRef]] = {}
    for row in rows.all():
        refs.setdefault(row.ref_id, []).append(
            MediaRef.of(row.id, row.width, row.height, row.content_type)
        )
    return refs


async def media_ids_of(session: AsyncSession, *, surface: str, ref_id: int) -> list[int]:
    """The pictures of one item, as ids in order (what a moderation snapshot keeps)."""
    refs = await refs_for(session, surface=surface, ref_ids=[ref_id])
    return [ref.id for ref in refs.get(ref_id, [])]


async def refs_of(session: Executor, *, media_ids: Sequence[int]) -> dict[int, MediaRef]:
    """Pictures by id, in one query (a card's cover): media id -> picture. Whether the viewer
    may see them is the caller's rule."""
    if not media_ids:
        return {}
    rows = await session.execute(select(*_REF_COLUMNS).where(Media.id.in_(list(set(media_ids)))))
    return {row.id: MediaRef.of(*row) for row in rows}


async def blob_key(session: Executor, *, media_id: int) -> str | None:
    """The storage key of an upload's picture (not its thumbnail), or None when there is no
    such upload. For moderation's picture scans, which read the picture itself."""
    row = await session.execute(select(Media.sha256).where(Media.id == media_id))
    return row.scalar_one_or_none()


async def forget_unused(
    session: AsyncSession, *, media_ids: Sequence[int]
) -> tuple[list[int], list[str]]:
    """Delete, in the caller's transaction, the uploads among `media_ids` that no item shows
    any more (no use of any surface, moderation's evidence included): their ids, and the
    storage keys of their pictures and thumbnails for `remove_unused_blobs` once committed."""
    if not media_ids:
        return [], []
    used = set(
        await session.scalars(select(MediaUse.media_id).where(MediaUse.media_id.in_(media_ids)))
    )
    unused = sorted(i for i in set(media_ids) if i not in used)
    if not unused:
        return [], []
    rows = await session.execute(
        select(Media.sha256, Media.thumb_sha256).where(Media.id.in_(unused))
    )
    keys = sorted({key for row in rows for key in row})
    await session.execute(delete(Media).where(Media.id.in_(unused)))
    return unused, keys


async def remove_unused_blobs(session: AsyncSession, storage: Storage, keys: Sequence[str]) -> None:
    """Delete the blobs among `keys` that no committed upload uses (content addressing shares
    a blob between uploads of the same picture). Best effort: a blob left behind is only
    wasted space, never something shown."""
    if not keys:
        return
    try:
        used = await session.execute(
            select(Media.sha256, Media.thumb_sha256).where(
                or_(Media.sha256.in_(keys), Media.thumb_sha256.in_(keys))
            )
        )
        in_use = {key for row in used for key in row}
        for key in keys:
            if key not in in_use:
                await storage.delete(key)
    except Exception:
        log.warning("could not remove unused blobs: %s", list(keys), exc_info=True)
