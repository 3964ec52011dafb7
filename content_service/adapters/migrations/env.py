"""Alembic environment: async engine, or a connection handed in by ``migrate.upgrade``.

The service migrates on start inside its own event loop, so it passes a (sync-facing)
connection via ``config.attributes["connection"]``; the ``alembic`` CLI gets the async path.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

VERSION_TABLE = "content_alembic_version"


def _run(connection: Connection) -> None:
    context.configure(connection=connection, version_table=VERSION_TABLE)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_run)
    finally:
        await engine.dispose()


def _main() -> None:
    if context.is_offline_mode():
        context.configure(
            url=context.config.get_main_option("sqlalchemy.url"),
            version_table=VERSION_TABLE, literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    shared = context.config.attributes.get("connection")
    if shared is not None:
        _run(shared)
    else:
        url = context.config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("set sqlalchemy.url (python -m content_service migrate does)")
        asyncio.run(_run_async(url))


_main()
