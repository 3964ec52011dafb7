"""The composition root: config -> NATS, streams, adapters, workers, gRPC + metrics servers.

llm_provider has no database: JetStream (the work-queue stream, the results stream and a
KV bucket of retry state) is all the durable state it has.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from wsgiref.simple_server import WSGIServer

import grpc
import nats.js
import numpy as np
import structlog
from grpc_health.v1 import health
from nats.aio.client import Client
from prometheus_client import start_http_server

from contracts import channels, serving, startup, streams
from contracts.huleedu.llm.v1 import llm_service_pb2_grpc
from contracts.tls import add_port
from llm_provider.adapters import nats_client
from llm_provider.adapters.attempts import AttemptStore
from llm_provider.adapters.cancellations import CancelledGroupStore
from llm_provider.adapters.jetstream import AckedPublisher
from llm_provider.adapters.providers.base import Provider
from llm_provider.adapters.providers.factory import build_adapters
from llm_provider.adapters.queue import WorkQueue
from llm_provider.adapters.request_ids import RequestIdStore
from llm_provider.adapters.results import ResultPublisher
from llm_provider.config import Config
from llm_provider.domain.manifest import Manifest, build_manifest
from llm_provider.entrypoints.grpc_api import LLMProviderServicer
from llm_provider.entrypoints.worker import WorkerPool
from llm_provider.metrics import Metrics
from llm_provider.service.clock import Clock
from llm_provider.service.judging import Judge
from llm_provider.service.registry import ProviderSlot, build_slots
from llm_provider.service.submit import Intake

log = structlog.get_logger("llm_provider")
SERVICE_NAMES = (channels.LLM_PROVIDER_SERVICE,)
QUEUE_FULL_RETRY_S = 5.0
CANCELLED_BUCKET = "HULEEDU_LLM_CANCELLED"
REQUEST_IDS_BUCKET = "HULEEDU_LLM_REQUEST_IDS"
DECLARE_TIMEOUT_S = 60.0


@dataclass
class App:
    config: Config
    grpc_port: int
    metrics_port: int
    server: grpc.aio.Server
    health: health.aio.HealthServicer
    nc: Client
    workers: WorkerPool | None
    slots: Mapping[str, ProviderSlot]
    metrics: Metrics
    metrics_server: WSGIServer
    adapters: Mapping[str, Provider] = field(default_factory=dict)
    publisher: AckedPublisher | None = None
    cancellations: CancelledGroupStore | None = None

    async def stop(self, grace: float = 5.0) -> None:
        """NOT_SERVING -> stop gRPC -> finish calls in flight -> drain NATS -> close clients."""
        await serving.set_health(self.health, SERVICE_NAMES, serving=False)
        await self.server.stop(grace)
        if self.workers is not None:
            await self.workers.stop(grace)
        if self.cancellations is not None:
            await self.cancellations.close()
        if self.publisher is not None:
            await self.publisher.close()
        if not self.nc.is_closed:
            await self.nc.drain()
        for adapter in self.adapters.values():
            await adapter.close()
        self.metrics_server.shutdown()
        self.metrics_server.server_close()


def load_manifest(path: str) -> Manifest:
    extra = json.loads(Path(path).read_text(encoding="utf-8")) if path else []
    return build_manifest(extra)


async def start(config: Config, *, adapters: Mapping[str, Provider] | None = None,
                clock: Clock | None = None, rng: np.random.Generator | None = None) -> App:
    """Start the service; tests pass port 0 and may inject adapters (fakes of the port)."""
    clock = clock or Clock()
    metrics = Metrics()
    ns = streams.Namespace(config.nats_namespace)
    nc = await nats_client.connect(config.nats_servers, name=config.instance_id,
                                   tls=config.nats_tls, max_reconnect_attempts=-1,
                                   reconnect_time_wait=0.5)
    js = nc.jetstream()
    publisher = await AckedPublisher(nc).start()
    queue, attempts, cancellations, request_ids = await startup.retry_until(
        lambda: _declare(js, publisher, ns, config, metrics), waiting_for="jetstream",
        retryable=startup.jetstream_not_ready, timeout_s=DECLARE_TIMEOUT_S)
    manifest = load_manifest(config.manifest_path)
    adapters = dict(adapters) if adapters is not None else build_adapters(config)
    slots = build_slots(config.providers, adapters, worker=config.worker, now=clock.mono())
    workers = None
    if config.workers_enabled:
        judge = Judge(slots, manifest, ResultPublisher(publisher, ns), attempts, config.worker,
                      clock, rng or np.random.default_rng(), metrics, cancellations)
        cancellations.subscribe(judge.in_flight.cancel)
        workers = WorkerPool(nc, stream=queue.stream, durable=queue.durable, judge=judge,
                             settings=config.worker, metrics=metrics)
        await workers.start()
    intake = Intake(manifest, {p.name: p for p in config.providers}, queue, request_ids,
                    config.queue_max_depth, config.worker.default_ttl_s, QUEUE_FULL_RETRY_S,
                    clock.wall)
    servicer = LLMProviderServicer(intake, manifest, slots, queue, config.queue_max_depth,
                                   clock, metrics, cancellations)
    server, port, health_servicer = await _serve_grpc(servicer, config)
    metrics_server, _ = start_http_server(config.metrics_port, addr=config.grpc_host,
                                          registry=metrics.registry)
    log.info("llm_provider started", grpc_port=port, metrics_port=metrics_server.server_port,
             namespace=config.nats_namespace, providers=sorted(adapters))
    return App(config, port, metrics_server.server_port, server, health_servicer, nc, workers,
               slots, metrics, metrics_server, adapters, publisher, cancellations)


Stores = tuple[WorkQueue, AttemptStore, CancelledGroupStore, RequestIdStore]


async def _declare(js: nats.js.JetStreamContext, publisher: AckedPublisher,
                   ns: streams.Namespace, config: Config, metrics: Metrics) -> Stores:
    replicas = config.stream_replicas
    requests = streams.llm_requests_stream(ns, max_msgs=config.queue_max_depth, replicas=replicas)
    await streams.ensure_stream(js, requests)
    await streams.ensure_stream(js, streams.llm_results_stream(ns, replicas=replicas))
    consumer = streams.llm_workers_consumer(ns, ack_wait=config.worker.ack_wait_s,
                                            max_ack_pending=config.worker.max_ack_pending)
    await streams.ensure_consumer(js, consumer)
    unreadable = metrics.unreadable_records
    attempts = await AttemptStore.open(js, ns.name("HULEEDU_LLM_ATTEMPTS"), ttl=streams.DAY,
                                       replicas=replicas,
                                       unreadable=unreadable.labels("attempts").inc)
    # Remembered longer than any request can live (TTL at most 23 h, the stream keeps 24 h).
    remembered = max(streams.DAY, config.worker.default_ttl_s)
    cancellations = await CancelledGroupStore.open(
        js, ns.name(CANCELLED_BUCKET), ttl=remembered, replicas=replicas,
        unreadable=unreadable.labels("cancellations").inc)
    request_ids = await RequestIdStore.open(js, publisher, ns.name(REQUEST_IDS_BUCKET),
                                            ttl=remembered, replicas=replicas)
    queue = WorkQueue(js, publisher, stream=requests.name, subject=requests.subjects[0],
                      durable=consumer.durable)
    return queue, attempts, cancellations, request_ids


async def _serve_grpc(servicer: LLMProviderServicer, config: Config
                      ) -> tuple[grpc.aio.Server, int, health.aio.HealthServicer]:
    server = grpc.aio.server(
        interceptors=[serving.LoggingInterceptor("llm_provider")],
        options=[("grpc.max_receive_message_length", channels.MAX_MESSAGE_BYTES),
                 ("grpc.max_send_message_length", channels.MAX_MESSAGE_BYTES)],
    )
    llm_service_pb2_grpc.add_LLMProviderServiceServicer_to_server(servicer, server)
    health_servicer = await serving.add_standard_services(server, SERVICE_NAMES)
    port = add_port(server, f"{config.grpc_host}:{config.grpc_port}", config.tls)
    await server.start()
    return server, port, health_servicer
