"""The upload and download use cases: store a checked picture, find one for a viewer.

Nothing of a refused upload is kept: the bytes reach storage only after the picture has been
checked and re-encoded, and if the database write then fails, the blobs written for it are
removed again unless another upload uses them (content addressing shares blobs).
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.clock import Clock
from plaza.errors import NotFound
from plaza.media.images import Encoded
from plaza.media.models import Media, MediaUse
from plaza.media.service import MediaRef, remove_unused_blobs
from plaza.media.setup import MediaRuntime


@dataclass(frozen=True, slots=True)
class Blob:
    """What a download serves: the storage key (also the ETag) and its type."""

    sha256: str
    content_type: str


async def upload(
    session: AsyncSession, *, media: MediaRuntime, clock: Clock, uploader_id: int, data: bytes
) -> MediaRef:
    """Check and store one picture for `uploader_id`; the answer is its reference."""
    processed = await media.process(data)
    picture, thumb = processed.picture, processed.thumbnail
    picture_key, thumb_key = _sha(picture), _sha(thumb)
    blobs = {picture_key: picture, thumb_key: thumb}
    try:
        for key, encoded in blobs.items():
            await media.storage.put(key, encoded.data, encoded.content_type)
        row = Media(
            uploader_id=uploader_id,
            sha256=picture_key,
            content_type=picture.content_type,
            width=picture.width,
            height=picture.height,
            size_bytes=len(picture.data),
            thumb_sha256=thumb_key,
            thumb_width=thumb.width,
            thumb_height=thumb.height,
            created_at=clock.now(),
        )
        session.add(row)
        await session.commit()
    except BaseException:
        with contextlib.suppress(Exception):
            await session.rollback()
        await remove_unused_blobs(session, media.storage, list(blobs))
        raise
    return MediaRef.of(row.id, row.width, row.height, row.content_type)


async def blob_for_viewer(
    session: AsyncSession, *, media: MediaRuntime, viewer_id: int, media_id: int, thumbnail: bool
) -> Blob:
    """The picture (or its thumbnail) if `viewer_id` may see it: its uploader, or someone a
    surface that uses it lets see one of its items. Anything else is a 404, as for a picture
    that does not exist."""
    row = (
        await session.execute(
            select(Media.uploader_id, Media.sha256, Media.thumb_sha256, Media.content_type).where(
                Media.id == media_id
            )
        )
    ).one_or_none()
    if row is None or not await _may_see(session, media, viewer_id, media_id, row.uploader_id):
        raise NotFound("no such picture")
    return Blob(row.thumb_sha256 if thumbnail else row.sha256, row.content_type)


async def _may_see(
    session: AsyncSession, media: MediaRuntime, viewer_id: int, media_id: int, uploader_id: int
) -> bool:
    if viewer_id == uploader_id:
        return True
    uses: dict[str, list[int]] = {}
    rows = await session.execute(
        select(MediaUse.surface, MediaUse.ref_id).where(MediaUse.media_id == media_id)
    )
    for surface, ref_id in rows:
        uses.setdefault(surface, []).append(ref_id)
    return await media.access.may_see(session, viewer_id=viewer_id, uses=uses)


def _sha(encoded: Encoded) -> str:
    return hashlib.sha256(encoded.data).hexdigest()
