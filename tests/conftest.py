"""Shared fixtures: a migrated database per test (SQLite and PostgreSQL), the app, clients.

Each test gets its own database: a copy of a SQLite file or a PostgreSQL database created from a
template that was migrated once per worker (Synapse's approach), dropped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as redis

from plaza.app import create_app
from plaza.clock import FakeClock
from plaza.config import Settings
from plaza.migrate import upgrade
from plaza.ratelimit import MemoryRateLimiter, RedisRateLimiter
from tests import services

FAST_HASHING = {
    "argon2_time_cost": 1,
    "argon2_memory_kib": 8192,
    "register_per_address": "1000/60",
    # Chat limits far above what unrelated tests send (tests/chat/test_limits.py sets its own).
    "chat_messages_per_person": "100000/10",
    "chat_messages_per_conversation": "100000/10",
    "chat_groups_per_person": "10000/3600",
    "chat_member_adds_per_person": "10000/3600",
    # Moments limits likewise (tests/moments/test_interactions.py sets its own).
    "moments_per_person": "100000/3600",
    "moments_comments_per_person": "100000/3600",
    "moments_likes_per_person": "100000/3600",
    # Screening's spam rate check likewise: every write is screened, and many tests write
    # fast on purpose (tests/moderation/test_screening.py sets the shipped 60).
    "spam_sends_per_window": 0,
}


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("sqlite-template")
    services.off_loop(upgrade, Settings(data_dir=data_dir))
    return data_dir / "plaza.db"


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    services.require_postgres()
    name = f"plaza_tmpl_{_worker()}_{os.getpid()}"
    services.admin(f"DROP DATABASE IF EXISTS {name}")
    services.admin(f"CREATE DATABASE {name}")
    services.off_loop(upgrade, Settings(database_url=services.asyncpg_url(name)))
    yield name
    services.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _sqlite_settings(tmp_path: Path, template: Path) -> Settings:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(template, data_dir / "plaza.db")
    return Settings(data_dir=data_dir, **FAST_HASHING)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def settings(backend: str, tmp_path: Path, request) -> Iterator[Settings]:
    """Settings for a fresh, migrated database of the parametrized backend."""
    if backend == "sqlite":
        yield _sqlite_settings(tmp_path, request.getfixturevalue("sqlite_template"))
        return
    template = request.getfixturevalue("pg_template")
    with services.pg_database("plaza_t", template=template) as url:
        yield Settings(data_dir=tmp_path / "data", database_url=url, **FAST_HASHING)


@pytest.fixture
def sqlite_settings(tmp_path: Path, sqlite_template: Path) -> Settings:
    """For tests whose subject does not depend on the database engine."""
    return _sqlite_settings(tmp_path, sqlite_template)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@contextlib.asynccontextmanager
async def running_app(settings: Settings, clock: FakeClock | None = None):
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def app(settings: Settings, clock: FakeClock):
    async with running_app(settings, clock) as app:
        yield app


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://plaza.test") as client:
        yield client


@pytest.fixture(params=["memory", "redis"])
async def limiter(request):
    """A rate limiter of each kind: in-process, and in Redis (shared by every node)."""
    if request.param == "memory":
        yield MemoryRateLimiter()
        return
    services.require_redis()
    shared = RedisRateLimiter(redis.Redis.from_url(services.REDIS_URL))
    yield shared
    await shared.close()
