"""POST /api/v1/media and GET /api/v1/media/{id}[/thumbnail], on both storages."""

from __future__ import annotations

import hashlib
import io

import httpx
import pytest
from PIL import Image

from plaza.media.storage import storage_for
from tests.helpers import register
from tests.media import pictures


@pytest.fixture
def settings(settings, storage_kind, request):
    """The database backends of tests/conftest.py, times local and S3 storage."""
    if storage_kind == "s3":
        return settings.model_copy(update={"media_url": request.getfixturevalue("s3_media_url")})
    return settings


async def upload(client: httpx.AsyncClient, who: dict, data: bytes, name: str = "p.jpg"):
    return await client.post(
        "/api/v1/media", files={"file": (name, data, "image/jpeg")}, headers=who
    )


async def _stored_keys(settings) -> set[str]:
    """Every blob in the storage, found the way a reader would: by the keys rows name, plus a
    walk of the local directory (for anything no row names)."""
    root = settings.data_dir / "media"
    if not settings.media_url:
        return {p.name for p in root.rglob("*") if p.is_file()}
    import obstore

    storage = storage_for(settings)
    listed = await obstore.list(storage.store).collect_async()  # type: ignore[attr-defined]
    return {item["path"].rsplit("/", 1)[-1] for item in listed}


async def test_an_upload_answers_its_urls_and_serves_a_clean_picture(client):
    ann = await register(client, "ann")
    response = await upload(client, ann, pictures.jpeg_with_gps_and_orientation())
    assert response.status_code == 201, response.text
    body = response.json()
    media_id = body["id"]
    assert body == {
        "id": media_id,
        "url": f"/api/v1/media/{media_id}",
        "thumbnail_url": f"/api/v1/media/{media_id}/thumbnail",
        "width": 40,
        "height": 80,
        "content_type": "image/jpeg",
    }
    picture = await client.get(body["url"], headers=ann)
    assert picture.status_code == 200
    assert picture.headers["content-type"] == "image/jpeg"
    assert picture.headers["cache-control"] == "private, max-age=31536000, immutable"
    assert picture.headers["x-content-type-options"] == "nosniff"
    assert picture.headers["etag"] == f'"{hashlib.sha256(picture.content).hexdigest()}"'
    assert b"Exif" not in picture.content and b"secret-comment" not in picture.content
    assert Image.open(io.BytesIO(picture.content)).size == (40, 80)
    thumb = await client.get(body["thumbnail_url"], headers=ann)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    # Smaller than a thumbnail already: the thumbnail is the same blob.
    assert thumb.headers["etag"] == picture.headers["etag"]
    big = (await upload(client, ann, pictures.noisy_jpeg(800, 600))).json()
    big_thumb = await client.get(big["thumbnail_url"], headers=ann)
    assert Image.open(io.BytesIO(big_thumb.content)).size == (320, 240)
    again = await client.get(body["url"], headers={**ann, "If-None-Match": picture.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == picture.headers["etag"]
    assert again.headers["cache-control"] == picture.headers["cache-control"]


async def test_the_type_comes_from_the_content_not_the_name(client):
    ann = await register(client, "ann")
    response = await upload(client, ann, pictures.png(), name="holiday.jpg")
    assert response.status_code == 201, response.text
    assert response.json()["content_type"] == "image/png"
    served = await client.get(response.json()["url"], headers=ann)
    assert served.headers["content-type"] == "image/png"
    heic = await upload(client, ann, pictures.heic(), name="IMG_0001.HEIC")
    assert heic.status_code == 201 and heic.json()["content_type"] == "image/jpeg"


@pytest.mark.parametrize(
    ("make", "name", "status", "code"),
    [
        (lambda: pictures.TEXT, "notes.png", 415, "unsupported_media_type"),
        (pictures.truncated_jpeg, "cut.jpg", 422, "corrupt_image"),
        (lambda: pictures.png_claiming(100_000, 100_000), "bomb.png", 422, "too_many_pixels"),
    ],
    ids=["text-named-png", "truncated", "bomb"],
)
async def test_bad_uploads_are_refused_and_nothing_is_kept(
    client, settings, make, name, status, code
):
    ann = await register(client, "ann")
    response = await upload(client, ann, make(), name=name)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert await _stored_keys(settings) == set()


async def test_a_picture_over_the_byte_limit_is_refused(client, app, settings):
    ann = await register(client, "ann")
    limit = settings.media_max_bytes
    data = pictures.noisy_jpeg(40, 40)
    padded = data + b"\0" * (limit - len(data) + 1)  # a valid JPEG, one byte over the limit
    response = await upload(client, ann, padded)
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "too_large"
    assert str(limit) in response.json()["error"]["message"]
    far_over = await upload(client, ann, padded + b"\0" * 200_000)
    assert far_over.status_code == 413  # refused by the body limit, before any parsing
    assert await _stored_keys(settings) == set()
    exactly = await upload(client, ann, padded[:-1])
    assert exactly.status_code == 201, exactly.text


async def test_a_json_body_elsewhere_keeps_the_ordinary_limit(client, settings):
    big = {"username": "x" * (settings.max_body_bytes + 10), "password": "p", "display_name": "d"}
    response = await client.post("/api/v1/accounts", json=big)
    assert response.status_code == 413


async def test_the_same_picture_twice_is_stored_once(client, settings):
    ann = await register(client, "ann")
    bob = await register(client, "bob")
    data = pictures.noisy_jpeg(800, 600)
    first = (await upload(client, ann, data)).json()
    second = (await upload(client, bob, data)).json()
    assert first["id"] != second["id"]
    assert len(await _stored_keys(settings)) == 2  # one picture and one thumbnail


async def test_an_unattached_upload_is_seen_by_its_uploader_only(client):
    ann = await register(client, "ann")
    bob = await register(client, "bob")
    body = (await upload(client, ann, pictures.png())).json()
    for path in (body["url"], body["thumbnail_url"]):
        assert (await client.get(path, headers=bob)).status_code == 404
        assert (await client.get(path)).status_code == 401
    missing = await client.get(f"/api/v1/media/{body['id'] + 1000}", headers=ann)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


async def test_uploads_are_rate_limited_per_person(client, app):
    app.state.media.uploads_per_person = type(app.state.media.uploads_per_person)(2, 600)
    ann = await register(client, "ann")
    bob = await register(client, "bob")
    for _ in range(2):
        assert (await upload(client, ann, pictures.png())).status_code == 201
    refused = await upload(client, ann, pictures.png())
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert (await upload(client, bob, pictures.png())).status_code == 201


async def _refuse_media_rows_of(app, backend: str, user_id: int) -> None:
    """Make the database refuse every upload row of one person, as a failing write would."""
    from sqlalchemy import text

    async with app.state.runtime.engine.begin() as connection:
        if backend == "sqlite":
            await connection.execute(
                text(
                    f"CREATE TRIGGER refuse_media BEFORE INSERT ON media WHEN NEW.uploader_id = "
                    f"{user_id} BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            )
        else:
            await connection.execute(
                text(f"ALTER TABLE media ADD CONSTRAINT refuse CHECK (uploader_id <> {user_id})")
            )


async def test_a_failed_database_write_leaves_no_blob_behind_but_keeps_shared_ones(
    client, app, settings, backend
):
    from sqlalchemy.exc import IntegrityError

    from plaza.media import uploads

    ann = await register(client, "ann")
    await register(client, "bob")
    bob_id = (await client.get("/api/v1/users/bob", headers=ann)).json()["id"]
    shared = pictures.noisy_jpeg(500, 400)
    kept = await upload(client, ann, shared)
    assert kept.status_code == 201
    before = await _stored_keys(settings)
    assert len(before) == 2
    await _refuse_media_rows_of(app, backend, bob_id)
    runtime = app.state.runtime
    for data in (pictures.noisy_jpeg(600, 300), shared):
        async with runtime.sessions() as session:
            with pytest.raises(IntegrityError):
                await uploads.upload(
                    session,
                    media=app.state.media,
                    clock=runtime.clock,
                    uploader_id=bob_id,
                    data=data,
                )
        # Bob's own picture is gone again; the one Ann's upload also uses stays.
        assert await _stored_keys(settings) == before
    still = await client.get(kept.json()["url"], headers=ann)
    assert still.status_code == 200
