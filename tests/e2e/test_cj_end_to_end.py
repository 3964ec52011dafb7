"""End to end on loopback: content + llm_provider (simulated judge) + cj_service, all real.

A 30-essay batch is submitted by content id, judged by the simulated judge (whose truth is a
deterministic function of each text, so the test can compute it), and completes; its ranking
must follow the truth (Spearman >= 0.9) and every event must arrive once on its subject.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import grpc
import nats
import numpy as np
import pytest
import sqlalchemy as sa
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from scipy.stats import spearmanr

from cj_service import bootstrap as cj_bootstrap
from cj_service.config import Config as CJConfig
from cj_service.config import PipelineSettings
from content_service import bootstrap as content_bootstrap
from content_service.config import Config as ContentConfig
from contracts import headers, subjects
from contracts.huleedu.cj.v1 import cj_pb2, cj_service_pb2_grpc
from contracts.huleedu.common.v1 import common_pb2
from contracts.huleedu.content.v1 import content_pb2, content_service_pb2_grpc
from contracts.streams import Namespace
from llm_provider import bootstrap as llm_bootstrap
from llm_provider.config import Config as LLMConfig
from llm_provider.domain.simulation import JudgeParams, latent_quality
from tests.fixtures import unique_name, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
QUALITY_SD = 1.5
TOPICS = (
    "rivers",
    "cities",
    "winter",
    "music",
    "friendship",
    "science",
    "travel",
    "books",
    "sport",
    "history",
)


def essay_text(i: int) -> str:
    topic = TOPICS[i % len(TOPICS)]
    return f"Essay {i}: on {topic}. " + f"The writer reflects on {topic} in paragraph {i}. " * 4


@pytest.fixture
async def mesh(database_url, fresh_database, nats_url):
    ns = Namespace(unique_name("e2e"))
    stops = []
    content = await content_bootstrap.start(
        ContentConfig(database_url=database_url, grpc_port=0, metrics_port=0, shutdown_grace_s=0.2)
    )
    stops.append(lambda: content.stop(grace=0))
    llm_base = LLMConfig.from_env(
        {
            "NATS_URL": nats_url,
            "NATS_NAMESPACE": ns.prefix,
            "LLM_PROVIDER_GRPC_PORT": "0",
            "LLM_PROVIDER_METRICS_PORT": "0",
        }
    )
    llm = await llm_bootstrap.start(
        dataclasses.replace(
            llm_base,
            simulated=JudgeParams(
                quality_sd=QUALITY_SD, position_bias=0.3, lapse_rate=0.02, noise_sd=0.3
            ),
            simulated_seed=11,
        )
    )
    stops.append(lambda: llm.stop(grace=0))
    cj = await cj_bootstrap.start(
        CJConfig(
            database_url=fresh_database(),
            nats_url=nats_url,
            nats_namespace=ns.prefix,
            grpc_port=0,
            metrics_port=0,
            content_addr=content.address,
            llm_provider_addr=f"127.0.0.1:{llm.grpc_port}",
            instance_id=unique_name("cj"),
            pipeline=PipelineSettings(),
        )
    )
    stops.append(lambda: cj.stop(grace=0))
    yield ns, content, cj
    for stop in reversed(stops):
        await stop()


async def _events(nc, ns: Namespace) -> list[tuple[str, object]]:
    js = nc.jetstream()
    sub = await js.pull_subscribe(
        ns.subject(subjects.CJ_EVENTS_ALL),
        stream=ns.name("HULEEDU_CJ_EVENTS"),
        config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.NONE),
    )
    found = []
    try:
        while True:
            msgs = await sub.fetch(50, timeout=1.0)
            found += [(m.subject, headers.decode(m.data, m.headers)) for m in msgs]
    except (nats.errors.TimeoutError, TimeoutError):
        pass
    await sub.unsubscribe()
    return found


async def test_a_30_essay_batch_ranks_by_the_simulated_truth_and_publishes_each_event_once(
    mesh, nats_url
):
    ns, content, cj = mesh
    texts = [essay_text(i) for i in range(30)]
    async with (
        grpc.aio.insecure_channel(content.address) as content_ch,
        grpc.aio.insecure_channel(cj.address) as cj_ch,
    ):
        content_stub = content_service_pb2_grpc.ContentServiceStub(content_ch)
        ids = [
            (
                await content_stub.PutContent(
                    content_pb2.PutContentRequest(request_id=unique_name("put"), content=t.encode())
                )
            ).metadata.content_id
            for t in texts
        ]
        stub = cj_service_pb2_grpc.CJAssessmentServiceStub(cj_ch)
        submitted = await stub.SubmitAssessment(
            cj_pb2.SubmitAssessmentRequest(
                request_id=unique_name("e2e"),
                correlation_id="e2e-corr",
                essays=[
                    cj_pb2.EssayInput(
                        essay_id=f"s{i:02d}", content_id=cid, display_name=f"student{i}.txt"
                    )
                    for i, cid in enumerate(ids)
                ],
                judge=common_pb2.JudgeConfig(provider="simulated", model="simulated-judge"),
                instructions_text="Rank the essays by overall quality.",
                stopping=cj_pb2.StoppingOptions(
                    budget=360, target_reliability=0.95, max_in_flight=40
                ),
            )
        )
        batch_id = submitted.assessment.assessment_id

        async def finished():
            a = (
                await stub.GetAssessment(cj_pb2.GetAssessmentRequest(assessment_id=batch_id))
            ).assessment
            return a if a.state != cj_pb2.ASSESSMENT_STATE_RUNNING else None

        done = await wait_until(finished, timeout=120, interval=0.25, message="batch completed")
        assert done.state == cj_pb2.ASSESSMENT_STATE_COMPLETED, done.detail
        results = await stub.GetAssessmentResults(
            cj_pb2.GetAssessmentResultsRequest(assessment_id=batch_id)
        )
    truth = {f"s{i:02d}": latent_quality(t, quality_sd=QUALITY_SD) for i, t in enumerate(texts)}
    scores = {e.essay_id: e.score for e in results.essays}
    rho = spearmanr([truth[k] for k in sorted(truth)], [scores[k] for k in sorted(truth)])[0]
    print(
        f"e2e: reason={done.completion_reason} done={done.progress.comparisons_done} "
        f"rel={done.progress.reliability:.3f} rho={rho:.3f} beta={results.fit.position_bias:.2f}"
    )
    assert rho >= 0.9, f"Spearman {rho:.3f}"
    assert results.fit.position_bias == pytest.approx(0.3, abs=0.35)
    true_r = float(
        np.corrcoef([truth[k] for k in sorted(truth)], [scores[k] for k in sorted(truth)])[0, 1]
    )
    await _assert_two_chain_design(cj, batch_id, done, results, true_reliability=true_r**2)
    nc = await nats.connect(nats_url)
    try:
        await wait_until(lambda: _counted(cj) >= 3, timeout=15, message="events relayed")
        events = await _events(nc, ns)
    finally:
        await nc.close()
    counts = Counter(subject for subject, _ in events)
    assert counts == {
        ns.subject(subjects.CJ_ASSESSMENT_COMPLETED): 1,
        ns.subject(subjects.CJ_ASSESSMENT_RESULT): 1,
        ns.subject(subjects.CJ_RESOURCE_CONSUMPTION): 1,
    }
    by_subject = dict(events)
    completed = by_subject[ns.subject(subjects.CJ_ASSESSMENT_COMPLETED)]
    assert completed.assessment_id == batch_id and completed.correlation_id == "e2e-corr"
    consumption = by_subject[ns.subject(subjects.CJ_RESOURCE_CONSUMPTION)]
    assert (
        consumption.comparisons_made
        == done.progress.comparisons_done + done.progress.comparisons_failed
    )


async def _assert_two_chain_design(cj, batch_id, done, results, *, true_reliability) -> None:
    """Every comparison belongs to one of the design's two chains, and the reliability reported
    is the chains' honest split half: positive and near the squared correlation with the truth."""
    async with cj.deps.db.read() as conn:
        rows = await conn.execute(
            sa.text("SELECT chain, count(*) FROM comparisons WHERE batch_id = :b GROUP BY chain"),
            {"b": batch_id},
        )
        per_chain = {r[0]: r[1] for r in rows}
    assert set(per_chain) == {0, 1}, per_chain
    assert abs(per_chain[0] - per_chain[1]) <= 0.2 * sum(per_chain.values())
    rel = done.progress.reliability
    assert 0.5 < rel < 1.0 and rel == pytest.approx(results.fit.reliability)
    assert rel == pytest.approx(true_reliability, abs=0.15), (rel, true_reliability)


def _counted(app) -> float:
    registry = app.deps.metrics.registry
    return sum(
        registry.get_sample_value("huleedu_cj_outbox_published_total", {"kind": k}) or 0
        for k in ("completed", "result", "consumption")
    )
