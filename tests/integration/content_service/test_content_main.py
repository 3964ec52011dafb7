"""``python -m content_service`` as an operator runs it: migrate, serve, grpcurl, SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import asyncpg
import pytest

from deploy.local.pg_infra import to_asyncpg
from deploy.local.procs import free_port
from tests.fixtures import wait_until
from tests.integration.content_service.content_helpers import grpcurl_path

pytestmark = pytest.mark.integration


async def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode or 0, out.decode()


def _env(database_url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING", **extra}


async def test_migrate_creates_the_schema_and_nothing_else(fresh_database):
    url = fresh_database()

    code, output = await _run(sys.executable, "-m", "content_service", "migrate", env=_env(url))

    assert code == 0, output
    conn = await asyncpg.connect(to_asyncpg(url))
    try:
        tables = {r[0] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        )}
    finally:
        await conn.close()
    assert tables == {"content_items", "put_requests", "content_alembic_version"}


async def test_a_missing_database_url_is_reported_not_raised():
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CONTENT_DATABASE_URL"}}

    code, output = await _run(sys.executable, "-m", "content_service", env=env)

    assert code == 2
    assert "DATABASE_URL" in output and "Traceback" not in output


async def test_grpcurl_lists_and_describes_the_running_service(database_url):
    port = free_port()
    env = _env(database_url, CONTENT_GRPC_PORT=str(port), CONTENT_METRICS_PORT=str(free_port()))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "content_service", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        address = f"127.0.0.1:{port}"
        listed = await wait_until(lambda: _grpcurl_ok("-plaintext", address, "list"), timeout=30)
        _, described = await _run(grpcurl_path(), "-plaintext", address, "describe",
                                  "huleedu.content.v1.ContentService")
        _, health = await _run(grpcurl_path(), "-plaintext", address, "grpc.health.v1.Health/Check")
    finally:
        proc.send_signal(signal.SIGTERM)
        exit_code = await asyncio.wait_for(proc.wait(), timeout=30)

    assert set(listed.split()) >= {
        "huleedu.content.v1.ContentService", "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    }
    assert "rpc BatchGetContent" in described
    assert '"SERVING"' in health
    assert exit_code == 0


async def _grpcurl_ok(*args: str) -> str:
    code, output = await _run(grpcurl_path(), *args)
    return output if code == 0 else ""
