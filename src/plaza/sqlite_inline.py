"""SQLite statements executed inline on the event loop instead of in aiosqlite's thread.

aiosqlite runs every call in a worker thread and wakes the loop with the result. SQLite is a
library, not a server: a typical Plaza statement takes a few microseconds, while the two thread
hops around it cost over 100 µs on our 2-core machines (measured: `SELECT 1` through the async
session 417 µs with the thread, 50 µs inline; see bench/README.md). So the connection keeps
aiosqlite's interface, which SQLAlchemy's aiosqlite dialect drives, but runs each call
directly. In WAL mode with synchronous=NORMAL a commit does not wait for the disk, so the loop
is not held up; the price is that a statement waiting on another process's lock (busy_timeout)
stalls the loop, which is why that timeout is short.
"""

from __future__ import annotations

import sqlite3
from functools import partial
from typing import Any

import aiosqlite


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose calls run on the caller's thread (the event loop)."""

    async def _execute(self, fn, *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


async def inline_sqlite_connect(path: str) -> InlineConnection:
    """Open `path`; the sqlite3 connection is created in aiosqlite's thread, so it must allow
    use from the loop's thread too."""
    connector = partial(sqlite3.connect, path, timeout=2.0, check_same_thread=False)
    connection = InlineConnection(connector, iter_chunk_size=64)
    await connection  # starts aiosqlite's thread and opens the connection in it
    return connection
