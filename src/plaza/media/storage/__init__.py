"""Where picture bytes live: one interface, local disk or S3-compatible object storage.

Keys are SHA-256 hex digests of the bytes (content addressing), so a put of a key that exists
writes nothing new, and two uploads of the same picture share one blob.
"""

from __future__ import annotations

import re
from typing import Protocol

from plaza.config import Settings

_KEY = re.compile(r"[0-9a-f]{64}")


class Storage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key`, durably: once this returns, the blob survives a crash."""

    async def get(self, key: str) -> bytes | None:
        """The blob's bytes, or None if there is none."""

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None:
        """Remove the blob; no error if it is already gone."""

    async def close(self) -> None: ...


def check_key(key: str) -> str:
    """Keys are SHA-256 hex digests; anything else would name a path of someone's choosing."""
    if not _KEY.fullmatch(key):
        raise ValueError(f"not a media key: {key!r}")
    return key


def storage_for(settings: Settings) -> Storage:
    """The storage PLAZA_MEDIA_URL names: empty for the data dir, s3://... for object storage."""
    url = settings.media_url.strip()
    if not url:
        from plaza.media.storage.local import LocalStorage

        return LocalStorage(settings.data_dir / "media")
    if url.startswith("s3://"):
        from plaza.media.storage.s3 import S3Storage

        return S3Storage.from_url(url)
    raise ValueError(f"PLAZA_MEDIA_URL must be empty or s3://bucket/prefix, not {url!r}")
