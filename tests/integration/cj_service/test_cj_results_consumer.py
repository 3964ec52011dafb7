"""The results consumer: applies ComparisonResults exactly once, whatever NATS delivers."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import text

from cj_service.entrypoints import results_consumer
from cj_service.entrypoints import results_consumer as apply
from contracts import subjects
from contracts.huleedu.cj.v1 import cj_pb2
from contracts.huleedu.llm.v1 import llm_pb2
from tests.fixtures import wait_until
from tests.integration.cj_service.cj_fixtures import *  # noqa: F403
from tests.integration.cj_service.cj_harness import error_result, verdict

pytestmark = pytest.mark.integration


async def progress_of(cj, batch_id: str) -> cj_pb2.AssessmentProgress:
    return (await cj.get(batch_id)).progress


async def test_a_verdict_is_applied_and_frees_its_slot_for_a_new_pair(cj):
    a = (await cj.submit(5, stopping=cj_pb2.StoppingOptions(budget=8, max_in_flight=2))).assessment
    first = await cj.wait_requests(a.assessment_id, 2)
    await cj.answer(first[:1])
    await wait_until(lambda: len(cj.requests_of(a.assessment_id)) == 3, message="top-up")
    p = await progress_of(cj, a.assessment_id)
    assert (p.comparisons_done, p.comparisons_in_flight) == (1, 2)
    assert p.cost_usd == pytest.approx(0.001) and p.usage.prompt_tokens == 100


async def test_a_redelivered_result_is_not_counted_twice(cj):
    a = (await cj.submit(4, stopping=cj_pb2.StoppingOptions(budget=6, max_in_flight=3))).assessment
    r = (await cj.wait_requests(a.assessment_id, 3))[0]
    # The crash window: the result was applied and committed, but the ack was lost, so
    # JetStream delivers the same result again.
    out = await apply.apply_results(cj.app.deps, a.assessment_id, [verdict(r.request_id)])
    assert out.applied == 1
    await cj.publish(verdict(r.request_id), msg_id="redelivery-1")
    await wait_until(lambda: cj.sample("huleedu_cj_comparisons_total", outcome="duplicate") == 1)
    p = await progress_of(cj, a.assessment_id)
    assert p.comparisons_done == 1 and p.cost_usd == pytest.approx(0.001)


async def test_an_undecodable_message_is_terminated_and_counted(cj):
    subject = cj.ns.subject(subjects.results_subject(subjects.CJ_RESULTS_KEY))
    await cj.js.publish(
        subject,
        b"\xff\xfe not protobuf",
        headers={"Nats-Msg-Id": "junk-1", "huleedu-schema": "huleedu.llm.v1.ComparisonResult"},
    )
    await cj.js.publish(
        subject, b"", headers={"Nats-Msg-Id": "junk-2", "huleedu-schema": "huleedu.llm.v1.Nonsense"}
    )
    await wait_until(
        lambda: cj.sample("huleedu_cj_result_messages_total", outcome="undecodable") == 2
    )
    info = await cj.js.consumer_info(cj.ns.name("HULEEDU_LLM_RESULTS"), "cj-results")
    await wait_until(lambda: info.num_ack_pending == 0)


async def test_a_result_for_an_unknown_comparison_is_terminated_and_counted(cj):
    await cj.publish(verdict("never-created"))
    await wait_until(lambda: cj.sample("huleedu_cj_comparisons_total", outcome="unknown") == 1)
    await wait_until(lambda: settled(cj), message="nothing left to redeliver")
    listed = await cj.stub.ListAssessments(cj_pb2.ListAssessmentsRequest())
    assert list(listed.assessments) == []


async def test_a_request_id_postgres_cannot_hold_is_terminated_not_redelivered(cj):
    await cj.publish(verdict("cmp\x00nul"), msg_id="nul-id")
    await cj.publish(verdict("x" * 300), msg_id="long-id")
    await wait_until(
        lambda: cj.sample("huleedu_cj_result_messages_total", outcome="undecodable") == 2
    )
    await wait_until(lambda: settled(cj), message="nothing left to redeliver")
    assert cj.sample("huleedu_cj_result_messages_total", outcome="nacked") == 0


async def settled(cj) -> bool:
    """Every delivered message was acked or terminated, none redelivered."""
    info = await cj.js.consumer_info(cj.ns.name("HULEEDU_LLM_RESULTS"), "cj-results")
    return info.num_ack_pending == 0 and info.num_redelivered == 0 and info.num_pending == 0


async def delivered_together(cj, results: list[llm_pb2.ComparisonResult]) -> list:
    """The results as one fetch of the service's durable consumer, as the consumer loop
    would receive them (its loop is stopped so the fetch is the test's)."""
    loop = next(s for s in cj.app.stoppables if isinstance(s, results_consumer.ResultsConsumer))
    await loop.stop()
    for result in results:
        await cj.publish(result)
    sub = await cj.js.pull_subscribe_bind(
        durable="cj-results", stream=cj.ns.name("HULEEDU_LLM_RESULTS")
    )
    msgs: list = []
    while len(msgs) < len(results):
        msgs += await sub.fetch(len(results) - len(msgs), timeout=5)
    return msgs


def with_justification(result: llm_pb2.ComparisonResult, justification: str):
    result.verdict.justification = justification
    return result


async def record(cj, batch_id: str, comparison_id: str) -> cj_pb2.ComparisonRecord:
    records = await cj.stub.ListAssessmentComparisons(
        cj_pb2.ListAssessmentComparisonsRequest(assessment_id=batch_id)
    )
    return next(c for c in records.comparisons if c.comparison_id == comparison_id)


async def test_a_nul_in_a_justification_is_stored_sanitised_and_its_group_applied(cj):
    a = (await cj.submit(4, stopping=cj_pb2.StoppingOptions(budget=3, max_in_flight=3))).assessment
    nul, *clean = await cj.wait_requests(a.assessment_id, 3)
    msgs = await delivered_together(
        cj,
        [
            verdict(clean[0].request_id),
            with_justification(verdict(nul.request_id), "A is\x00 better\x07"),
            verdict(clean[1].request_id),
        ],
    )
    await results_consumer.handle(cj.app.deps, msgs)
    done = await cj.get(a.assessment_id)
    assert done.state == cj_pb2.ASSESSMENT_STATE_COMPLETED
    assert done.progress.comparisons_done == 3
    assert (await record(cj, a.assessment_id, nul.request_id)).justification == "A is better"
    assert cj.sample("huleedu_cj_result_messages_total", outcome="acked") == 3


async def refuse_updates(cj, justification: str, errcode: str) -> None:
    """PostgreSQL refuses the comparison UPDATE that stores this justification."""
    async with cj.app.deps.db.transaction() as conn:
        await conn.execute(text(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.justification = '{justification}' THEN RAISE EXCEPTION 'refused by the "
            f"test' USING ERRCODE = '{errcode}'; END IF; RETURN NEW; END $$"
        ))
        await conn.execute(text(
            "CREATE TRIGGER refuse BEFORE UPDATE ON comparisons "
            "FOR EACH ROW EXECUTE FUNCTION refuse()"
        ))


async def test_a_result_that_still_cannot_be_stored_fails_alone_and_its_pair_is_asked_again(cj):
    await refuse_updates(cj, "poison", "22000")  # data_exception: this row, every time
    a = (await cj.submit(4, stopping=cj_pb2.StoppingOptions(budget=8, max_in_flight=3))).assessment
    bad, *clean = await cj.wait_requests(a.assessment_id, 3)
    msgs = await delivered_together(
        cj,
        [verdict(clean[0].request_id), with_justification(verdict(bad.request_id), "poison"),
         verdict(clean[1].request_id)],
    )
    await results_consumer.handle(cj.app.deps, msgs)
    p = await progress_of(cj, a.assessment_id)
    assert (p.comparisons_done, p.comparisons_failed) == (2, 1)
    failed = await record(cj, a.assessment_id, bad.request_id)
    assert failed.status == cj_pb2.COMPARISON_STATUS_FAILED
    assert failed.error.reason == llm_pb2.COMPARISON_ERROR_REASON_INVALID_RESPONSE
    assert failed.error.retryable and "refused by the test" in failed.error.message
    assert cj.sample("huleedu_cj_result_messages_total", outcome="poisoned") == 1
    await wait_until(lambda: settled(cj), message="nothing left to redeliver")
    retry = await wait_until(
        lambda: [r for r in cj.requests_of(a.assessment_id)
                 if r.prompt.essay_a_text == bad.prompt.essay_b_text
                 and r.prompt.essay_b_text == bad.prompt.essay_a_text],
        message="the pair asked again, sides swapped",
    )
    assert len(retry) == 1


async def test_a_thousand_results_in_random_order_with_30_percent_duplicates_count_exactly(
    start_cj,
):
    cj = await start_cj()
    a = (
        await cj.submit(
            100,
            stopping=cj_pb2.StoppingOptions(
                budget=1000, max_in_flight=1000, target_reliability=0.9999
            ),
        )
    ).assessment
    rng = random.Random(7)
    published: set[str] = set()
    duplicates = 0
    while (await cj.get(a.assessment_id)).state == cj_pb2.ASSESSMENT_STATE_RUNNING:
        seen = len(published)
        await wait_until(
            lambda seen=seen: len(cj.requests_of(a.assessment_id)) > seen,
            timeout=30,
            message="requests to answer",
        )
        fresh = [r for r in cj.requests_of(a.assessment_id) if r.request_id not in published]
        wave = [(r.request_id, r.request_id) for r in fresh]
        wave += [
            (r.request_id, f"{r.request_id}-dup") for r in rng.sample(fresh, int(0.3 * len(fresh)))
        ]
        rng.shuffle(wave)
        for request_id, msg_id in wave:
            await cj.publish(verdict(request_id, rng.choice([1, 2])), msg_id=msg_id)
        published |= {r.request_id for r in fresh}
        duplicates += len(wave) - len(fresh)
        expected = len(published) + duplicates
        await wait_until(
            lambda expected=expected: counted(cj) == expected,
            timeout=60,
            message="every message applied or counted",
        )
    done = await cj.get(a.assessment_id)
    assert done.state == cj_pb2.ASSESSMENT_STATE_COMPLETED
    assert done.completion_reason == cj_pb2.COMPLETION_REASON_BUDGET_SPENT
    assert len(published) == 1000 and duplicates >= 290
    assert done.progress.comparisons_done == 1000
    assert cj.sample("huleedu_cj_comparisons_total", outcome="judged") == 1000
    assert cj.sample("huleedu_cj_comparisons_total", outcome="duplicate") == duplicates
    assert done.progress.cost_usd == pytest.approx(1.0)
    assert done.progress.usage.prompt_tokens == 100_000


def counted(cj) -> float:
    return sum(
        cj.sample("huleedu_cj_comparisons_total", outcome=o)
        for o in ("judged", "duplicate", "late")
    )


async def test_a_failed_comparison_is_requeued_with_its_sides_swapped(cj):
    a = (await cj.submit(3, stopping=cj_pb2.StoppingOptions(budget=3, max_in_flight=1))).assessment
    (first,) = await cj.wait_requests(a.assessment_id, 1)
    await cj.publish(error_result(first.request_id))
    await wait_until(lambda: len(cj.requests_of(a.assessment_id)) == 2, message="retry")
    retry = [r for r in cj.requests_of(a.assessment_id) if r.request_id != first.request_id][0]
    assert retry.prompt.essay_a_text == first.prompt.essay_b_text
    assert retry.prompt.essay_b_text == first.prompt.essay_a_text
    p = await progress_of(cj, a.assessment_id)
    assert (p.comparisons_done, p.comparisons_failed, p.comparisons_in_flight) == (0, 1, 1)


async def test_a_database_outage_naks_the_result_and_its_redelivery_is_applied(cj):
    await refuse_updates(cj, "outage", "57P01")  # admin_shutdown: the database is going away
    a = (await cj.submit(4, stopping=cj_pb2.StoppingOptions(budget=8, max_in_flight=3))).assessment
    first = (await cj.wait_requests(a.assessment_id, 3))[0]
    (msg,) = await delivered_together(cj, [with_justification(verdict(first.request_id), "outage")])
    await results_consumer.handle(cj.app.deps, [msg])
    assert cj.sample("huleedu_cj_result_messages_total", outcome="nacked") == 1
    assert cj.sample("huleedu_cj_result_messages_total", outcome="poisoned") == 0
    assert (await progress_of(cj, a.assessment_id)).comparisons_done == 0
    async with cj.app.deps.db.transaction() as conn:
        await conn.execute(text("DROP TRIGGER refuse ON comparisons"))
    sub = await cj.js.pull_subscribe_bind(
        durable="cj-results", stream=cj.ns.name("HULEEDU_LLM_RESULTS")
    )
    (again,) = await sub.fetch(1, timeout=10)  # the nak's redelivery
    await results_consumer.handle(cj.app.deps, [again])
    assert cj.counted("judged") == 1
    assert (await record(cj, a.assessment_id, first.request_id)).justification == "outage"
