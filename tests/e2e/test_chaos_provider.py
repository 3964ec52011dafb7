"""A misbehaving judge: 30% of calls answered 429/500, and a full provider outage.

Faulty calls are retried (nak with backoff) until every batch completes with its ledger
balanced; during an outage the circuit opens, calls stop going out, batches wait (RUNNING,
nothing failed for good), and when the provider returns the batches resume and complete.
"""

from __future__ import annotations

import asyncio

import nats
import pytest

from contracts.huleedu.cj.v1 import cj_pb2
from deploy.local.pg_infra import to_asyncpg
from llm_provider.adapters.providers.base import ProviderCall, ProviderReply
from llm_provider.adapters.providers.simulated import SimulatedProvider
from llm_provider.config import WorkerSettings
from llm_provider.domain import errors
from llm_provider.domain.errors import ProviderFailure
from llm_provider.domain.simulation import JudgeParams
from tests.e2e.chaos_support_checks import balance
from tests.e2e.chaos_support_client import essay_text
from tests.e2e.chaos_support_inproc import InProcessMesh, inprocess_mesh
from tests.fixtures import unique_name, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
FAST_RETRIES = WorkerSettings(backoff_base_s=0.1, backoff_max_s=1.0, breaker_threshold=5,
                              breaker_cooldown_s=1.0)
CALLS = "huleedu_llm_provider_calls_total"


class ProviderWithOutage(SimulatedProvider):
    """The simulated judge, except that while `down` every call fails like an HTTP 503."""

    down = False
    calls = 0

    async def judge(self, call: ProviderCall) -> ProviderReply:
        self.calls += 1
        if self.down:
            raise ProviderFailure(errors.PROVIDER_ERROR, "simulated outage: HTTP 503",
                                  http_status=503)
        return await super().judge(call)


async def submit_batches(mesh: InProcessMesh, count: int, *, essays: int, budget: int
                         ) -> list[str]:
    batch_ids = []
    for b in range(count):
        ids = await mesh.caller.upload([essay_text(unique_name("p"), i) for i in range(essays)])
        stopping = cj_pb2.StoppingOptions(budget=budget, target_reliability=0.999,
                                          max_in_flight=10)
        batch_ids.append(await mesh.caller.submit(ids, stopping=stopping, seed=b + 1))
    return batch_ids


async def test_a_judge_failing_30_percent_of_calls_with_429_and_500_still_completes_every_batch(
    nats_url, database_url, fresh_database
):
    judge = JudgeParams(rate_429=0.15, rate_500=0.15, retry_after_s=0.05, noise_sd=0.3)
    async with inprocess_mesh(nats_url=nats_url, content_db=database_url, cj_db=fresh_database(),
                              judge=judge, worker=FAST_RETRIES) as mesh:
        batch_ids = await submit_batches(mesh, 3, essays=10, budget=40)
        done = await mesh.caller.wait_finished(batch_ids, timeout_s=120)
        nc = await nats.connect(nats_url)
        try:
            ledger = await wait_until(
                lambda: _balanced(mesh, nc, batch_ids), timeout=30, interval=1,
                message="ledger balanced")
        finally:
            await nc.close()
        registry = mesh.llm.metrics.registry
        faults = sum(
            s.value for m in registry.collect() if m.name == CALLS.removesuffix("_total")
            for s in m.samples if s.name == CALLS and s.labels["outcome"] != "ok")
        ok = sum(
            s.value for m in registry.collect() if m.name == CALLS.removesuffix("_total")
            for s in m.samples if s.name == CALLS and s.labels["outcome"] == "ok")
    assert {a.state for a in done.values()} == {cj_pb2.ASSESSMENT_STATE_COMPLETED}
    assert 0.2 <= faults / (faults + ok) <= 0.4, (faults, ok)
    assert ledger.judged == sum(a.progress.comparisons_done for a in done.values())


async def _balanced(mesh: InProcessMesh, nc, batch_ids):
    ledger = await balance(to_asyncpg(mesh.cj_database_url), nc, mesh.ns, batch_ids)
    return ledger if not ledger.problems else None


async def test_a_provider_outage_opens_the_circuit_batches_wait_and_then_resume(
    nats_url, database_url, fresh_database
):
    provider = ProviderWithOutage(JudgeParams(noise_sd=0.3), seed=3)
    provider.down = True
    async with inprocess_mesh(nats_url=nats_url, content_db=database_url, cj_db=fresh_database(),
                              judge=provider.params, worker=FAST_RETRIES,
                              adapters={"simulated": provider}) as mesh:
        batch_ids = await submit_batches(mesh, 2, essays=8, budget=24)
        opened = {"provider": "simulated"}
        await wait_until(lambda: mesh.llm_sample("huleedu_llm_circuit_opened_total", opened),
                         timeout=30, message="circuit opened")
        calls_when_open = provider.calls
        await asyncio.sleep(3.0)  # the outage lasts: deliveries keep coming back, calls do not
        waiting = [await mesh.caller.assessment(b) for b in batch_ids]
        deferred = mesh.llm_sample("huleedu_llm_deferrals_total",
                                   {"provider": "simulated", "reason": "circuit_open"})
        calls_during_outage = provider.calls - calls_when_open
        provider.down = False
        done = await mesh.caller.wait_finished(batch_ids, timeout_s=90)
    assert {a.state for a in waiting} == {cj_pb2.ASSESSMENT_STATE_RUNNING}
    assert all(a.progress.comparisons_done == 0 for a in waiting)
    assert deferred > calls_during_outage, (deferred, calls_during_outage)
    assert calls_during_outage <= 3.0 / FAST_RETRIES.breaker_cooldown_s + 3
    assert {a.state for a in done.values()} == {cj_pb2.ASSESSMENT_STATE_COMPLETED}
    assert all(a.progress.comparisons_done > 0 for a in done.values())
