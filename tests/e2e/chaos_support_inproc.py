"""The three services started in this test process (ports 0, a private NATS namespace), for
chaos tests that need to reach inside: inject a provider adapter, read live metrics."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from cj_service import bootstrap as cj_bootstrap
from cj_service.config import Config as CJConfig
from content_service import bootstrap as content_bootstrap
from content_service.config import Config as ContentConfig
from contracts import channels
from contracts.streams import Namespace
from llm_provider import bootstrap as llm_bootstrap
from llm_provider.adapters.providers.base import Provider
from llm_provider.config import Config as LLMConfig
from llm_provider.config import WorkerSettings
from llm_provider.domain.simulation import JudgeParams
from tests.e2e.chaos_support_client import Caller
from tests.fixtures import unique_name


@dataclass
class InProcessMesh:
    ns: Namespace
    content: Any
    llm: Any
    cj: Any
    caller: Caller
    cj_database_url: str

    def llm_sample(self, name: str, labels: Mapping[str, str]) -> float:
        value = self.llm.metrics.registry.get_sample_value(name, dict(labels))
        return float(value or 0.0)


@asynccontextmanager
async def inprocess_mesh(
    *, nats_url: str, content_db: str, cj_db: str, judge: JudgeParams,
    worker: WorkerSettings | None = None, adapters: Mapping[str, Provider] | None = None,
) -> AsyncIterator[InProcessMesh]:
    ns = Namespace(unique_name("chaos"))
    stops = []
    try:
        content = await content_bootstrap.start(ContentConfig(
            database_url=content_db, grpc_port=0, metrics_port=0, shutdown_grace_s=0.2))
        stops.append(content.stop)
        base = LLMConfig.from_env({"NATS_URL": nats_url, "NATS_NAMESPACE": ns.prefix,
                                   "LLM_PROVIDER_GRPC_PORT": "0",
                                   "LLM_PROVIDER_METRICS_PORT": "0"})
        llm_config = dataclasses.replace(base, simulated=judge, simulated_seed=7,
                                         worker=worker or base.worker)
        llm = await llm_bootstrap.start(llm_config, adapters=adapters)
        stops.append(llm.stop)
        cj = await cj_bootstrap.start(CJConfig.from_env({
            "CJ_DATABASE_URL": cj_db, "NATS_URL": nats_url, "NATS_NAMESPACE": ns.prefix,
            "CJ_GRPC_PORT": "0", "CJ_METRICS_PORT": "0",
            "CJ_RECOVERY_INTERVAL_S": "1", "CONTENT_ADDR": content.address,
            "LLM_PROVIDER_ADDR": f"127.0.0.1:{llm.grpc_port}",
            "HULEEDU_INSTANCE_ID": unique_name("cj"),
        }))
        stops.append(cj.stop)
        caller = Caller(channels.channel(content.address, [channels.CONTENT_SERVICE]),
                        channels.channel(cj.address, [channels.CJ_ASSESSMENT_SERVICE]))
        yield InProcessMesh(ns, content, llm, cj, caller, cj_db)
        await caller.content_channel.close()
        await caller.cj_channel.close()
    finally:
        for stop in reversed(stops):
            await stop(0)
