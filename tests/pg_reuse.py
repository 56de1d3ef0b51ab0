"""A PostgreSQL database per test worker that is emptied between tests instead of dropped.

CREATE DATABASE from the migrated template and DROP DATABASE cost 0.3-0.5 s of PostgreSQL's
time per test (a WAL-logged copy of every page, then removing the files), more than most tests
take themselves. Emptying the few rows a test writes takes a few milliseconds. A database is
only handed to the next test when it is exactly as the template left it:

- nothing is still connected to it (an app that was not shut down could write into the next
  test), and
- its schema is unchanged (a test may add a constraint or a trigger to provoke a failure):
  every catalog row in it carries the transaction id (xmin) that wrote it, so any DDL changes
  the fingerprint taken when the database was created;

then every table but alembic_version is emptied and every sequence starts again, so ids are the
ones a fresh copy would give. Otherwise the database is dropped and the next test gets a new
copy of the template, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from collections.abc import Coroutine, Iterator
from typing import Any

import asyncpg

from tests import services

# Everything in a database that DDL writes; in-place statistics updates (ANALYZE, VACUUM) keep
# xmin, data does not live here.
FINGERPRINT = """
SELECT md5(string_agg(entry, ',' ORDER BY entry)) FROM (
    SELECT 'n' || oid::text || ':' || xmin::text AS entry FROM pg_namespace
        WHERE nspname NOT LIKE 'pg\\_temp\\_%' AND nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
    UNION ALL SELECT 'c' || oid::text || ':' || xmin::text FROM pg_class
        WHERE relnamespace = 'public'::regnamespace
    UNION ALL SELECT 'a' || attrelid::text || '.' || attnum::text || ':' || xmin::text
        FROM pg_attribute WHERE attrelid IN
            (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace)
    UNION ALL SELECT 'k' || oid::text || ':' || xmin::text FROM pg_constraint
    UNION ALL SELECT 't' || oid::text || ':' || xmin::text FROM pg_trigger
    UNION ALL SELECT 'd' || oid::text || ':' || xmin::text FROM pg_attrdef
    UNION ALL SELECT 'r' || oid::text || ':' || xmin::text FROM pg_rewrite
        WHERE ev_class >= 16384
    UNION ALL SELECT 'o' || oid::text || ':' || xmin::text FROM pg_policy
    UNION ALL SELECT 'e' || oid::text || ':' || xmin::text FROM pg_extension
    UNION ALL SELECT 'p' || oid::text || ':' || xmin::text FROM pg_proc
        WHERE pronamespace = 'public'::regnamespace
    UNION ALL SELECT 'y' || oid::text || ':' || xmin::text FROM pg_type
        WHERE typnamespace = 'public'::regnamespace
) entries
"""
OTHERS_CONNECTED = """
SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
"""
# A backend whose client has just disconnected can still be listed for a moment.
DISCONNECT_GRACE_SECONDS = 0.5


class _Loop:
    """An event loop on a thread of its own: the admin connection outlives each test's loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class _Copy:
    """One copy of the template: its name, an admin connection to it, what emptying it runs and
    the fingerprint of its schema."""

    def __init__(self, name: str, connection: asyncpg.Connection, empty: str, fingerprint: str):
        self.name = name
        self.connection = connection
        self.empty = empty
        self.fingerprint = fingerprint

    @classmethod
    async def open(cls, name: str) -> _Copy:
        connection = await asyncpg.connect(services.PG_DSN.rsplit("/", 1)[0] + "/" + name)
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"
        )
        sequences = await connection.fetch(
            "SELECT sequencename, start_value FROM pg_sequences WHERE schemaname = 'public'"
        )
        statements = [f'DELETE FROM public."{row["tablename"]}"' for row in tables]
        statements += [
            f"SELECT setval('public.\"{row['sequencename']}\"', {row['start_value']}, false)"
            for row in sequences
        ]
        empty = (
            "BEGIN; SET LOCAL session_replication_role = replica; "
            "SET LOCAL lock_timeout = '2s'; " + "; ".join(statements) + "; COMMIT"
        )
        return cls(name, connection, empty, await connection.fetchval(FINGERPRINT))

    async def emptied(self) -> bool:
        """Empties the copy if it is still as the template left it; False when it is not."""
        deadline = time.monotonic() + DISCONNECT_GRACE_SECONDS
        while await self.connection.fetchval(OTHERS_CONNECTED):
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.02)
        if await self.connection.fetchval(FINGERPRINT) != self.fingerprint:
            return False
        await self.connection.execute(self.empty)
        return True


class ReusedDatabase:
    """Hands out a copy of `template` per test (`use`), reusing the previous one when it could
    be emptied; `close` drops whatever copy is left."""

    def __init__(self, template: str) -> None:
        self.template = template
        self.loop = _Loop()
        self.copy: _Copy | None = None

    @contextlib.contextmanager
    def use(self) -> Iterator[str]:
        if self.copy is None:
            name = f"plaza_t_{uuid.uuid4().hex[:12]}"
            services.admin(f"CREATE DATABASE {name} TEMPLATE {self.template}")
            self.copy = self.loop.run(_Copy.open(name))
        try:
            yield services.asyncpg_url(self.copy.name)
        finally:
            try:
                reusable = self.loop.run(self.copy.emptied())
            except (asyncpg.PostgresError, OSError):
                reusable = False
            if not reusable:
                self._drop()

    def _drop(self) -> None:
        if self.copy is None:
            return
        with contextlib.suppress(asyncpg.PostgresError, OSError):
            self.loop.run(self.copy.connection.close(timeout=5))
        services.admin(f"DROP DATABASE IF EXISTS {self.copy.name} WITH (FORCE)")
        self.copy = None

    def close(self) -> None:
        self._drop()
        self.loop.close()
