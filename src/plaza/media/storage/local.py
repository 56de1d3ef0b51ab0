"""Pictures on local disk: `<root>/ab/cd/<sha256>`, written to a temporary file, fsynced and
renamed into place (then the directory fsynced), so an acknowledged upload is durable and a
crash never leaves a half-written blob under a real key."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from pathlib import Path

from plaza.media.storage import check_key


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        check_key(key)
        return self.root / key[:2] / key[2:4] / key

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._put, self.path(key), data)

    async def get(self, key: str) -> bytes | None:
        return await asyncio.to_thread(self._get, self.path(key))

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path(key).exists)

    async def delete(self, key: str) -> None:
        path = self.path(key)
        await asyncio.to_thread(path.unlink, missing_ok=True)

    async def close(self) -> None:
        return None

    @staticmethod
    def _put(path: Path, data: bytes) -> None:
        if path.exists():
            return  # content-addressed: the same key holds the same bytes
        created = [d for d in (path.parent.parent, path.parent) if not d.exists()]
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        # The new file's directory entry, and those of directories made for it.
        for directory in (path.parent, *(d.parent for d in reversed(created))):
            _fsync_dir(directory)

    @staticmethod
    def _get(path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (the new directory entry)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
