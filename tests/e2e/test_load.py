"""Load: 50 concurrent batches of 200 essays on the simulated judge, through the real mesh
(processes started by the deploy.local launcher on a 3-node JetStream cluster with R3
streams and an owned PostgreSQL). Reports p50/p99 time-to-result (submission -> the
batch's AssessmentResultPublished event seen by a subscriber) and checks that nothing was
dropped: every batch completes and the ledger balances (see chaos_support_checks).

Not part of `make test`: `make load` sets HULEEDU_LOAD=1. HULEEDU_LOAD_BATCHES,
HULEEDU_LOAD_ESSAYS and HULEEDU_LOAD_REPLICAS change the shape.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import nats
import numpy as np
import pytest

from contracts import channels, headers, subjects
from contracts.huleedu.cj.v1 import cj_pb2
from contracts.streams import Namespace
from tests.e2e.chaos_support import ChaosMesh, call_outcomes, start_chaos_mesh
from tests.e2e.chaos_support_checks import balance
from tests.e2e.chaos_support_client import Caller, essay_text
from tests.fixtures.scratch import scratch_dir

BATCHES = int(os.environ.get("HULEEDU_LOAD_BATCHES", "50"))
ESSAYS = int(os.environ.get("HULEEDU_LOAD_ESSAYS", "200"))
REPLICAS = int(os.environ.get("HULEEDU_LOAD_REPLICAS", "2"))
LOAD_ENV = {"LLM_PROVIDER_SIMULATED_LATENCY_MS": "20", "LLM_PROVIDER_SIMULATED_NOISE_SD": "0.5",
            "LLM_PROVIDER_QUEUE_MAX_DEPTH": "1000000"}

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.integration,
    pytest.mark.timeout(3_600),
    pytest.mark.skipif(os.environ.get("HULEEDU_LOAD") != "1", reason="make load runs this"),
]


@pytest.fixture
def load_mesh() -> Iterator[ChaosMesh]:
    with scratch_dir("load") as base:
        mesh = start_chaos_mesh(Path(base), replicas=REPLICAS, extra_env=LOAD_ENV)
        try:
            yield mesh
        finally:
            mesh.stop()


class ResultWatch:
    """When each batch's result event reached a live subscriber (core NATS, as published)."""

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}
        self.deliveries: Counter = Counter()

    async def on_event(self, msg) -> None:
        event = headers.decode(msg.data, msg.headers)
        batch_id = event.assessment.assessment_id
        self.deliveries[batch_id] += 1
        self.seen.setdefault(batch_id, time.monotonic())


async def upload_all(caller: Caller) -> list[list[str]]:
    texts = [[essay_text(f"load{b}", i) for i in range(ESSAYS)] for b in range(BATCHES)]
    return [await caller.upload(batch, concurrency=48) for batch in texts]


async def test_fifty_concurrent_batches_of_200_essays_all_complete_with_nothing_dropped(
    load_mesh, capsys
):
    env = load_mesh.env
    caller = Caller(channels.channel(env["CONTENT_ADDR"], [channels.CONTENT_SERVICE]),
                    channels.channel(env["CJ_ADDR"], [channels.CJ_ASSESSMENT_SERVICE]),
                    rpc_timeout_s=120)
    uploads = await upload_all(caller)
    nc = await nats.connect(load_mesh.cluster.urls, max_reconnect_attempts=-1)
    watch = ResultWatch()
    await nc.subscribe(subjects.CJ_ASSESSMENT_RESULT, cb=watch.on_event)
    started = time.monotonic()
    submitted_at: dict[str, float] = {}

    async def submit(b: int, ids: list[str]) -> str:
        batch_id = await caller.submit(ids, stopping=cj_pb2.StoppingOptions(), seed=b + 1)
        submitted_at[batch_id] = time.monotonic()
        return batch_id

    batch_ids = list(await asyncio.gather(*(submit(b, ids) for b, ids in enumerate(uploads))))
    done = await caller.wait_finished(batch_ids, timeout_s=3_000, interval_s=2.0)
    wall = time.monotonic() - started
    try:
        await asyncio.wait_for(_all_seen(watch, batch_ids), 60)
        ledger = await balance(load_mesh.cj_dsn, nc, Namespace(""), batch_ids)
    finally:
        await nc.close()
    to_result = np.array([watch.seen[b] - submitted_at[b] for b in batch_ids])
    judged = sum(a.progress.comparisons_done for a in done.values())
    with capsys.disabled():  # the figures are the point of a load run: always show them
        print(_report(done, to_result, judged=judged, wall=wall))
        print(f"load ledger: {ledger.summary()} provider_calls={call_outcomes(load_mesh)}")
    assert {a.state for a in done.values()} == {cj_pb2.ASSESSMENT_STATE_COMPLETED}
    assert not ledger.problems, ledger.problems[:10]
    assert ledger.batches == BATCHES and ledger.judged == judged
    assert set(watch.seen) == set(batch_ids)


def _report(done: dict, to_result: np.ndarray, *, judged: int, wall: float) -> str:
    reasons = Counter(cj_pb2.CompletionReason.Name(a.completion_reason) for a in done.values())
    return (
        f"\nload: {BATCHES} batches x {ESSAYS} essays, {REPLICAS} replicas/service, "
        f"{judged} verdicts in {wall:.0f} s ({judged / wall:.0f}/s); time-to-result "
        f"p50={np.percentile(to_result, 50):.1f}s p99={np.percentile(to_result, 99):.1f}s "
        f"max={to_result.max():.1f}s; completion {dict(reasons)}"
    )


async def _all_seen(watch: ResultWatch, batch_ids: list[str]) -> None:
    while not set(batch_ids) <= set(watch.seen):
        await asyncio.sleep(0.2)
