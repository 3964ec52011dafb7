"""Fixtures for the CJAdminService tests: the real content service and the real admin server
(auth interceptor, repository, migrations) on port 0, against real PostgreSQL databases.

Import the fixtures into a test module with ``from ...admin_fixtures import *  # noqa``.
Tests isolate themselves with unique assignment ids on the session databases; a test that
counts everything asks for ``fresh_admin_mesh`` instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
import pytest

from cj_service.adapters import migrate
from cj_service.adapters.admin_content import ContentClient
from cj_service.adapters.admin_repository import PostgresAdminRepository
from cj_service.auth import AuthConfig, make_token
from cj_service.entrypoints.admin_servicer import SERVICE_NAME, AdminSettings, CJAdminServicer
from cj_service.entrypoints.auth import AdminAuthInterceptor
from content_service import bootstrap as content_bootstrap
from content_service.config import Config as ContentConfig
from contracts import channels
from contracts.huleedu.cj.v1 import cj_service_pb2_grpc
from contracts.serving import LoggingInterceptor, add_standard_services
from deploy.local import pg_infra
from deploy.local.procs import run_sync
from tests.fixtures import unique_name

# Only fixtures are exported, for ``import *`` in test modules.
__all__ = ["admin_cj_db", "admin_content_db", "admin_mesh", "bootstrapped_cj", "fresh_admin_mesh",
           "start_admin_mesh"]

TEST_AUTH = AuthConfig(algorithm="HS256", key="admin-tests-secret-at-least-32-bytes!!",
                       issuer="huleedu-tests", audience="huleedu-cj-admin-tests")
ANCHOR_MIN_CHARS = 40
MESSAGE_SIZES = [("grpc.max_receive_message_length", channels.MAX_MESSAGE_BYTES),
                 ("grpc.max_send_message_length", channels.MAX_MESSAGE_BYTES)]
ESSAY = ("The essay argues its case with care, weighing evidence on both sides before it "
         "reaches a conclusion the reader can check. ")


def essay_text(n_sentences: int = 3) -> str:
    return ESSAY * n_sentences


def _database(admin_url: str) -> Iterator[str]:
    name = unique_name("admin")
    url = run_sync(lambda: pg_infra.create_database(admin_url, name))
    yield url
    run_sync(lambda: pg_infra.drop_database(admin_url, name))


@pytest.fixture(scope="session")
def admin_content_db(postgres_admin_url: str) -> Iterator[str]:
    yield from _database(postgres_admin_url)


@pytest.fixture(scope="session")
def admin_cj_db(postgres_admin_url: str) -> Iterator[str]:
    for url in _database(postgres_admin_url):
        migrate.upgrade_sync(url)
        yield url


@dataclass
class AdminMesh:
    address: str
    content_address: str
    repo: PostgresAdminRepository
    content: ContentClient
    channel: grpc.aio.Channel

    @property
    def stub(self) -> cj_service_pb2_grpc.CJAdminServiceStub:
        return cj_service_pb2_grpc.CJAdminServiceStub(self.channel)

    def token(self, *, roles: Sequence[str] = ("admin",), **overrides: Any) -> str:
        claims: dict[str, Any] = {
            "signing_key": TEST_AUTH.key, "algorithm": TEST_AUTH.algorithm,
            "issuer": TEST_AUTH.issuer, "audience": TEST_AUTH.audience,
            "subject": "test-admin", "roles": roles, "ttl_seconds": 300}
        claims.update(overrides)
        return make_token(**claims)

    def auth(self, token: str | None = None) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {token or self.token()}"),)

    async def call(self, method: str, request: Any, *, token: str | None = None) -> Any:
        return await getattr(self.stub, method)(request, metadata=self.auth(token), timeout=10)


async def _serve_admin(repo: PostgresAdminRepository, content: ContentClient,
                       auth: AuthConfig) -> tuple[grpc.aio.Server, int]:
    server = grpc.aio.server(interceptors=[LoggingInterceptor("cj_service"),
                                           AdminAuthInterceptor(auth)],
                             options=MESSAGE_SIZES)  # as cj_service's bootstrap serves
    servicer = CJAdminServicer(repo, content,
                               settings=AdminSettings(anchor_min_chars=ANCHOR_MIN_CHARS))
    cj_service_pb2_grpc.add_CJAdminServiceServicer_to_server(servicer, server)
    await add_standard_services(server, [SERVICE_NAME])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, port


@pytest.fixture
async def start_admin_mesh(admin_content_db: str) -> AsyncIterator[Callable[..., Any]]:
    """``mesh = await start_admin_mesh(cj_db_url, auth=TEST_AUTH)``, stopped afterwards."""
    from sqlalchemy.ext.asyncio import create_async_engine

    cleanups: list[Callable[[], Any]] = []

    async def start(cj_db: str, *, auth: AuthConfig = TEST_AUTH) -> AdminMesh:
        content_app = await content_bootstrap.start(ContentConfig(
            database_url=admin_content_db, grpc_port=0, metrics_port=0,
            shutdown_grace_s=0.5))
        cleanups.append(lambda: content_app.stop(grace=0))
        content_channel = channels.insecure_channel(content_app.address,
                                                    [channels.CONTENT_SERVICE])
        cleanups.append(content_channel.close)
        engine = create_async_engine(cj_db, pool_size=4)
        cleanups.append(engine.dispose)
        content = ContentClient(content_channel)
        repo = PostgresAdminRepository(engine)
        server, port = await _serve_admin(repo, content, auth)
        cleanups.append(lambda: server.stop(grace=None))
        address = f"127.0.0.1:{port}"
        channel = grpc.aio.insecure_channel(address, options=MESSAGE_SIZES)
        cleanups.append(channel.close)
        return AdminMesh(address, content_app.address, repo, content, channel)

    yield start
    for cleanup in reversed(cleanups):
        await cleanup()


@pytest.fixture
async def admin_mesh(start_admin_mesh: Any, admin_cj_db: str) -> AdminMesh:
    return await start_admin_mesh(admin_cj_db)


@pytest.fixture
async def fresh_admin_mesh(fresh_database: Callable[[], str], start_admin_mesh: Any) -> AdminMesh:
    # fresh_database comes first so the database is dropped after the mesh let go of it.
    url = fresh_database()
    await migrate.upgrade(url)
    return await start_admin_mesh(url)


@dataclass
class BootstrappedCJ:
    """The real cj_service (bootstrap.start) plus the env its admin tokens are minted from."""

    address: str
    env: dict[str, str]


@pytest.fixture
async def bootstrapped_cj(admin_content_db: str, fresh_database: Callable[[], str],
                          nats_url: str) -> AsyncIterator[BootstrappedCJ]:
    """The whole cj_service as `python -m cj_service` assembles it, on port 0."""
    from cj_service import bootstrap
    from cj_service.config import Config
    from contracts.streams import Namespace

    env = {"CJ_JWT_SECRET": TEST_AUTH.key, "CJ_JWT_ISSUER": TEST_AUTH.issuer,
           "CJ_JWT_AUDIENCE": TEST_AUTH.audience, "CJ_ANCHOR_MIN_CHARS": str(ANCHOR_MIN_CHARS)}
    content_app = await content_bootstrap.start(ContentConfig(
        database_url=admin_content_db, grpc_port=0, metrics_port=0, shutdown_grace_s=0.5))
    namespace = Namespace(unique_name("admin"))
    app = await bootstrap.start(Config(
        database_url=fresh_database(), nats_url=nats_url, nats_namespace=namespace.prefix,
        grpc_port=0, metrics_port=0, content_addr=content_app.address,
        llm_provider_addr="127.0.0.1:9", instance_id=unique_name("cj"), env=env))
    try:
        yield BootstrappedCJ(app.address, env)
    finally:
        await app.stop(grace=0)
        await content_app.stop(grace=0)
        await _delete_streams(nats_url, namespace)


async def _delete_streams(nats_url: str, namespace: Any) -> None:
    import contextlib

    import nats

    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for stream in await js.streams_info():
            if stream.config.name.startswith(namespace.name("")):
                with contextlib.suppress(Exception):
                    await js.delete_stream(stream.config.name)
    finally:
        await nc.close()
