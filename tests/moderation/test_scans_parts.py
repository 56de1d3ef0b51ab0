"""The scan worker's parts on their own: recording scans with the content and hearing of them
once the transaction has ended; the process pool (real child processes) and its recovery
when a child dies; the job queue's deferral in PostgreSQL."""

from __future__ import annotations

import os
import signal

import httpx
import psutil
import pytest
from sqlalchemy import select, text

from plaza.app import build_runtime
from plaza.config import Settings
from plaza.migrate import upgrade
from plaza.moderation.detectors.images import pdq_hashes
from plaza.moderation.detectors.signals import Rule
from plaza.moderation.models import PendingScan
from plaza.moderation.scans import record
from plaza.moderation.scans.pool import PoolBroken, ScanPool
from plaza.moderation.scans.queue import ScanQueue, conninfo
from tests import services
from tests.conftest import running_app
from tests.helpers import register
from tests.moderation.scan_pictures import picture, png


async def _uploaded(client, who, seed: int) -> int:
    answer = await client.post(
        "/api/v1/media", files={"file": ("p.png", png(picture(seed)), "image/png")}, headers=who
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


async def _pending(runtime) -> list[int]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(PendingScan.id).order_by(PendingScan.id)))


async def test_scans_are_heard_of_once_their_transaction_ends_whatever_the_executor(
    settings, clock
):
    # No scanning here: the test looks at the rows and the announcements alone.
    quiet = settings.model_copy(update={"moderation_scan_processes": 0})
    async with running_app(quiet, clock) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://plaza.test") as client:
            ann = await register(client, "ann")
            first, second = await _uploaded(client, ann, 1), await _uploaded(client, ann, 2)
        runtime = app.state.runtime
        heard: list[list[int]] = []
        stop = record.listen(runtime.engine, heard.append)
        try:
            async with runtime.sessions() as session:
                ids = await record.record_scans(
                    session,
                    surface="moment",
                    ref_id=7,
                    author_id=None,
                    media_ids=[first, second, first],
                    now=clock.now(),
                )
                assert len(ids) == 2  # a picture shown twice is scanned once
                assert heard == []  # not before the commit
                await session.commit()
            assert heard == [ids]
            assert await _pending(runtime) == ids
            # Chat's send path records on a bare Core connection.
            async with runtime.engine.begin() as connection:
                more = await record.record_scans(
                    connection,
                    surface="message",
                    ref_id=8,
                    author_id=None,
                    media_ids=[second],
                    now=clock.now(),
                )
            assert heard == [ids, more]
            # A transaction that rolls back leaves nothing: what is heard names no row.
            async with runtime.sessions() as session:
                lost = await record.record_scans(
                    session,
                    surface="moment",
                    ref_id=9,
                    author_id=None,
                    media_ids=[first],
                    now=clock.now(),
                )
                await session.rollback()
            assert heard[-1] == lost
            assert await _pending(runtime) == [*ids, *more]
            async with runtime.sessions() as session:
                assert not await record.record_scans(
                    session,
                    surface="moment",
                    ref_id=10,
                    author_id=None,
                    media_ids=[],
                    now=clock.now(),
                )
        finally:
            stop()


def _children() -> list[psutil.Process]:
    """This process's pool children (the spawn start method runs them as spawn_main)."""
    return [
        child
        for child in psutil.Process().children()
        if any("spawn_main" in part for part in child.cmdline())
    ]


async def test_a_child_process_scans_and_a_dead_one_is_replaced():
    pool = ScanPool(1)
    try:
        data = png(picture(1))
        scanned = await pool.scan(data, [Rule("sexual", 1)])
        assert scanned.hashes == pdq_hashes(data)  # the same hashes as the detector in-process
        assert scanned.nudity == []  # coloured shapes: NudeNet finds nothing to count
        assert os.getpid() not in {child.pid for child in _children()}
        (child,) = _children()
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        with pytest.raises(PoolBroken):
            await pool.scan(data, [])
        again = await pool.scan(png(picture(2)), [])  # a fresh pool took over
        assert again.hashes.quality == 100 and again.hashes != scanned.hashes
    finally:
        pool.close()


def test_the_queue_needs_postgresql():
    assert conninfo("postgresql+asyncpg://u:p@db:5432/plaza") == "postgresql://u:p@db:5432/plaza"
    with pytest.raises(ValueError, match="needs PostgreSQL"):
        conninfo("sqlite+aiosqlite:///plaza.db")


async def test_a_scan_is_queued_once_however_often_it_is_deferred(tmp_path, clock):
    with services.pg_database("plaza_q") as url:
        settings = Settings(data_dir=tmp_path, database_url=url, moderation_scan_queue=True)
        services.off_loop(upgrade, settings)
        runtime = build_runtime(settings, clock)

        async def never(scan_id: int) -> None:
            raise AssertionError("nothing consumes in this test")

        queue = ScanQueue(runtime, never, processes=1)
        try:
            await queue.start(consume=False)
            await queue.defer([5, 6])
            await queue.defer([5])  # waiting already: a no-op
            async with runtime.engine.connect() as connection:
                jobs = await connection.execute(
                    text("SELECT args->>'scan_id', status FROM procrastinate_jobs ORDER BY id")
                )
                assert [tuple(row) for row in jobs] == [("5", "todo"), ("6", "todo")]
            # A second node starting finds the tables there.
            other = ScanQueue(runtime, never, processes=1)
            await other.start(consume=False)
            await other.stop()
        finally:
            await queue.stop()
            await runtime.engine.dispose()


async def test_jobs_a_killed_worker_left_doing_go_back_to_the_queue(tmp_path, clock):
    """procrastinate's stalled jobs: a job "doing" for a worker that is gone (pruned) or has
    missed its heartbeats is handed back; a live worker's job is left alone; a stalled job
    whose scan was queued again meanwhile is surplus and goes."""
    with services.pg_database("plaza_stalled") as url:
        settings = Settings(data_dir=tmp_path, database_url=url, moderation_scan_queue=True)
        services.off_loop(upgrade, settings)
        runtime = build_runtime(settings, clock)

        async def never(scan_id: int) -> None:
            raise AssertionError("nothing consumes in this test")

        queue = ScanQueue(runtime, never, processes=1)
        try:
            await queue.start(consume=False)
            await queue.defer([7, 8, 9])
            async with runtime.engine.begin() as connection:
                live, silent = [
                    (
                        await connection.execute(
                            text(
                                "INSERT INTO procrastinate_workers (last_heartbeat) "
                                f"VALUES (NOW() - INTERVAL '{age} seconds') RETURNING id"
                            )
                        )
                    ).scalar_one()
                    for age in (1, 3600)
                ]
                for scan_id, worker in ((7, None), (8, live), (9, silent)):
                    await connection.execute(
                        text(
                            "UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w "
                            "WHERE args->>'scan_id' = :s"
                        ),
                        {"w": worker, "s": str(scan_id)},
                    )
            await queue.defer([9])  # the pending-scan sweep queued scan 9 again meanwhile

            assert await queue.retry_stalled() == 1
            async with runtime.engine.connect() as connection:
                jobs = await connection.execute(
                    text("SELECT args->>'scan_id', status FROM procrastinate_jobs ORDER BY id")
                )
                assert [tuple(row) for row in jobs] == [
                    ("7", "todo"),
                    ("8", "doing"),
                    ("9", "todo"),
                ]
            assert await queue.retry_stalled() == 0
        finally:
            await queue.stop()
            await runtime.engine.dispose()
