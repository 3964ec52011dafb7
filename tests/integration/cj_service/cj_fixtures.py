"""A real cj_service (bootstrap.start) on port 0 with its own database and NATS namespace.

llm_provider is played by `RecordingProvider`, a real gRPC LLMProviderService on loopback
that accepts requests and remembers them; the tests then publish the ComparisonResults the
real llm_provider would publish (same subject, schema and headers), which lets them choose
the order, duplicates and lateness exactly. The content service is the real one.
Import into a test module with ``from tests.integration.cj_service.cj_fixtures import *``;
the builders (verdict, text_essay, ...) live in cj_harness.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import asyncpg
import grpc
import nats
import pytest

from cj_service import bootstrap
from cj_service.adapters import migrate
from cj_service.config import BatchDefaults, Config, PipelineSettings
from content_service import bootstrap as content_bootstrap
from content_service.config import Config as ContentConfig
from contracts import channels
from contracts.huleedu.content.v1 import content_service_pb2_grpc
from contracts.huleedu.llm.v1 import llm_service_pb2_grpc
from contracts.streams import Namespace
from deploy.local import pg_infra
from deploy.local.procs import run_sync
from tests.fixtures import unique_name
from tests.integration.cj_service.cj_harness import (
    CJ,
    DEFAULT_JUDGE,
    UNREACHABLE,
    RecordingProvider,
)

__all__ = [
    "cj",
    "cj_content",
    "cj_database",
    "cj_template_db",
    "content_db",
    "start_cj",
]


async def _delete_streams(js: Any, ns: Namespace) -> None:
    for name in ("HULEEDU_LLM_RESULTS", "HULEEDU_CJ_EVENTS"):
        with contextlib.suppress(Exception):  # already gone: nothing to clean
            await js.delete_stream(ns.name(name))


@pytest.fixture(scope="session")
def cj_template_db(postgres_admin_url: str) -> Iterator[str]:
    """A migrated database that each test's database is copied from (CREATE ... TEMPLATE),
    which is several times faster than migrating a fresh one per test."""
    name = unique_name("cjtmpl")
    url = run_sync(lambda: pg_infra.create_database(postgres_admin_url, name))
    migrate.upgrade_sync(url)
    yield name
    run_sync(lambda: pg_infra.drop_database(postgres_admin_url, name))


@pytest.fixture
def cj_database(postgres_admin_url: str, cj_template_db: str) -> Iterator[Callable[[], str]]:
    """Factory for a migrated database private to one test (dropped afterwards)."""
    names: list[str] = []

    def create() -> str:
        names.append(unique_name("cj"))
        run_sync(
            lambda: _admin(
                postgres_admin_url, f'CREATE DATABASE "{names[-1]}" TEMPLATE "{cj_template_db}"'
            )
        )
        return pg_infra.to_sqlalchemy(pg_infra.with_database(postgres_admin_url, names[-1]))

    yield create
    for name in names:
        run_sync(lambda name=name: pg_infra.drop_database(postgres_admin_url, name))


async def _admin(admin_url: str, sql: str) -> None:
    conn = await asyncpg.connect(pg_infra.to_asyncpg(pg_infra.with_database(admin_url, "postgres")))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def content_db(database_url: str) -> str:
    """The content service's tables live in the session database (content ids dedupe)."""
    return database_url


@pytest.fixture
async def start_cj(
    content_db: str,
    cj_database: Callable[[], str],
    nats_url: str,
    grpc_server: Callable[..., Any],
) -> AsyncIterator[Callable[..., Any]]:
    """``cj = await start_cj(defaults=..., pipeline=..., content=True)``: a fresh service.

    The real content service is started only for tests that need it (``content=True``).
    """
    cleanups: list[Callable[[], Any]] = []

    async def start_content() -> str:
        app = await content_bootstrap.start(
            ContentConfig(
                database_url=content_db, grpc_port=0, metrics_port=0, shutdown_grace_s=0.2
            )
        )
        cleanups.append(lambda: app.stop(grace=0))
        return app.address

    async def start(
        *,
        defaults: BatchDefaults | None = None,
        pipeline: PipelineSettings | None = None,
        env: dict | None = None,
        replica_of: CJ | None = None,
        content: bool = False,
        default_judge: str | None = None,
    ) -> CJ:
        """A new service; `replica_of` shares that one's database, namespace and provider."""
        provider = replica_of.provider if replica_of else RecordingProvider()
        llm_addr = (
            replica_of.app.config.llm_provider_addr
            if replica_of
            else await grpc_server(
                (llm_service_pb2_grpc.add_LLMProviderServiceServicer_to_server, provider)
            )
        )
        ns = replica_of.ns if replica_of else Namespace(unique_name("cj"))
        database = replica_of.app.config.database_url if replica_of else cj_database()
        content_addr = await start_content() if content else UNREACHABLE
        config = Config(
            database_url=database,
            nats_url=nats_url,
            nats_namespace=ns.prefix,
            grpc_port=0,
            metrics_port=0,
            content_addr=content_addr,
            llm_provider_addr=llm_addr,
            instance_id=unique_name("cj"),
            default_judge=DEFAULT_JUDGE if default_judge is None else default_judge,
            defaults=defaults or BatchDefaults(),
            pipeline=pipeline or PipelineSettings(),
            env=env or {},
        )
        app = await bootstrap.start(config)
        cleanups.append(lambda: app.stop(grace=0))
        nc = await nats.connect(nats_url)
        cleanups.append(nc.close)
        if replica_of is None:
            cleanups.append(lambda: _delete_streams(nc.jetstream(), ns))
        channel = grpc.aio.insecure_channel(app.address)
        cleanups.append(channel.close)
        content_ch = channels.insecure_channel(content_addr, [channels.CONTENT_SERVICE])
        cleanups.append(content_ch.close)
        return CJ(
            app,
            provider,
            ns,
            nc,
            nc.jetstream(),
            content_service_pb2_grpc.ContentServiceStub(content_ch),
            channel,
        )

    yield start
    for cleanup in reversed(cleanups):
        await cleanup()


@pytest.fixture
async def cj(start_cj: Callable[..., Any]) -> CJ:
    return await start_cj()


@pytest.fixture
async def cj_content(start_cj: Callable[..., Any]) -> CJ:
    """A cj service wired to a real content service."""
    return await start_cj(content=True)
