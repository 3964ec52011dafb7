"""Run cj_service's Alembic migrations programmatically (no alembic.ini)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig

SCRIPT_LOCATION = str(Path(__file__).with_name("migrations"))


def alembic_config(database_url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    # ConfigParser interpolates '%', which URL-encoded passwords contain.
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade_sync(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


async def upgrade(database_url: str, revision: str = "head") -> None:
    """env.py runs its own event loop, so the upgrade runs in a worker thread."""
    await asyncio.to_thread(upgrade_sync, database_url, revision)
