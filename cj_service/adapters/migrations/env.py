"""Alembic environment for cj_service (async, asyncpg).

Run programmatically by cj_service.adapters.migrate (no alembic.ini). A Postgres advisory
lock serialises concurrent upgrades, so several replicas may start at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from cj_service.adapters.tables import metadata

MIGRATION_LOCK_KEY = 0x636A5F6D69677261  # "cj_migra": one key for every cj replica


def _target_metadata() -> list:
    found = [metadata]
    # the admin tables live in their own module, with their own MetaData
    with contextlib.suppress(ImportError, AttributeError):
        found.append(importlib.import_module("cj_service.adapters.admin_tables").metadata)
    return found


def _run(connection: Connection) -> None:
    connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
    context.configure(
        connection=connection, target_metadata=_target_metadata(), transaction_per_migration=False
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_run)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url") or ""
    asyncio.run(_run_async(url))


if context.is_offline_mode():
    raise RuntimeError("cj_service migrations run online only")
run_migrations_online()
