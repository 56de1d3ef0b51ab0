"""The migrations and the models describe one schema, on SQLite and PostgreSQL, and the
newest migration can be undone and redone (an operator rolling back a release)."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

import plaza.accounts.models
import plaza.chat.models
import plaza.media.models
import plaza.moderation.models
import plaza.moments.models
import plaza.public_accounts.models  # noqa: F401  (registers every table on the metadata)
from plaza.config import Settings
from plaza.db import Base, create_engine
from plaza.migrate import alembic_config


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return compare_metadata(context, Base.metadata)


async def _schema_differences(settings: Settings) -> list[Any]:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_differences)
    finally:
        await engine.dispose()


def test_migrated_schema_matches_the_models(settings: Settings) -> None:
    assert asyncio.run(_schema_differences(settings)) == []


def test_newest_migration_downgrades_and_upgrades_again(settings: Settings) -> None:
    config = alembic_config(settings.resolved_database_url())
    command.downgrade(config, "-1")
    command.upgrade(config, "head")
    assert asyncio.run(_schema_differences(settings)) == []
