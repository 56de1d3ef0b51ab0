"""Picture scans across nodes: jobs in PostgreSQL through procrastinate.

Why procrastinate: several nodes already share a PostgreSQL database, and it is the truth
(design.md §4); a job there is as durable as the content it scans, where Redis (kept without
persistence) may lose a job on a restart. It is asyncio-native, kept up (3.x, frequent
releases), and its workers hear of new jobs at once through LISTEN/NOTIFY. The Redis
libraries did not fit: arq requires redis-py below 6 and saq's Redis queue below 8, while
Plaza runs redis-py 8. It brings psycopg 3 (beside asyncpg, which SQLAlchemy keeps using).

Every node that records scans defers one job per scan once the recording transaction has
ended, with the scan's id as its queueing lock, so deferring a scan whose job is still
waiting is a no-op. Scanning nodes run procrastinate's worker, `2 x processes` jobs at a
time (each job waits on the process pool, so the pool stays busy while a job talks to the
database). The `PendingScan` row stays the truth: scanning nodes queue again, every
PLAZA_MODERATION_SCAN_REQUEUE_SECONDS, the pending scans older than that, whose job a
stopped worker may have taken with it; a scan done twice is decided once.

A killed worker also leaves its jobs "doing" in procrastinate's table, where nothing would
ever touch them again. The same sweep hands them back through procrastinate's own stalled-job
mechanism: workers beat every 10 s, and `get_stalled_jobs` names the jobs of workers silent
for PLAZA_MODERATION_SCAN_STALLED_SECONDS (or already pruned), which `retry_job` returns to
"todo". One whose scan was queued again meanwhile (its queueing lock taken) is surplus, and
is finished as failed and deleted instead.

procrastinate keeps its jobs in tables of its own (procrastinate_jobs, ...). The first node
to start with the queue on creates them (under an advisory lock, so nodes starting together
do not race); upgrading procrastinate means applying its migrations
(`procrastinate schema --migrations` lists them).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

import psycopg
from procrastinate import App, PsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued, UniqueViolation
from procrastinate.jobs import Status
from procrastinate.schema import SchemaManager
from sqlalchemy import select
from sqlalchemy.engine import make_url

from plaza.background import cancel_and_wait
from plaza.moderation.models import PendingScan
from plaza.runtime import Runtime

log = logging.getLogger(__name__)
QUEUE = "plaza_scans"
TASK = "plaza.moderation.scan"
# pg_advisory_xact_lock key for creating procrastinate's tables ("plaza scn").
SCHEMA_LOCK = 0x706C617A61_73636E
Scan = Callable[[int], Awaitable[None]]


def conninfo(database_url: str) -> str:
    """psycopg's form of the SQLAlchemy URL (postgresql+asyncpg://... -> postgresql://...)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ValueError(
            "PLAZA_MODERATION_SCAN_QUEUE needs PostgreSQL (PLAZA_DATABASE_URL=postgresql+asyncpg"
            "://...): the scan jobs are kept there"
        )
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class ScanQueue:
    """One node's side of the queue: deferring jobs, and with `consume`, running them."""

    def __init__(self, runtime: Runtime, scan: Scan, *, processes: int) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self._conninfo = conninfo(self.settings.resolved_database_url())
        self._concurrency = max(1, 2 * processes)
        self.app = App(
            connector=PsycopgConnector(
                conninfo=self._conninfo, min_size=1, max_size=self._concurrency + 2
            )
        )

        async def run(scan_id: int) -> None:
            await scan(scan_id)

        self._task = self.app.task(name=TASK, queue=QUEUE)(run)
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, *, consume: bool) -> None:
        await self._ensure_schema()
        await self.app.open_async()
        if consume:
            worker = self.app.run_worker_async(
                queues=[QUEUE],
                name="plaza-scans",
                concurrency=self._concurrency,
                delete_jobs="always",
                install_signal_handlers=False,
            )
            self._tasks += [asyncio.ensure_future(worker), asyncio.ensure_future(self._requeue())]

    async def stop(self) -> None:
        await cancel_and_wait(self._tasks)
        await self.app.close_async()

    async def defer(self, scan_ids: Sequence[int]) -> None:
        """One job per scan; a scan whose job is still waiting is left as it is."""
        for scan_id in scan_ids:
            try:
                await self._task.configure(queueing_lock=f"scan:{scan_id}").defer_async(
                    scan_id=scan_id
                )
            except AlreadyEnqueued:
                pass
            except Exception:
                # The row is the truth: a scanning node's requeue takes it up later.
                log.warning("could not queue picture scan %s", scan_id, exc_info=True)

    async def retry_stalled(self) -> int:
        """Hand back to the queue the jobs that killed workers left "doing"; how many."""
        manager = self.app.job_manager
        stalled = await manager.get_stalled_jobs(
            queue=QUEUE, seconds_since_heartbeat=self.settings.moderation_scan_stalled_seconds
        )
        count = 0
        for job in stalled:
            assert job.id is not None  # a job read from the table has one
            try:
                await manager.retry_job(job)
                count += 1
            except UniqueViolation:
                # Its scan waits in another job already (the requeue below got there first).
                await manager.finish_job_by_id_async(job.id, Status.FAILED, delete_job=True)
        if count:
            log.warning("retried %d picture scan jobs left by stopped workers", count)
        return count

    async def _requeue(self) -> None:
        """Queue again what looks forgotten: the jobs of stopped workers, and pending scans
        older than the requeue age."""
        age = self.settings.moderation_scan_requeue_seconds
        while True:
            await asyncio.sleep(age)
            try:
                await self.retry_stalled()
                before = self.runtime.clock.now() - timedelta(seconds=age)
                async with self.runtime.sessions() as session:
                    stale = list(
                        await session.scalars(
                            select(PendingScan.id)
                            .where(PendingScan.created_at < before)
                            .order_by(PendingScan.id)
                        )
                    )
                await self.defer(stale)
            except Exception:
                log.exception("queueing forgotten picture scans failed; trying again later")

    async def _ensure_schema(self) -> None:
        """Create procrastinate's tables if this database has none yet."""
        connection = await psycopg.AsyncConnection.connect(self._conninfo)
        async with connection, connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            found = await connection.execute("SELECT to_regclass('procrastinate_jobs')")
            row = await found.fetchone()
            if row is None or row[0] is None:
                await connection.execute(SchemaManager.get_schema())
