"""Where the test suite finds PostgreSQL and Redis, and what it does when they are missing.

`make test` starts them first (scripts/ensure-services.sh). Locally a missing service skips
the tests that need it, loudly; under CI=true it fails them, so CI never passes by skipping.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

PG_DSN = os.environ.get("PLAZA_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("PLAZA_TEST_REDIS", "redis://127.0.0.1:6379/0")


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require(service: str, host: str, port: int) -> None:
    if _listening(host, port):
        return
    message = f"{service} is not listening on {host}:{port}; run `make test` to start it"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def require_postgres() -> None:
    require("PostgreSQL", "127.0.0.1", 5432)


def require_redis() -> None:
    require("Redis", "127.0.0.1", 6379)


def require_redis_server() -> None:
    """The redis-server program, for tests that start a private one (and restart it)."""
    if shutil.which("redis-server") is not None:
        return
    message = "redis-server is not installed; run `make test` to install it"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def asyncpg_url(database: str) -> str:
    base = PG_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{database}"


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.contextmanager
def pg_database(prefix: str, *, template: str | None = None) -> Iterator[str]:
    """A fresh PostgreSQL database (a copy of `template`, or empty for a server to migrate),
    dropped afterwards; yields its asyncpg URL."""
    require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    try:
        yield asyncpg_url(name)
    finally:
        admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def off_loop(fn, *args):
    """Run a function that starts its own event loop (Alembic, asyncio.run) from anywhere,
    including fixtures that pytest-asyncio sets up while the test's loop is running."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


def admin(sql: str) -> None:
    """Run one statement (CREATE/DROP DATABASE) on the maintenance database."""
    off_loop(asyncio.run, _admin(sql))
