"""WAL checkpoints off the event loop, and a WAL file that stays small.

SQLite's automatic checkpoint runs inside whichever commit crosses the WAL size threshold;
with statements executed inline on the loop (plaza.sqlite_inline) that commit would stall
every socket for the tens of milliseconds the checkpoint takes to copy pages and fsync
(seen in bench/chat.py as p99 spikes past 100 ms). So the serving connection turns automatic
checkpoints off, and this task runs a PASSIVE checkpoint (which never blocks writers) from a
worker thread with its own connection, every `interval` seconds.

A PASSIVE checkpoint copies the WAL into the database but leaves the WAL file as large as it
grew, and frames it copied (an erased message's text among them) stay readable in it until
the writer wraps around over them. So now and then, and whenever the file outgrows
`size_limit`, the tick follows its PASSIVE checkpoint with a TRUNCATE one, which empties the
file. TRUNCATE holds the writer lock while it works, so it runs only right after a PASSIVE
checkpoint that copied everything (little is left to copy and no reader is in the way) and
with a short busy timeout: a writer on the loop waits a few milliseconds at most, and a
TRUNCATE that cannot get its locks quickly gives up until the next tick. The serving
connection's `journal_size_limit` (plaza.db) trims the file too each time the WAL restarts.

The checkpoint connection must know that the database is in WAL mode. A connection learns the
journal mode when it starts a transaction, and `PRAGMA wal_checkpoint` never starts one: a
connection first used while the file was still in rollback-journal mode (a freshly migrated
database, before the serving connection's first statement switched it to WAL) answered
every later checkpoint with (0, -1, -1), "not in WAL mode", and copied nothing while the WAL
grew without bound. So the connection is checked when opened, each result is checked, and a
connection that does not see the WAL is dropped and opened again at the next tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

# Milliseconds a TRUNCATE checkpoint may wait for the writer lock or for readers. While it
# waits for readers it holds the writer lock, so this also bounds how long a write on the
# event loop can be kept waiting by it.
TRUNCATE_BUSY_MS = 100


@dataclass(frozen=True)
class Checkpoint:
    """One checkpoint's answer: SQLite's (busy, log, checkpointed) row, and its duration."""

    mode: str
    busy: int  # 1: could not finish (a lock it needed was held)
    log: int  # frames in the WAL; -1: the connection does not see a WAL
    checkpointed: int  # frames of the WAL now copied into the database file
    seconds: float

    @property
    def complete(self) -> bool:
        return self.busy == 0 and self.log >= 0 and self.checkpointed == self.log


class NotInWalMode(sqlite3.Error):
    """The database (as this connection sees it) is not in WAL mode."""


class Checkpointer:
    def __init__(
        self,
        path: Path,
        interval: float = 1.0,
        *,
        truncate_interval: float = 30.0,
        size_limit: int = 4 * 1024 * 1024,
    ) -> None:
        self._path = Path(path)
        self._wal = self._path.with_name(self._path.name + "-wal")
        self._interval = interval
        self._truncate_interval = truncate_interval
        self._size_limit = size_limit
        self._task: asyncio.Task | None = None
        self._conn: sqlite3.Connection | None = None
        # One checkpoint at a time on the connection (the task, `checkpoint()`, `stop()`).
        self._lock = threading.Lock()
        self._last_truncate = time.monotonic()
        self.last: list[Checkpoint] = []  # what the latest tick did, for tests and debugging
        self.ticks = 0  # ticks that ran (the task's and `checkpoint()`'s)

    # -- the worker-thread side -------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(
                self._path,
                timeout=TRUNCATE_BUSY_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            # Reading the journal mode reads the database header, so from here on the
            # connection knows about the WAL (see the module note).
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if mode != "wal":
                conn.close()
                raise NotInWalMode(f"{self._path} is in journal mode {mode!r}, not WAL")
            self._conn = conn
        return self._conn

    def _close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None

    def _pragma(self, mode: str) -> Checkpoint:
        started = time.perf_counter()
        busy, frames, copied = (
            self._connection().execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        )
        result = Checkpoint(mode, busy, frames, copied, time.perf_counter() - started)
        if result.log < 0:
            self._close()
            raise NotInWalMode(f"checkpoint of {self._path} found no WAL: {result}")
        return result

    def _wal_size(self) -> int:
        try:
            return self._wal.stat().st_size
        except FileNotFoundError:
            return 0

    def run_once(self, *, truncate: bool | None = None) -> list[Checkpoint]:
        """One tick, blocking: a PASSIVE checkpoint, then a TRUNCATE if it is due (or forced
        with `truncate=True`) and the PASSIVE one left nothing behind. Call off the loop."""
        with self._lock:
            done = [self._pragma("PASSIVE")]
            now = time.monotonic()
            if truncate is None:
                due = self._truncate_interval > 0 and (
                    now - self._last_truncate >= self._truncate_interval
                )
                truncate = due or self._wal_size() > self._size_limit
            if truncate and self._wal_size() > 0:
                if done[0].complete:
                    done.append(self._pragma("TRUNCATE"))
                    if done[-1].complete:
                        self._last_truncate = now
            elif truncate:
                self._last_truncate = now  # nothing to truncate
            self.last = done
            self.ticks += 1
            return done

    # -- the event-loop side ----------------------------------------------------------------

    async def checkpoint(self, *, truncate: bool | None = None) -> list[Checkpoint]:
        """Run one tick now, in a worker thread; see `run_once`."""
        return await asyncio.to_thread(self.run_once, truncate=truncate)

    async def _run(self) -> None:
        failing = False
        while True:
            await asyncio.sleep(self._interval)
            try:
                done = await self.checkpoint()
            except sqlite3.Error as exc:
                if not failing:  # once per failing streak, not every second
                    log.warning("WAL checkpoint failed: %s", exc)
                failing = True
                continue
            if failing:
                log.info("WAL checkpoints work again: %s", done)
            failing = False
            if any(c.seconds > 0.1 for c in done):
                log.info("slow WAL checkpoint: %s", done)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="sqlite-checkpoint")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

        def final() -> None:
            # A last full checkpoint keeps the WAL small for the next start.
            with self._lock, contextlib.suppress(sqlite3.Error):
                self._pragma("TRUNCATE")
            self._close()

        await asyncio.to_thread(final)
