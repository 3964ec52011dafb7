"""The composition root: config -> engines -> repository -> gRPC server, probe and /metrics.

Used by ``__main__`` and by the tests, which start the real service in-process on port 0.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import grpc
import structlog
from grpc_health.v1 import health
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from content_service import SERVICE_NAME
from content_service.adapters import migrate
from content_service.adapters.db_errors import is_unavailable
from content_service.adapters.postgres_repository import PostgresContentRepository
from content_service.config import Config
from content_service.entrypoints.grpc_servicer import ContentServicer
from content_service.entrypoints.health_probe import DatabaseProbe
from content_service.metrics import Metrics, MetricsServer, serve_metrics
from contracts.huleedu.content.v1 import content_service_pb2
from contracts.huleedu.content.v1 import content_service_pb2_grpc as pb_grpc
from contracts.serving import LoggingInterceptor, add_standard_services, set_health
from contracts.startup import retry_until
from contracts.tls import add_port

_log = structlog.get_logger("content_service")
_MESSAGE_SLACK = 64 * 1024  # protobuf framing around the largest allowed upload
# The *_pb2_grpc module imports only the message module, so the service's descriptor reaches
# the default pool (where reflection looks it up) only through this module.
_SERVICE_DESCRIPTOR = content_service_pb2.DESCRIPTOR.services_by_name["ContentService"]


@dataclass
class App:
    """A running instance; ``stop`` is the graceful shutdown sequence."""

    config: Config
    server: grpc.aio.Server
    health: health.aio.HealthServicer
    metrics: Metrics
    metrics_server: MetricsServer
    engine: AsyncEngine
    probe_engine: AsyncEngine
    probe: DatabaseProbe
    probe_task: asyncio.Task[None]
    grpc_port: int
    stopped: bool = False

    @property
    def metrics_port(self) -> int:
        return self.metrics_server.port

    @property
    def address(self) -> str:
        return f"{self.config.grpc_host}:{self.grpc_port}"

    async def drain(self) -> None:
        """Report NOT_SERVING for good (the probe can no longer flip it back)."""
        await self.health.enter_graceful_shutdown()
        self.probe.stop()
        self.probe_task.cancel()
        # Bounded: shutdown must finish even if the probe is stuck in a driver call.
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            async with asyncio.timeout(self.config.probe_timeout_s * 2):
                await self.probe_task

    async def stop(self, grace: float | None = None) -> None:
        if self.stopped:
            return
        self.stopped = True
        await self.drain()
        await self.server.stop(self.config.shutdown_grace_s if grace is None else grace)
        self.metrics_server.stop()
        await self.engine.dispose()
        await self.probe_engine.dispose()


def make_engine(config: Config, *, pool_size: int, overflow: int) -> AsyncEngine:
    connect_args = {
        "timeout": config.probe_timeout_s * 2,
        "command_timeout": config.statement_timeout_s,
        "server_settings": {"application_name": config.instance_id},
    }
    return create_async_engine(
        config.database_url, pool_size=pool_size, max_overflow=overflow, pool_timeout=10,
        connect_args=connect_args,
    )


async def migrate_when_reachable(engine: AsyncEngine, *, timeout_s: float) -> None:
    """Run migrations, waiting up to ``timeout_s`` for a database that is still starting."""
    await retry_until(lambda: migrate.upgrade(engine), waiting_for="database",
                      retryable=is_unavailable, timeout_s=timeout_s)


async def start(config: Config) -> App:
    engine = make_engine(config, pool_size=config.pool_size, overflow=config.pool_overflow)
    # The probe has a connection of its own so that a busy pool never reads as "database down".
    probe_engine = make_engine(config, pool_size=1, overflow=0)
    try:
        await migrate_when_reachable(engine, timeout_s=config.startup_timeout_s)
        return await _serve(config, engine, probe_engine)
    except BaseException:
        await engine.dispose()
        await probe_engine.dispose()
        raise


async def _serve(config: Config, engine: AsyncEngine, probe_engine: AsyncEngine) -> App:
    metrics = Metrics()
    server = _grpc_server(config)
    servicer = ContentServicer(
        PostgresContentRepository(engine), limits=config.limits, metrics=metrics
    )
    pb_grpc.add_ContentServiceServicer_to_server(servicer, server)
    health_servicer = await add_standard_services(server, [SERVICE_NAME])
    port = add_port(server, f"{config.grpc_host}:{config.grpc_port}", config.tls)
    probe = _probe(config, probe_engine, health_servicer, metrics)
    await probe.check_once()
    metrics_server = serve_metrics(metrics, host=config.metrics_host, port=config.metrics_port)
    try:
        await server.start()
    except BaseException:
        metrics_server.stop()
        raise
    task = asyncio.create_task(probe.run_forever(), name="content-db-probe")
    _log.info("content service started", grpc_port=port, metrics_port=metrics_server.port)
    return App(config, server, health_servicer, metrics, metrics_server, engine, probe_engine,
               probe, task, port)


def _grpc_server(config: Config) -> grpc.aio.Server:
    # Uploads up to the limit (plus framing) must reach the handler so that it can answer
    # CONTENT_TOO_LARGE; anything bigger than twice the limit is cut off by gRPC itself.
    receive = max(4 * 1024 * 1024, 2 * config.limits.max_content_bytes + _MESSAGE_SLACK)
    send = config.limits.max_batch_bytes + _MESSAGE_SLACK * 16
    options = [
        ("grpc.max_receive_message_length", receive),
        ("grpc.max_send_message_length", send),
    ]
    return grpc.aio.server(interceptors=[LoggingInterceptor("content_service")], options=options)


def _probe(
    config: Config, engine: AsyncEngine, servicer: health.aio.HealthServicer, metrics: Metrics
) -> DatabaseProbe:
    async def on_change(healthy: bool) -> None:
        metrics.database_up.set(1 if healthy else 0)
        await set_health(servicer, [SERVICE_NAME], serving=healthy)

    return DatabaseProbe(
        PostgresContentRepository(engine).ping, on_change=on_change,
        interval_s=config.probe_interval_s, timeout_s=config.probe_timeout_s,
    )
