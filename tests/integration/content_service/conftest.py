"""The real content service, in-process on port 0, against a real PostgreSQL database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import grpc
import pytest

from content_service.bootstrap import App, start
from content_service.config import Config
from contracts.huleedu.content.v1 import content_service_pb2_grpc as pb_grpc
from deploy.local.pg_infra import to_asyncpg

ConfigFactory = Callable[..., Config]


@pytest.fixture
def content_config(database_url: str) -> ConfigFactory:
    """``content_config(**overrides)``: a Config on the session database, ports 0, fast probe."""

    def make(**overrides: Any) -> Config:
        settings: dict[str, Any] = {
            "database_url": database_url, "grpc_port": 0, "metrics_port": 0,
            "probe_interval_s": 0.1, "probe_timeout_s": 2.0, "startup_timeout_s": 10.0,
            "shutdown_grace_s": 1.0,
        }
        settings.update(overrides)
        return Config(**settings)

    return make


@pytest.fixture
async def start_content() -> AsyncIterator[Callable[[Config], Any]]:
    """``app = await start_content(config)``; every app still running is stopped afterwards."""
    apps: list[App] = []

    async def launch(config: Config) -> App:
        apps.append(await start(config))
        return apps[-1]

    yield launch
    for app in apps:
        await app.stop(grace=0)


@pytest.fixture
async def content_app(content_config: ConfigFactory, start_content: Any) -> App:
    return await start_content(content_config())


@pytest.fixture
async def content_stub(content_app: App) -> AsyncIterator[pb_grpc.ContentServiceStub]:
    async with grpc.aio.insecure_channel(content_app.address) as channel:
        yield pb_grpc.ContentServiceStub(channel)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection to the service's database, to check what was really stored."""
    conn = await asyncpg.connect(to_asyncpg(database_url))
    yield conn
    await conn.close()
