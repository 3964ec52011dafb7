"""Fixtures: a real llm_provider (in-process, port 0) on real NATS, one Namespace per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import AsyncExitStack, suppress

import nats
import pytest

from contracts import channels, streams
from contracts.huleedu.llm.v1 import llm_service_pb2_grpc
from deploy.local.nats_infra import start_nats_server
from llm_provider import bootstrap
from llm_provider.adapters.providers.base import Provider
from llm_provider.config import Config
from tests.fixtures import unique_name
from tests.fixtures.scratch import scratch_dir
from tests.integration.llm_provider.support import SMALL_MAX_PAYLOAD, ResultsReader

FAST = {
    "LLM_PROVIDER_GRPC_PORT": "0", "LLM_PROVIDER_METRICS_PORT": "0",
    "LLM_PROVIDER_ACK_WAIT_S": "2", "LLM_PROVIDER_BACKOFF_BASE_S": "0.05",
    "LLM_PROVIDER_BACKOFF_MAX_S": "0.2", "LLM_PROVIDER_MAX_ATTEMPTS": "3",
    "LLM_PROVIDER_BREAKER_THRESHOLD": "100", "LLM_PROVIDER_BREAKER_COOLDOWN_S": "0.5",
}

Starter = Callable[..., Awaitable[bootstrap.App]]
Stub = llm_service_pb2_grpc.LLMProviderServiceStub


@pytest.fixture
async def namespace(nats_url: str) -> AsyncIterator[streams.Namespace]:
    """A private namespace; its streams and KV bucket are deleted after the test."""
    ns = streams.Namespace(unique_name("llm"))
    yield ns
    await _delete_streams(nats_url, ns)


@pytest.fixture
async def start_service(nats_url: str, namespace: streams.Namespace) -> AsyncIterator[Starter]:
    """`app = await start_service(env_overrides, adapters=...)`; stopped after the test."""
    apps: list[bootstrap.App] = []

    async def start(overrides: Mapping[str, str] | None = None, *,
                    adapters: Mapping[str, Provider] | None = None) -> bootstrap.App:
        env = {**FAST, "NATS_URL": nats_url, "NATS_NAMESPACE": namespace.prefix,
               **(overrides or {})}
        app = await bootstrap.start(Config.from_env(env), adapters=adapters)
        apps.append(app)
        return app

    yield start
    for app in apps:
        await app.stop(0.5)


async def _delete_streams(nats_url: str, ns: streams.Namespace) -> None:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    for name in ("HULEEDU_LLM_REQUESTS", "HULEEDU_LLM_RESULTS"):
        with suppress(Exception):
            await js.delete_stream(ns.name(name))
    for bucket in ("HULEEDU_LLM_ATTEMPTS", "HULEEDU_LLM_CANCELLED", "HULEEDU_LLM_REQUEST_IDS"):
        with suppress(Exception):
            await js.delete_key_value(ns.name(bucket))
    await nc.close()


@pytest.fixture
async def stub_for() -> AsyncIterator[Callable[[bootstrap.App], Stub]]:
    async with AsyncExitStack() as stack:
        def make(app: bootstrap.App) -> Stub:
            channel = channels.insecure_channel(f"127.0.0.1:{app.grpc_port}",
                                                [channels.LLM_PROVIDER_SERVICE])
            stack.push_async_callback(channel.close)
            return llm_service_pb2_grpc.LLMProviderServiceStub(channel)
        yield make


@pytest.fixture
async def results(nats_url: str, namespace: streams.Namespace) -> AsyncIterator[ResultsReader]:
    reader = ResultsReader(nats_url, namespace)
    yield reader
    await reader.close()


@pytest.fixture
def vendor():
    from tests.integration.llm_provider.fake_vendor import FakeVendor

    with FakeVendor().running() as fake:
        yield fake



@pytest.fixture
def small_nats_url() -> Iterator[str]:
    """A private nats-server whose max_payload is 64 KiB (the default is 1 MiB), so a request
    that passes the door can still be too large for the bus."""
    with scratch_dir("nats-small") as base:
        conf = base / "small.conf"
        conf.write_text(f"max_payload: {SMALL_MAX_PAYLOAD}\n")
        server = start_nats_server(base / "data", extra_args=("-c", str(conf)))
        try:
            yield server.url
        finally:
            server.stop(grace=5)
