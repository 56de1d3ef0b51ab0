"""This node's picture scanning: taking pending scans, scanning, concluding.

`start(app)` (from the app's lifespan, and `plaza worker`) builds a `Scans` that, by
PLAZA_MODERATION_SCAN_PROCESSES (N) and PLAZA_MODERATION_SCAN_QUEUE:

- N > 0, no queue (the default, one node): scans run here, on a pool of N processes. The
  runner wakes when a transaction that recorded scans ends (plaza.moderation.scans.record)
  and also looks every PLAZA_MODERATION_SCAN_SWEEP_SECONDS, which at start-up takes up the
  scans a crash left pending. Several runners on one database (`plaza worker` beside it) may
  scan a picture twice; the verdict counts once (plaza.moderation.scans.verdict).
- queue on: recorded scans become jobs (plaza.moderation.scans.queue) as soon as their
  transaction ends; with N > 0 this node also runs N of them at a time, and queues again
  the pending scans older than PLAZA_MODERATION_SCAN_REQUEUE_SECONDS that no job finished.
- N = 0, no queue: nothing here; a `plaza worker` on the same database takes the scans.

`scan_one` is one scan, whoever asked for it: count the attempt, read the picture, scan it
in a child process, match its hashes against the hash list as it is now, conclude. The event
loop only ever waits: no database connection is held while a child works (SQLite has one
connection for everybody).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from plaza.background import cancel_and_wait
from plaza.media import service as media_service
from plaza.media.setup import MediaRuntime
from plaza.moderation.detectors.signals import Rule, Signal
from plaza.moderation.models import PendingScan
from plaza.moderation.scans import record, verdict
from plaza.moderation.scans.pool import PoolBroken, Scanned, ScanPool
from plaza.moderation.scans.queue import ScanQueue
from plaza.moderation.scans.verdict import ScanItem
from plaza.moderation.service.screening import checks_for
from plaza.moderation.setup import Moderation, moderation_of

log = logging.getLogger(__name__)
NUDITY = "image.nudity"
HASHES = "image.hash"


class Scans:
    def __init__(self, moderation: Moderation, media: MediaRuntime) -> None:
        self.moderation = moderation
        self.runtime = moderation.runtime
        self.settings = moderation.runtime.settings
        self.media = media
        processes = self.settings.moderation_scan_processes
        self.pool = ScanPool(processes) if processes > 0 else None
        self.queue = (
            ScanQueue(self.runtime, self.scan_one, processes=processes)
            if self.settings.moderation_scan_queue
            else None
        )
        # Scans this node is working on, so that a sweep does not take them twice.
        self._running: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_listening: Callable[[], None] | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self.queue is not None:
            await self.queue.start(consume=self.pool is not None)
        elif self.pool is not None:
            self._spawn(self._sweeping())
        if self.queue is not None or self.pool is not None:
            self._stop_listening = record.listen(self.runtime.engine, self._recorded)

    async def stop(self) -> None:
        if self._stop_listening is not None:
            self._stop_listening()
        if self.queue is not None:
            await self.queue.stop()
        await cancel_and_wait(list(self._tasks))
        if self.pool is not None:
            self.pool.close()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _recorded(self, scan_ids: list[int]) -> None:
        """A transaction that recorded these scans has ended (from the pool's check-in, which
        may run outside the loop's own callbacks: hop onto the loop)."""
        if self._loop is None or self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._announce, scan_ids)

    def _announce(self, scan_ids: list[int]) -> None:
        if self.queue is not None:
            self._spawn(self.queue.defer(scan_ids))
        else:
            self._wake.set()

    async def _sweeping(self) -> None:
        """Take pending scans until stopped: at start, when woken, and every sweep interval."""
        assert self.pool is not None
        slots = asyncio.Semaphore(self.pool.processes * 2)
        while True:
            self._wake.clear()
            try:
                for scan_id in await self._pending(limit=self.pool.processes * 4):
                    await slots.acquire()
                    self._running.add(scan_id)
                    self._spawn(self._take(scan_id, slots))
            except Exception:
                log.exception("looking for pending picture scans failed; trying again later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._wake.wait(), self.settings.moderation_scan_sweep_seconds
                )

    async def _pending(self, *, limit: int) -> list[int]:
        async with self.runtime.sessions() as session:
            rows = await session.scalars(
                select(PendingScan.id)
                .where(PendingScan.id.not_in(self._running))
                .order_by(PendingScan.id)
                .limit(limit)
            )
            return list(rows)

    async def _take(self, scan_id: int, slots: asyncio.Semaphore) -> None:
        try:
            await self.scan_one(scan_id)
        except Exception:
            log.exception("picture scan %s failed; it stays pending", scan_id)
        finally:
            self._running.discard(scan_id)
            slots.release()
            self._wake.set()  # room for another, and perhaps more are waiting

    async def scan_one(self, scan_id: int) -> None:
        """Do one scan to its verdict (see the module docstring). A failure that may pass
        (a scanning process died, the database went away) raises and leaves the scan
        pending; one that will not (the picture is gone) is concluded as a failed scan."""
        assert self.pool is not None
        moderation = self.moderation
        async with self.runtime.sessions() as session:
            scan = await session.get(PendingScan, scan_id)
            if scan is None:
                return  # concluded meanwhile, or never committed
            item = ScanItem(scan.id, scan.surface, scan.ref_id, scan.author_id, scan.media_id)
            limit = self.settings.moderation_scan_max_attempts
            if scan.attempts >= limit:
                reason = f"gave up after {scan.attempts} failed attempts"
                await verdict.conclude(
                    session, moderation=moderation, item=item, signals=[], failure=reason
                )
                return
            scan.attempts += 1
            await session.commit()
            snapshot = await moderation.surfaces.get(item.surface).snapshot(session, item.ref_id)
            if snapshot is None:  # the item was deleted: nothing left to judge
                await verdict.conclude(session, moderation=moderation, item=item, signals=[])
                return
            key = await media_service.blob_key(session, media_id=item.media_id)
            checks = checks_for(moderation, public=snapshot.public)
            await session.commit()  # give the connection back while the picture is scanned
        data = await self.media.storage.get(key) if key is not None else None
        scanned: Scanned | None = None
        failure = None
        if data is None:
            failure = "the picture's file is missing"
        else:
            try:
                scanned = await self.pool.scan(data, self._nudity_rules(checks))
            except PoolBroken:
                raise
            except Exception as error:  # the picture itself cannot be read
                failure = f"the picture could not be read: {type(error).__name__}"
        async with self.runtime.sessions() as session:
            signals: list[Signal] = []
            if scanned is not None:
                if HASHES in checks:
                    hash_list = await moderation.lists.hash_list(session)
                    signals += hash_list.match(scanned.hashes)
                signals += scanned.nudity
            signals = [_about(signal, item.media_id) for signal in signals]
            await verdict.conclude(
                session, moderation=moderation, item=item, signals=signals, failure=failure
            )

    def _nudity_rules(self, checks: frozenset[str]) -> list[Rule]:
        """Where NudeNet's findings are filed: each policy with an action on them."""
        if NUDITY not in checks:
            return []
        return [
            Rule(policy.id, policy.clause_for(NUDITY))
            for policy in self.moderation.catalogue.policies
            if any(action.detector == NUDITY for action in policy.actions)
        ]


def _about(signal: Signal, media_id: int) -> Signal:
    """The signal with the picture it concerns in its evidence (an item may show nine)."""
    evidence = {**signal.evidence, "media_id": media_id}
    return Signal(signal.policy_id, signal.clause, signal.detector, signal.score, evidence)


async def start(app: FastAPI) -> Scans:
    """Start this node's scanning as its settings say; `await scans.stop()` at shutdown."""
    scans = Scans(moderation_of(app), app.state.media)
    await scans.start()
    return scans
