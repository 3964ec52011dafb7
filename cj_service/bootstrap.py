"""The composition root: config -> engine, NATS, clients -> background loops -> gRPC server.

Used by __main__ and by the tests (which start the real service in-process on port 0).
Shutdown order: health NOT_SERVING -> server.stop(grace) -> stop loops -> drain NATS ->
dispose the engine.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
from dataclasses import dataclass, field
from typing import Any

import grpc
import nats
import structlog
from grpc_health.v1 import health
from nats.aio.client import Client as NATS

from cj_service.adapters import migrate
from cj_service.adapters.admin_content import ContentClient
from cj_service.adapters.admin_repository import PostgresAdminRepository
from cj_service.adapters.db import Database, create_engine
from cj_service.adapters.db_errors import is_unavailable
from cj_service.adapters.llm_client import LLMClient
from cj_service.adapters.store import SqlStore
from cj_service.auth import AuthConfig
from cj_service.config import Config
from cj_service.entrypoints import admin_servicer, background
from cj_service.entrypoints.auth import AdminAuthInterceptor
from cj_service.entrypoints.outbox_relay import OutboxRelay
from cj_service.entrypoints.results_consumer import ResultsConsumer
from cj_service.entrypoints.servicer import SERVICE_NAME, CJAssessmentServicer
from cj_service.entrypoints.wiring import Workflow
from cj_service.metrics import Metrics
from cj_service.service.workflow import dispatch, provider_cancel
from cj_service.service.workflow.dispatch import Dispatcher
from cj_service.service.workflow.provider_cancel import GroupCanceller
from contracts import channels, startup, streams
from contracts.huleedu.cj.v1 import cj_service_pb2, cj_service_pb2_grpc
from contracts.serving import LoggingInterceptor, add_standard_services, set_health
from contracts.tls import TlsConfig, add_port, nats_ssl_context

log = structlog.get_logger("cj_service")
SERVICE_NAMES = (SERVICE_NAME, admin_servicer.SERVICE_NAME)
# Reflection finds services in the default pool; the *_pb2_grpc module alone does not put
# the service descriptors there.
_DESCRIPTOR = cj_service_pb2.DESCRIPTOR
STARTUP_TIMEOUT_S = 30.0


@dataclass
class App:
    config: Config
    server: grpc.aio.Server
    health: health.aio.HealthServicer
    deps: Workflow
    nc: NATS
    grpc_port: int
    metrics_port: int
    stoppables: list[Any] = field(default_factory=list)
    channels: list[grpc.aio.Channel] = field(default_factory=list)
    stopped: bool = False

    @property
    def address(self) -> str:
        return f"{self.config.grpc_host}:{self.grpc_port}"

    async def stop(self, grace: float | None = 5.0) -> None:
        if self.stopped:
            return
        self.stopped = True
        await set_health(self.health, SERVICE_NAMES, serving=False)
        await self.server.stop(grace)
        for part in reversed(self.stoppables):
            with contextlib.suppress(Exception):
                await part.stop()
        with contextlib.suppress(Exception):
            await self.nc.drain()
        for channel in self.channels:
            await channel.close()
        self.deps.metrics.close()
        await self.deps.db.dispose()
        if self.deps.fit_pool is not None:
            self.deps.fit_pool.shutdown(wait=False, cancel_futures=True)


async def migrate_when_reachable(
    database_url: str, *, timeout_s: float = STARTUP_TIMEOUT_S
) -> None:
    """Run migrations, waiting for a database that is still starting."""
    await startup.retry_until(lambda: migrate.upgrade(database_url), waiting_for="database",
                              retryable=is_unavailable, timeout_s=timeout_s)


async def ensure_nats(js, config: Config) -> streams.ConsumerSpec:
    ns, replicas = config.namespace, config.stream_replicas
    for spec in (
        streams.llm_results_stream(ns, replicas=replicas),
        streams.cj_events_stream(ns, replicas=replicas),
    ):
        result = await streams.ensure_stream(js, spec)
        log.info("stream_ready", stream=spec.name, result=result)
    consumer = streams.cj_results_consumer(ns, ack_wait=config.pipeline.ack_wait_s)
    await streams.ensure_consumer(js, consumer)
    return consumer


async def ensure_nats_when_ready(
    js, config: Config, *, timeout_s: float = STARTUP_TIMEOUT_S
) -> streams.ConsumerSpec:
    """Declare streams and the consumer, retrying while JetStream is not ready."""
    return await startup.retry_until(lambda: ensure_nats(js, config), waiting_for="jetstream",
                                     retryable=startup.jetstream_not_ready, timeout_s=timeout_s)


async def start(config: Config) -> App:
    await migrate_when_reachable(config.database_url)
    db = Database(create_engine(config.database_url))
    metrics = Metrics()
    nc = await nats.connect(
        [url.strip() for url in config.nats_url.split(",")],  # a cluster: every node
        name=config.instance_id,
        tls=nats_ssl_context(config.env),
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
    )
    try:
        return await _assemble(config, db, metrics, nc)
    except BaseException:
        await nc.close()
        await db.dispose()
        raise


def _fit_pool(n: int) -> concurrent.futures.ThreadPoolExecutor:
    """Fits run off the event loop. More fit threads than cores only fight the loop for the
    GIL and the caches (one thread cut cj's CPU per verdict ~15% in the mesh bench); a pool of
    their own keeps them from delaying the loop's other executor work (DNS lookups)."""
    return concurrent.futures.ThreadPoolExecutor(max_workers=n, thread_name_prefix="cj-fit")


async def _assemble(config: Config, db: Database, metrics: Metrics, nc: NATS) -> App:
    js = nc.jetstream()
    consumer_spec = await ensure_nats_when_ready(js, config)
    tls = TlsConfig.from_env(config.env)
    content_ch = channels.channel(config.content_addr, [channels.CONTENT_SERVICE], tls)
    llm_ch = channels.channel(config.llm_provider_addr, [channels.LLM_PROVIDER_SERVICE], tls)
    content = ContentClient(content_ch)
    admin_repo = PostgresAdminRepository(db.engine)
    relay = OutboxRelay(
        js, db, metrics, namespace=config.namespace, interval_s=config.pipeline.relay_interval_s,
        max_payload=nc.max_payload,
    )
    # The dispatcher and the canceller run use cases of the workflow they are part of: the
    # lambdas reach it once it is built below (nothing is sent before the app starts).
    dispatcher = Dispatcher(lambda batch_id: dispatch.send_pending(deps, batch_id))
    canceller = GroupCanceller(lambda b, reason: provider_cancel.cancel_group(deps, b, reason))
    deps = Workflow(
        config=config,
        db=db,
        store=SqlStore(db, max_payload=nc.max_payload),
        metrics=metrics,
        judge=LLMClient(
            llm_ch,
            models_ttl_s=config.pipeline.models_cache_ttl_s,
            providers_ttl_s=config.pipeline.providers_cache_ttl_s,
            comparison_ttl_s=config.pipeline.comparison_ttl_s,
        ),
        fetch_texts=content.fetch_texts,
        assignments=admin_repo,
        kick=dispatcher.kick,
        notify_outbox=relay.notify,
        cancel_group=canceller.request,
        max_payload=nc.max_payload,
        fit_pool=_fit_pool(config.pipeline.fit_threads),
    )
    consumer = ResultsConsumer(js, deps, consumer_spec)
    server, health_servicer, port = await _grpc(config, deps, admin_repo, content)
    metrics_port = metrics.serve(config.metrics_port, host=config.grpc_host)
    loops = background.loops(deps)
    relay.start()
    await consumer.start()
    for loop in loops:
        loop.start()
    log.info(
        "cj_service_started",
        grpc_port=port,
        metrics_port=metrics_port,
        instance_id=config.instance_id,
        namespace=config.nats_namespace,
    )
    return App(
        config,
        server,
        health_servicer,
        deps,
        nc,
        port,
        metrics_port,
        stoppables=[relay, dispatcher, canceller, consumer, *loops],
        channels=[content_ch, llm_ch],
    )


async def _grpc(
    config: Config, deps: Workflow, admin_repo: PostgresAdminRepository, content: ContentClient
):
    auth = AuthConfig.from_env(config.env)
    server = grpc.aio.server(
        interceptors=[LoggingInterceptor("cj_service"), AdminAuthInterceptor(auth)],
        options=channels.channel_options([])[2:],
    )
    cj_service_pb2_grpc.add_CJAssessmentServiceServicer_to_server(
        CJAssessmentServicer(deps), server
    )
    cj_service_pb2_grpc.add_CJAdminServiceServicer_to_server(
        admin_servicer.CJAdminServicer(
            admin_repo, content, settings=admin_servicer.AdminSettings.from_env(config.env)
        ),
        server,
    )
    health_servicer = await add_standard_services(server, SERVICE_NAMES)
    address = f"{config.grpc_host}:{config.grpc_port}"
    port = add_port(server, address, TlsConfig.from_env(config.env))
    await server.start()
    return server, health_servicer, port
