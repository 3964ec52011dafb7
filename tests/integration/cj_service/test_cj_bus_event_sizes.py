"""Every event fits the real NATS's max_payload (1 MiB by default): a 12,000-essay result
(~3 MB whole) is written as parts, every part is published, and putting the parts together
gives every essay in rank order; an event whose stored caller metadata is too large is
published without it, saying so."""

from __future__ import annotations

import dataclasses

import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy import update

from cj_service.adapters import batch_repo, events, outbox_repo
from cj_service.adapters.tables import batches
from contracts import headers, subjects
from contracts.huleedu.cj.v1 import cj_pb2
from contracts.huleedu.events.v1 import events_pb2
from tests.fixtures import unique_name, wait_until
from tests.integration.cj_service.cj_fixtures import *  # noqa: F403

pytestmark = pytest.mark.integration
GRADES = ("F", "E", "D", "C", "B", "A", "A+", "A++")


def essay_result(rank: int) -> cj_pb2.EssayResult:
    """As results.compute makes them: ids and names as schools write them, 8 grades."""
    return cj_pb2.EssayResult(
        essay_id=f"school-4711/class-9b/essay-{rank:05d}",
        display_name=f"Essay {rank:05d} (Lastname, Firstname).docx",
        rank=rank, score=3.0 - rank / 2000, se=0.31, ci_low=-0.61 - rank / 2000,
        ci_high=0.61 - rank / 2000, comparison_count=14, wins=7, infit=0.97, outfit=1.04,
        grade="C", grade_confidence=0.61, failed_calls=1,
        grade_probabilities=[cj_pb2.GradeProbability(grade=g, probability=0.125) for g in GRADES],
    )


def big_result(n: int) -> cj_pb2.GetAssessmentResultsResponse:
    return cj_pb2.GetAssessmentResultsResponse(
        essays=[essay_result(rank) for rank in range(1, n + 1)],
        calibration=cj_pb2.GradeCalibration(available=True, grade_scale_id="swedish_8_anchor"),
        fit=cj_pb2.FitStatistics(reliability=0.91, comparisons=84_000, converged=True),
    )


async def a_finished_batch(cj) -> str:
    a = (await cj.submit(4, stopping=cj_pb2.StoppingOptions(budget=3, max_in_flight=3))).assessment

    async def done():
        await cj.answer(cj.requests_of(a.assessment_id))
        return await cj.ended(a.assessment_id)

    await wait_until(done, timeout=30)
    return a.assessment_id


async def all_published(cj, batch_id: str) -> bool:
    async with cj.app.deps.db.read() as conn:
        rows = await outbox_repo.events_of(conn, batch_id)
    return bool(rows) and all(r.published_at is not None for r in rows)


async def result_messages(cj, batch_id: str) -> list:
    """The batch's result messages on the stream, in stream order."""
    sub = await cj.js.pull_subscribe(
        cj.ns.subject(subjects.CJ_ASSESSMENT_RESULT),
        stream=cj.ns.name("HULEEDU_CJ_EVENTS"),
        config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.NONE),
    )
    found: list = []
    try:
        while True:
            msgs = await sub.fetch(10, timeout=1)
            found += [
                m for m in msgs
                if headers.decode(m.data, m.headers).assessment.assessment_id == batch_id
            ]
    except (nats.errors.TimeoutError, TimeoutError):  # no more messages
        return found
    finally:
        await sub.unsubscribe()


async def test_a_12000_essay_result_is_published_in_parts_that_reassemble(cj):
    source = await a_finished_batch(cj)
    async with cj.app.deps.db.read() as conn:
        row = await batch_repo.get_batch(conn, source)
    batch = dataclasses.replace(batch_repo.assessment_of(row), id=unique_name("big"))
    async with cj.app.deps.db.transaction() as conn:
        await events.completed(conn, batch, big_result(12_000), max_payload=cj.nc.max_payload)
    cj.app.deps.notify_outbox()
    assert big_result(12_000).ByteSize() > 2 * cj.nc.max_payload

    await wait_until(lambda: all_published(cj, batch.id), timeout=30, message="relayed")
    parts = await result_messages(cj, batch.id)
    decoded = [headers.decode_as(events_pb2.AssessmentResultPublished, m.data, m.headers)
               for m in parts]
    count = len(decoded)
    assert count >= 3 and [p.part for p in decoded] == list(range(1, count + 1))
    assert {p.part_count for p in decoded} == {count}
    for m in parts:
        assert outbox_repo.wire_size(len(m.data), m.headers) <= cj.nc.max_payload
    essays = [e for p in decoded for e in p.essays]
    assert [e.rank for e in essays] == list(range(1, 12_001))
    assert essays == list(big_result(12_000).essays)
    assert decoded[0].fit.reliability == pytest.approx(0.91)
    assert decoded[0].calibration.grade_scale_id == "swedish_8_anchor"
    assert all(not p.HasField("fit") for p in decoded[1:])
    msg_ids = [m.headers[headers.MSG_ID] for m in parts]
    assert msg_ids == [outbox_repo.event_id_of(batch.id, "result")] + [
        outbox_repo.event_id_of(batch.id, f"result.{n}") for n in range(2, count + 1)
    ]
    in_order = [s.removeprefix(cj.ns.subject("")) for s, m in await cj.events(timeout=0.5)
                if _batch_of(m) == batch.id]
    assert in_order == [subjects.CJ_ASSESSMENT_COMPLETED] + [
        subjects.CJ_ASSESSMENT_RESULT
    ] * count + [subjects.CJ_RESOURCE_CONSUMPTION]


def _batch_of(message) -> str:
    if message.DESCRIPTOR.fields_by_name.get("assessment"):
        return message.assessment.assessment_id
    return message.assessment_id


async def test_a_cancelled_event_leaves_out_metadata_too_large_for_the_bus_and_says_so(cj):
    """Intake bounds metadata now; a row from before (1.1 MB, the issue's batch) still ends."""
    a = (await cj.submit(4, stopping=cj_pb2.StoppingOptions(budget=20, max_in_flight=2))).assessment
    async with cj.app.deps.db.transaction() as conn:
        await conn.execute(
            update(batches)
            .where(batches.c.id == a.assessment_id)
            .values(metadata={"course": "c1", "blob": "x" * 1_100_000})
        )
    await cj.stub.CancelAssessment(
        cj_pb2.CancelAssessmentRequest(
            assessment_id=a.assessment_id, request_id=unique_name("c"), reason="stop"
        ),
        timeout=10,
    )
    await wait_until(lambda: all_published(cj, a.assessment_id), timeout=30, message="relayed")
    published = [m for _, m in await cj.events(timeout=0.5) if _batch_of(m) == a.assessment_id]
    cancelled, consumption = published
    assert list(cancelled.omitted_fields) == ["metadata"] and not cancelled.metadata
    assert cancelled.reason == "stop"
    assert consumption.DESCRIPTOR.name == "ResourceConsumption"
