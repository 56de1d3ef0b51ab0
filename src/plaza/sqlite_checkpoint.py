"""WAL checkpoints off the event loop.

SQLite's automatic checkpoint runs inside whichever commit crosses the WAL size threshold;
with statements executed inline on the loop (plaza.sqlite_inline) that commit would stall
every socket for the tens of milliseconds the checkpoint takes to copy pages and fsync
(seen in bench/chat.py as p99 spikes past 100 ms). So the serving connection turns automatic
checkpoints off, and this task runs a PASSIVE checkpoint (which never blocks writers) from a
worker thread with its own connection, every `interval` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from pathlib import Path

log = logging.getLogger(__name__)


class Checkpointer:
    def __init__(self, path: Path, interval: float = 1.0) -> None:
        self._path = path
        self._interval = interval
        self._task: asyncio.Task | None = None
        self._conn: sqlite3.Connection | None = None

    def _checkpoint(self) -> None:
        if self._conn is None:
            self._conn = sqlite3.connect(self._path, timeout=5, check_same_thread=False)
        self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await asyncio.to_thread(self._checkpoint)
            except sqlite3.Error as exc:
                log.warning("WAL checkpoint failed: %s", exc)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="sqlite-checkpoint")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._conn is not None:
            # A last full checkpoint keeps the WAL small for the next start.
            with contextlib.suppress(sqlite3.Error):
                await asyncio.to_thread(self._conn.execute, "PRAGMA wal_checkpoint(TRUNCATE)")
                self._conn.close()
