"""This process's evidence sweep: at start and every SWEEP_SECONDS, purge the frozen copies of
enforced content kept past PLAZA_EVIDENCE_RETENTION_DAYS (plaza.moderation.service.
evidence_purge). Several processes on one database may sweep at once: each takes the
actions it purges under a row lock (PostgreSQL), and what one purged the other skips.
"""

from __future__ import annotations

import asyncio
import logging

from plaza.background import cancel_and_wait
from plaza.media.storage import Storage
from plaza.moderation.service.evidence_purge import purge_due
from plaza.runtime import Runtime

log = logging.getLogger(__name__)
# Copies are kept for months: an hour late is no matter.
SWEEP_SECONDS = 3600.0


class EvidenceSweep:
    def __init__(self, runtime: Runtime, storage: Storage) -> None:
        self.runtime = runtime
        self.storage = storage
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._sweeping(), name="plaza-evidence-sweep")

    async def stop(self) -> None:
        await cancel_and_wait([self._task])

    async def sweep(self) -> int:
        async with self.runtime.sessions() as session:
            return await purge_due(
                session,
                clock=self.runtime.clock,
                settings=self.runtime.settings,
                storage=self.storage,
            )

    async def _sweeping(self) -> None:
        while True:
            try:
                purged = await self.sweep()
                if purged:
                    log.info("purged the evidence of %d enforcements past their keeping", purged)
            except Exception:
                log.exception("purging evidence failed; trying again later")
            await asyncio.sleep(SWEEP_SECONDS)
