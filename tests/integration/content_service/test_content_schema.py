"""The schema: migrations on start (several replicas at once) and its own integrity checks."""

from __future__ import annotations

import asyncio
import hashlib

import asyncpg
import pytest

from deploy.local.pg_infra import to_asyncpg

pytestmark = pytest.mark.integration


async def test_two_instances_starting_together_on_an_empty_database_both_come_up(
    content_config, start_content, fresh_database
):
    config = content_config(database_url=fresh_database())

    apps = await asyncio.gather(start_content(config), start_content(config))

    assert all(app.probe.healthy for app in apps)


async def test_the_database_refuses_a_row_whose_id_is_not_the_sha256_of_its_bytes(
    content_app, database_url
):
    conn = await asyncpg.connect(to_asyncpg(database_url))
    try:
        wrong_id = hashlib.sha256(b"other bytes").hexdigest()
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(
                "INSERT INTO content_items (content_id, content, size_bytes, content_type) "
                "VALUES ($1, $2, 5, 'text/plain')", wrong_id, b"bytes",
            )
    finally:
        await conn.close()
