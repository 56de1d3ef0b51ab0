"""Applying Alembic migrations from code (used by `plaza migrate`, `plaza serve` and tests).

Alembic's env.py runs its own event loop, so `upgrade` is a plain function: call it from a
worker thread when an event loop is already running.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from plaza.config import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings.resolved_database_url()), revision)
