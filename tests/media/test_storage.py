"""Both storages keep what they acknowledge, under content-addressed keys."""

from __future__ import annotations

import hashlib
import os

import pytest

from plaza.config import Settings
from plaza.media.storage import storage_for
from plaza.media.storage.local import LocalStorage
from plaza.media.storage.s3 import S3Storage


@pytest.fixture
def storage(storage_kind, tmp_path, request):
    url = request.getfixturevalue("s3_media_url") if storage_kind == "s3" else ""
    return storage_for(Settings(data_dir=tmp_path, media_url=url))


def _key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def test_put_get_exists_delete(storage):
    data = b"\x89PNG picture bytes"
    key = _key(data)
    assert not await storage.exists(key)
    assert await storage.get(key) is None
    await storage.put(key, data, "image/png")
    await storage.put(key, data, "image/png")  # the same key again: no error, same bytes
    assert await storage.exists(key)
    assert await storage.get(key) == data
    await storage.delete(key)
    await storage.delete(key)  # already gone: no error
    assert not await storage.exists(key)
    assert await storage.get(key) is None
    await storage.close()


async def test_a_key_must_be_a_sha256(storage):
    for bad in ("../../etc/passwd", "ab", "A" * 64, _key(b"x") + "/x"):
        with pytest.raises(ValueError):
            await storage.put(bad, b"x", "image/png")


async def test_local_blobs_live_under_the_data_dir_by_prefix_and_no_temporary_file_stays(
    tmp_path,
):
    storage = storage_for(Settings(data_dir=tmp_path))
    assert isinstance(storage, LocalStorage)
    data = b"picture"
    key = _key(data)
    await storage.put(key, data, "image/jpeg")
    path = tmp_path / "media" / key[:2] / key[2:4] / key
    assert path.read_bytes() == data
    assert os.listdir(path.parent) == [key]


def test_the_media_url_chooses_the_storage(tmp_path):
    s3 = storage_for(
        Settings(data_dir=tmp_path, media_url="s3://bucket/some/prefix?endpoint=http://h:9000")
    )
    assert isinstance(s3, S3Storage)
    for bad in ("ftp://x/y", "s3:///nobucket", "s3://b/p?secret=1"):
        with pytest.raises(ValueError):
            storage_for(Settings(data_dir=tmp_path, media_url=bad))
