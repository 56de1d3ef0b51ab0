"""The PostgreSQL database that tests share one after another (tests/pg_reuse.py) reaches each
test as a fresh copy of the template would: no rows, ids from the start; and a test that changed
its schema, or left a connection open, makes the next test get a new copy."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
import pytest

from tests import services
from tests.pg_reuse import ReusedDatabase


@pytest.fixture
def reused(pg_template: str) -> Iterator[ReusedDatabase]:
    database = ReusedDatabase(pg_template)
    yield database
    database.close()


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def sql(url: str, statement: str):
    async def run():
        connection = await asyncpg.connect(_dsn(url))
        try:
            return await connection.fetch(statement)
        finally:
            await connection.close()

    return services.off_loop(asyncio.run, run())


def add_user(url: str, username: str) -> int:
    rows = sql(
        url,
        "INSERT INTO users (username, display_name, password_hash, role, status, created_at) "
        f"VALUES ('{username}', '{username}', 'x', 'member', 'active', now()) RETURNING id",
    )
    return rows[0]["id"]


def test_rows_are_gone_and_ids_start_again(reused: ReusedDatabase) -> None:
    with reused.use() as url:
        first = add_user(url, "ann")
        add_user(url, "bob")
        migrated = sql(url, "SELECT version_num FROM alembic_version")
    with reused.use() as again:
        assert again == url  # the same database, emptied
        assert sql(again, "SELECT username FROM users") == []
        assert add_user(again, "cy") == first
        assert sql(again, "SELECT version_num FROM alembic_version") == migrated


def test_a_changed_schema_gets_a_new_copy(reused: ReusedDatabase) -> None:
    with reused.use() as url:
        sql(url, "ALTER TABLE users ADD CONSTRAINT no_bob CHECK (username <> 'bob')")
    with reused.use() as fresh:
        assert fresh != url
        add_user(fresh, "bob")
    gone = sql(
        services.PG_DSN, f"SELECT 1 FROM pg_database WHERE datname = '{url.rsplit('/', 1)[1]}'"
    )
    assert gone == []


def test_a_connection_left_open_gets_a_new_copy(reused: ReusedDatabase) -> None:
    loop = asyncio.new_event_loop()
    try:
        with reused.use() as url:
            left_open = loop.run_until_complete(asyncpg.connect(_dsn(url)))
        with reused.use() as fresh:
            assert fresh != url
        assert left_open.is_closed() or loop.run_until_complete(_is_cut_off(left_open))
    finally:
        loop.close()


async def _is_cut_off(connection: asyncpg.Connection) -> bool:
    try:
        await connection.fetchval("SELECT 1")
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
        return True
    return False
