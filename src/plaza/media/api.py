"""JSON routes of media: upload a picture, fetch it or its thumbnail."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Request, Response, UploadFile

from plaza.deps import CurrentUserId, DbSession, RuntimeDep
from plaza.errors import TooLarge
from plaza.media import uploads
from plaza.media.schemas import MediaOut
from plaza.media.setup import MediaRuntime
from plaza.validation import PathId
from plaza.web.openapi import errors

router = APIRouter(prefix="/api/v1", tags=["media"])
UPLOAD_PATH = "/api/v1/media"
# Content-addressed: the bytes behind a URL never change, so caches may keep them for good.
# Private: only those who may see the picture get it, so no shared cache may keep it.
CACHE_CONTROL = "private, max-age=31536000, immutable"
PICTURE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The picture's bytes, with its type; `ETag` is their SHA-256.",
        "content": {"image/*": {"schema": {"type": "string", "format": "binary"}}},
    },
    304: {"description": "Not modified: the `If-None-Match` ETag is the picture's."},
}


def _media(request: Request) -> MediaRuntime:
    media: MediaRuntime = request.app.state.media
    return media


@router.post("/media", status_code=201, response_model=MediaOut, responses=errors(413, 415, 429))
async def upload_media(
    request: Request,
    file: Annotated[
        UploadFile,
        File(description="A JPEG, PNG, WebP, GIF or HEIC picture (told by its content)."),
    ],
    user_id: CurrentUserId,
    session: DbSession,
    runtime: RuntimeDep,
) -> MediaOut:
    """Upload a picture, up to PLAZA_MEDIA_MAX_BYTES (10 MiB). It is checked (a truncated or
    corrupt file, too many pixels and anything not a picture are refused), turned upright,
    stripped of all metadata (EXIF, GPS location, XMP, ICC, comments) and re-encoded; HEIC
    becomes JPEG and GIF a PNG of its first frame. Only you can see it until you attach it to
    a message or a moment (`media_ids`)."""
    media = _media(request)
    await media.check_upload_rate(user_id)
    # At most one byte past the limit is read: enough to know the picture is too large.
    data = await file.read(media.max_bytes + 1)
    if len(data) > media.max_bytes:
        raise TooLarge(f"the picture is over the {media.max_bytes}-byte limit", field="file")
    ref = await uploads.upload(
        session, media=media, clock=runtime.clock, uploader_id=user_id, data=data
    )
    return MediaOut.of(ref)


@router.get("/media/{media_id}", response_class=Response, responses=PICTURE)
async def get_media(
    media_id: PathId, request: Request, user_id: CurrentUserId, session: DbSession
) -> Response:
    """The picture, to its uploader and to those who may see a message or moment showing it
    (404 to anyone else). Cached for good (`immutable`); `If-None-Match` answers 304."""
    return await _serve(request, session, user_id, media_id, thumbnail=False)


@router.get("/media/{media_id}/thumbnail", response_class=Response, responses=PICTURE)
async def get_media_thumbnail(
    media_id: PathId, request: Request, user_id: CurrentUserId, session: DbSession
) -> Response:
    """The picture's thumbnail (longest side PLAZA_MEDIA_THUMBNAIL_PX), same access and
    caching as the picture."""
    return await _serve(request, session, user_id, media_id, thumbnail=True)


async def _serve(
    request: Request, session: DbSession, user_id: int, media_id: int, *, thumbnail: bool
) -> Response:
    media = _media(request)
    blob = await uploads.blob_for_viewer(
        session, media=media, viewer_id=user_id, media_id=media_id, thumbnail=thumbnail
    )
    # The database has answered: give its connection back before reading storage (SQLite has
    # one connection for everybody; an S3 read may take a while).
    await session.close()
    etag = f'"{blob.sha256}"'
    headers = {
        "ETag": etag,
        "Cache-Control": CACHE_CONTROL,
        "X-Content-Type-Options": "nosniff",
    }
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    data = await media.storage.get(blob.sha256)
    if data is None:
        raise LookupError(f"media {media_id}: blob {blob.sha256} is missing from storage")
    return Response(data, media_type=blob.content_type, headers=headers)


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in candidates or "*" in candidates
