"""The migrations and the models describe one schema, on SQLite and PostgreSQL, and every
migration can be undone and redone (an operator rolling back a release, which may span several
migrations)."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

import plaza.accounts.models
import plaza.chat.models
import plaza.exports.models
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


def test_every_migration_downgrades_and_upgrades_again(settings: Settings) -> None:
    """Each migration, newest first, is undone and redone before the walk goes on down: redoing
    it on what its downgrade left fails if the downgrade left any of its columns, indexes or
    tables behind (a walk straight down to base would hide those with the tables it drops)."""
    config = alembic_config(settings.resolved_database_url())
    steps = len(list(ScriptDirectory.from_config(config).walk_revisions()))
    for _ in range(steps):
        command.downgrade(config, "-1")
        command.upgrade(config, "+1")
        command.downgrade(config, "-1")
    command.upgrade(config, "head")
    assert asyncio.run(_schema_differences(settings)) == []
