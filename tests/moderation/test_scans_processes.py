"""Picture scans as operators run them, in real processes: a scan survives `kill -9` of the
server between posting and verdict, and `plaza worker` does the scans of a web node that
scans nothing, from the shared SQLite file or through the job queue in PostgreSQL."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from plaza.app import build_runtime
from plaza.config import Settings
from plaza.migrate import upgrade
from plaza.moderation.models import PendingScan
from tests import services
from tests.helpers import befriend, log_in, register
from tests.moderation.scan_pictures import picture, reuploaded
from tests.moderation.scans import list_picture, settled, upload
from tests.moments.helpers import post, timeline_texts
from tests.processes import PLAZA, ServerProcess

pytestmark = pytest.mark.slow

TEXT = "a listed picture, resized"


async def _post_listed_picture(url: str, seed: int) -> int:
    """ann (bob's friend) posts picture `seed`, resized and recompressed: the moment's id."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        ann, bob = await register(client, "ann"), await register(client, "bob")
        await befriend(client, ann, bob, "bob")
        listed = await upload(client, ann, reuploaded(picture(seed)))
        moment = await post(client, ann, TEXT, media_ids=[listed])
        return int(moment["id"])


async def _bob_sees(url: str) -> list[str]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        return await timeline_texts(client, await log_in(client, "bob"))


async def test_a_scan_pending_when_the_server_is_killed_is_done_after_the_restart(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    services.off_loop(upgrade, settings)
    runtime = build_runtime(settings)
    try:
        await list_picture(runtime.sessions, seed=11)
        # A node that scans nothing: the scan can only wait in the database.
        first = ServerProcess(settings.data_dir, env={"PLAZA_MODERATION_SCAN_PROCESSES": "0"})
        first.start()
        try:
            moment_id = await _post_listed_picture(first.url, seed=11)
            assert TEXT in await _bob_sees(first.url)  # not scanned yet
            async with runtime.sessions() as session:
                pending = await session.scalar(
                    select(func.count())
                    .select_from(PendingScan)
                    .where(PendingScan.surface == "moment", PendingScan.ref_id == moment_id)
                )
            assert pending == 1
        finally:
            first.kill()  # SIGKILL: no shutdown code runs
        second = ServerProcess(settings.data_dir, env={"PLAZA_MODERATION_SCAN_PROCESSES": "1"})
        second.start()
        try:
            decisions = await settled(runtime.sessions, "moment", moment_id)
            assert [d["outcome"] for d in decisions] == ["remove"]
            assert TEXT not in await _bob_sees(second.url)
        finally:
            assert second.stop() == 0
    finally:
        await runtime.engine.dispose()


class WorkerProcess:
    """One `plaza worker` child process."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.log = data_dir / "worker.log"
        args = [*PLAZA, "worker", "--processes", "1", "--data-dir", str(data_dir)]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)

    def stop(self) -> int:
        self.proc.terminate()
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise

    def output(self) -> str:
        return self.log.read_text()[-3000:]


@pytest.fixture(params=["sqlite", "postgresql-queue"])
def shared(request, tmp_path) -> Iterator[dict[str, str]]:
    """What the web node and the worker share: the SQLite file (the worker takes the pending
    scans from it), or PostgreSQL with the job queue."""
    if request.param == "sqlite":
        yield {}
        return
    with services.pg_database("plaza_scanw") as url:
        yield {
            "PLAZA_DATABASE_URL": url,
            "PLAZA_MODERATION_SCAN_QUEUE": "true",
            # Only the job the web node defers can bring the verdict within the test.
            "PLAZA_MODERATION_SCAN_REQUEUE_SECONDS": "3600",
        }


async def test_plaza_worker_takes_the_scans_of_a_web_node_that_scans_nothing(tmp_path, shared):
    data_dir = tmp_path / "data"
    web = ServerProcess(data_dir, env={**shared, "PLAZA_MODERATION_SCAN_PROCESSES": "0"})
    web.start()  # migrates
    url = shared.get("PLAZA_DATABASE_URL")
    runtime = build_runtime(Settings(data_dir=data_dir, database_url=url))
    worker = WorkerProcess(data_dir, {**web.env, **shared})
    try:
        await list_picture(runtime.sessions, seed=12)
        moment_id = await _post_listed_picture(web.url, seed=12)
        decisions = await settled(runtime.sessions, "moment", moment_id)
        assert [d["outcome"] for d in decisions] == ["remove"], worker.output()
        assert TEXT not in await _bob_sees(web.url)
    finally:
        assert worker.stop() == 0, worker.output()
        web.stop()
        await runtime.engine.dispose()
