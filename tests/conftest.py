"""Shared fixtures: a migrated database per test (SQLite and PostgreSQL), the app, clients.

Each test gets its own database: a copy of a SQLite file, or a PostgreSQL database created from
a template that was migrated once per worker (Synapse's approach) and emptied after the test for
the next one when nothing changed its schema (tests/pg_reuse.py), dropped otherwise.
"""

from __future__ import annotations

import contextlib
import gc
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
from tests.pg_reuse import ReusedDatabase

FAST_HASHING = {
    # Still argon2id, at about 0.05 ms instead of 5 ms a hash: the suite hashes and verifies
    # thousands of times (every app start, sign-up and log-in) and tests what is accepted, not
    # how hard it was to compute (tests/processes.py, test_serve.py and test_cli_user.py too).
    "argon2_time_cost": 1,
    "argon2_memory_kib": 64,
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


def pytest_configure(config: pytest.Config) -> None:
    """Python's garbage collector, at its default thresholds (700, 10, 10), took a sixth of the
    test processes' CPU: every test builds an app of its own, and each full collection walks
    the hundreds of thousands of objects that live through the run. Collecting less often
    frees the same garbage (measured on tests/chat/test_api.py, tests/moments/
    test_interactions.py and tests/public_accounts/test_articles.py: 4.7 s of collections
    become 1.0 s)."""
    gc.set_threshold(50_000, 50, 50)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first, in their order, then the others in theirs: xdist hands tests out in
    this order, so a test of many seconds is never the one that keeps a worker busy after the
    other has run out of tests."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


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


@pytest.fixture(scope="session")
def pg_reused(pg_template: str) -> Iterator[ReusedDatabase]:
    """This worker's copy of the template, emptied between the tests that use it."""
    reused = ReusedDatabase(pg_template)
    yield reused
    reused.close()


def _sqlite_settings(tmp_path: Path, template: Path) -> Settings:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(template, data_dir / "plaza.db")
    return Settings(data_dir=data_dir, **FAST_HASHING)


BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@contextlib.contextmanager
def settings_for(backend: str, root: Path, request) -> Iterator[Settings]:
    """Settings for a fresh, migrated database of `backend`, with the data dir under `root`."""
    if backend == "sqlite":
        yield _sqlite_settings(root, request.getfixturevalue("sqlite_template"))
        return
    with request.getfixturevalue("pg_reused").use() as url:
        yield Settings(data_dir=root / "data", database_url=url, **FAST_HASHING)


@pytest.fixture
def settings(backend: str, tmp_path: Path, request) -> Iterator[Settings]:
    """Settings for a fresh, migrated database of the parametrized backend."""
    with settings_for(backend, tmp_path, request) as settings:
        yield settings


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
