"""This process's export builder: one export at a time, in the background.

`install(app, runtime)` (from `create_app`) puts an `Exports` on `app.state.exports`; the
lifespan starts it. On start it queues every export a crash left `queued` or `running` (each
is built again from scratch, as attempt N+1; the half-written zip of the crashed attempt is
deleted), then builds what the API queues, one at a time (`lock`), and every
SWEEP_SECONDS deletes the zips kept past PLAZA_EXPORT_KEEP_DAYS.

Several processes on one database (`plaza serve --workers N`, or nodes) each take up at start
what was left unfinished; the attempt count is the claim, so of two that race one builds. A
process that starts while another is building takes that build over as a new attempt, and
the other's progress and result are then ignored (the table has no owner or heartbeat column
to tell a live build from a dead one).
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.background import cancel_and_wait
from plaza.exports.models import Export
from plaza.exports.service import jobs
from plaza.exports.service.jobs import Builder
from plaza.media.setup import MediaRuntime
from plaza.ratelimit import Rate
from plaza.runtime import Runtime

log = logging.getLogger(__name__)
# How often expired zips are looked for (an expired zip is refused at once anyway: 410).
SWEEP_SECONDS = 3600.0


class Exports:
    def __init__(self, runtime: Runtime, media: MediaRuntime) -> None:
        settings = runtime.settings
        self.builder = Builder(
            sessions=runtime.sessions,
            storage=media.storage,
            clock=runtime.clock,
            data_dir=settings.data_dir,
        )
        self._clock = runtime.clock
        self._limiter = runtime.limiter
        self.rate = Rate.parse(settings.exports_per_day)
        self.keep_days = settings.export_keep_days
        # One build at a time in this process: holding it keeps builds waiting.
        self.lock = asyncio.Lock()
        self._queue: asyncio.Queue[tuple[int, int]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    async def ask(self, session: AsyncSession, *, user_id: int) -> Export:
        """Record a new export of `user_id`'s data and queue its build (jobs.start's 409
        while one is unfinished, 429 past PLAZA_EXPORTS_PER_DAY)."""
        export = await jobs.start(
            session, clock=self._clock, limiter=self._limiter, rate=self.rate, user_id=user_id
        )
        self.queue(export.id)
        return export

    def queue(self, export_id: int, attempts: int = 0) -> None:
        """Build export `export_id` (queued with `attempts` builds started) when its turn
        comes."""
        self._queue.put_nowait((export_id, attempts))

    async def start(self) -> None:
        for export_id, attempts in await self.builder.unfinished():
            log.info("export %d was left unfinished: building it again", export_id)
            self.queue(export_id, attempts)
        self._tasks = [
            asyncio.create_task(self._building(), name="plaza-exports"),
            asyncio.create_task(self._sweeping(), name="plaza-exports-sweep"),
        ]

    async def stop(self) -> None:
        await cancel_and_wait(self._tasks)

    async def _building(self) -> None:
        while True:
            export_id, attempts = await self._queue.get()
            async with self.lock:
                try:
                    await self.builder.run(export_id, attempts)
                except Exception:  # the database is down, say: the next start takes it up
                    log.exception("export %d could not be built", export_id)

    async def _sweeping(self) -> None:
        while True:
            try:
                await self.builder.sweep(self.keep_days)
            except Exception:
                log.exception("sweeping expired exports failed")
            await asyncio.sleep(SWEEP_SECONDS)


def install(app: FastAPI, runtime: Runtime, media: MediaRuntime) -> Exports:
    exports = Exports(runtime, media)
    app.state.exports = exports
    return exports


def exports_of(app: FastAPI) -> Exports:
    exports: Exports = app.state.exports
    return exports
