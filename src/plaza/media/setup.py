"""Media's per-process state, made by its start-up hook (`install`) that create_app calls:
the storage, the viewer-check registry, the pool that decodes pictures, the upload limit.

Decoding and re-encoding a phone photo takes tens to hundreds of milliseconds of CPU and up to
hundreds of MB at the pixel limit: it runs on a small pool of its own, off the event loop, so
a burst of uploads neither stalls other requests nor holds more than a few pictures decoded at
once.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from fastapi import FastAPI

from plaza.config import Settings
from plaza.media.access import ViewerChecks
from plaza.media.images import Processed, process
from plaza.media.storage import Storage, storage_for
from plaza.ratelimit import Rate, RateLimiter, enforce


@dataclass
class MediaRuntime:
    storage: Storage
    access: ViewerChecks
    pool: ThreadPoolExecutor
    limiter: RateLimiter
    uploads_per_person: Rate
    max_bytes: int
    max_pixels: int
    thumbnail_px: int

    async def check_upload_rate(self, user_id: int) -> None:
        await enforce(
            self.limiter, f"media:uploads:user:{user_id}", self.uploads_per_person, "uploads"
        )

    async def process(self, data: bytes) -> Processed:
        """Check, clean and re-encode an upload on the media pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.pool,
            lambda: process(data, max_pixels=self.max_pixels, thumbnail_px=self.thumbnail_px),
        )

    async def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        await self.storage.close()


def install(app: FastAPI, settings: Settings, limiter: RateLimiter) -> MediaRuntime:
    """Create media's state on `app.state.media`; the viewer checks, which surfaces fill from
    their own hooks, also on `app.state.media_access`."""
    media = MediaRuntime(
        storage=storage_for(settings),
        access=ViewerChecks(),
        pool=ThreadPoolExecutor(
            max_workers=min(4, os.cpu_count() or 1), thread_name_prefix="plaza-media"
        ),
        limiter=limiter,
        uploads_per_person=Rate.parse(settings.media_uploads_per_person),
        max_bytes=settings.media_max_bytes,
        max_pixels=settings.media_max_pixels,
        thumbnail_px=settings.media_thumbnail_px,
    )
    app.state.media = media
    app.state.media_access = media.access
    return media
