"""Database engine, sessions and the declarative base.

SQLite (the default) gets WAL mode and a single pooled connection: SQLite admits one writer at
a time anyway, and funnelling every transaction through one connection means a write never
fails with "database is locked" under concurrent requests. Its statements run inline on the
event loop (see sqlite_inline). PostgreSQL gets a normal pool.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from plaza.config import Settings
from plaza.sqlite_inline import inline_sqlite_connect

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """A timestamp that is always timezone-aware UTC in Python, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        if value is not None and dialect.name == "sqlite":
            return value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def create_engine(settings: Settings) -> AsyncEngine:
    """An engine for the configured database, with SQLite tuned for durability and one writer."""
    url = settings.resolved_database_url()
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path = str(settings.sqlite_path())
        engine = create_async_engine(
            url,
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
            async_creator=lambda: inline_sqlite_connect(path),
        )
        synchronous = settings.sqlite_synchronous.upper()
        if synchronous not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise ValueError(f"PLAZA_SQLITE_SYNCHRONOUS must be NORMAL or FULL, not {synchronous}")
        wal_size_limit = int(settings.sqlite_wal_size_limit_bytes)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            # Checkpoints run off the loop instead (plaza.sqlite_checkpoint).
            cursor.execute("PRAGMA wal_autocheckpoint=0")
            # Each time the WAL starts over, cut the file back to this size.
            cursor.execute(f"PRAGMA journal_size_limit={wal_size_limit}")
            # Deleted and overwritten content (a recalled message's text) is zeroed instead of
            # lingering in plaza.db's free space. ON rather than FAST: FAST leaves the freed
            # overflow pages of a long message as they were. Costs nothing measurable on short
            # rows; a recall that frees overflow pages writes them once more, zeroed.
            cursor.execute("PRAGMA secure_delete=ON")
            # Short: a lock held by another process (a CLI command) would stall the loop.
            cursor.execute("PRAGMA busy_timeout=2000")
            cursor.close()

        return engine
    # A restarted server leaves dead connections in the pool: pre-ping replaces them. While it
    # is down, connecting fails fast (refused) or within db_connect_timeout (unreachable), and
    # the request is answered 503 (plaza.errors.database_unavailable).
    return create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
        pool_timeout=settings.db_pool_timeout,
        connect_args={"timeout": settings.db_connect_timeout},
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
