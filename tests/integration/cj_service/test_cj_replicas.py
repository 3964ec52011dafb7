"""Two cj replicas on one database and one results consumer: no double counts, one event each.

Both replicas pull from the shared durable consumer, relay the outbox and run the watchdog;
the batch row lock (and SKIP LOCKED in the relay) keeps them from stepping on each other.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from cj_service.config import PipelineSettings
from contracts import subjects
from contracts.huleedu.cj.v1 import cj_pb2
from tests.fixtures import wait_until
from tests.integration.cj_service.cj_fixtures import *  # noqa: F403
from tests.integration.cj_service.cj_harness import verdict

pytestmark = pytest.mark.integration
BUSY = dataclasses.replace(
    PipelineSettings(),
    fetch_batch=16,
    watchdog_interval_s=0.5,
    recovery_interval_s=0.5,
)


def total(replicas, name: str, **labels: str) -> float:
    return sum(r.metrics.registry.get_sample_value(name, labels) or 0.0 for r in replicas)


async def test_two_replicas_finish_each_batch_once_with_exact_counts(start_cj):
    first = await start_cj(pipeline=BUSY)
    second = await start_cj(pipeline=BUSY, replica_of=first)
    replicas = (first, second)
    batches = [
        (
            await r.submit(
                12,
                stopping=cj_pb2.StoppingOptions(
                    budget=60, max_in_flight=12, target_reliability=0.999
                ),
            )
        ).assessment.assessment_id
        for r in replicas
    ]
    answered: set[str] = set()

    async def all_finished():
        for r in list(first.provider.requests.values()):
            if r.request_id not in answered:
                answered.add(r.request_id)
                winner = 1 if len(r.prompt.essay_a_text) > len(r.prompt.essay_b_text) else 2
                await first.publish(verdict(r.request_id, winner))
                await first.publish(verdict(r.request_id, winner), msg_id=r.request_id + "-again")
        states = [(await first.get(b)).state for b in batches]
        return all(s == cj_pb2.ASSESSMENT_STATE_COMPLETED for s in states)

    await wait_until(all_finished, timeout=90, interval=0.2, message="both batches completed")
    for b in batches:
        assert (await first.get(b)).progress.comparisons_done == 60
    judged = total(replicas, "huleedu_cj_comparisons_total", outcome="judged")
    assert judged == 120
    assert total(replicas, "huleedu_cj_comparisons_total", outcome="duplicate") + total(
        replicas, "huleedu_cj_comparisons_total", outcome="late"
    ) == len(answered)
    assert all(total([r], "huleedu_cj_comparisons_total", outcome="judged") > 0 for r in replicas)
    await wait_until(
        lambda: (
            sum(
                total(replicas, "huleedu_cj_outbox_published_total", kind=k)
                for k in ("completed", "result", "consumption")
            )
            >= 6
        )
    )
    events = await first.events()
    per_batch = Counter(
        (s, getattr(m, "assessment_id", "") or m.assessment.assessment_id) for s, m in events
    )
    assert sorted(per_batch.values()) == [1] * 6
    assert len(events) == 6
    assert {s for s, _ in events} == {
        first.ns.subject(x)
        for x in (
            subjects.CJ_ASSESSMENT_COMPLETED,
            subjects.CJ_ASSESSMENT_RESULT,
            subjects.CJ_RESOURCE_CONSUMPTION,
        )
    }
