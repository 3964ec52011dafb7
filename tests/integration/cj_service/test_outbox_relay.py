"""The outbox relay against a real NATS (default 1 MiB max_payload) and PostgreSQL: an event
that can never be published is dead-lettered alone and everything behind it flows on; a
transient failure stops the page at that row and keeps what was already published."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from cj_service.adapters import outbox_repo
from cj_service.adapters.db import Database, create_engine
from cj_service.adapters.tables import outbox
from cj_service.entrypoints.outbox_relay import OutboxRelay
from cj_service.metrics import Metrics
from contracts import subjects
from contracts.huleedu.events.v1 import events_pb2
from contracts.streams import StreamSpec, cj_events_stream, ensure_stream
from tests.fixtures import unique_name
from tests.integration.cj_service.cj_fixtures import *  # noqa: F403

pytestmark = pytest.mark.integration


@pytest.fixture
async def db(cj):
    """The service's database with the service stopped: only the test's relay publishes."""
    await cj.app.stop(grace=0)
    database = Database(create_engine(cj.app.config.database_url, pool_size=3))
    yield database
    await database.dispose()


def relay_of(cj, db, metrics: Metrics) -> OutboxRelay:
    return OutboxRelay(
        cj.js, db, metrics, namespace=cj.ns, interval_s=60, max_payload=cj.nc.max_payload
    )


def failed(batch_id: str, metadata_bytes: int = 0) -> events_pb2.AssessmentFailed:
    """A failed event; `metadata_bytes` of caller metadata (the issue's 1.1 MB batch)."""
    metadata = {"blob": "x" * metadata_bytes} if metadata_bytes else {}
    return events_pb2.AssessmentFailed(assessment_id=batch_id, detail="stalled", metadata=metadata)


async def write(db, batch_id: str, events: list[tuple[str, str, object]]) -> None:
    """Rows as a version without size checks wrote them: (kind, subject, message)."""
    async with db.transaction() as conn:
        for kind, subject, message in events:
            await outbox_repo.add_event(
                conn, batch_id=batch_id, kind=kind, subject=subject, message=message
            )


def terminal(batch_id: str, metadata_bytes: int = 0) -> list[tuple[str, str, object]]:
    return [
        ("failed", subjects.CJ_ASSESSMENT_FAILED, failed(batch_id, metadata_bytes)),
        (
            "consumption",
            subjects.CJ_RESOURCE_CONSUMPTION,
            events_pb2.ResourceConsumption(assessment_id=batch_id),
        ),
    ]


async def relay_all(relay: OutboxRelay) -> None:
    while await relay.relay_once():
        pass


async def published(cj) -> list[tuple[str, str]]:
    return [(m.assessment_id, type(m).__name__) for _, m in await cj.events(timeout=0.5)]


async def dead_rows(db) -> list[tuple[str, str, str]]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(outbox.c.batch_id, outbox.c.kind, outbox.c.dead_reason)
            .where(outbox.c.dead_at.is_not(None))
            .order_by(outbox.c.seq)
        )
        return [tuple(r) for r in rows]


def both(batch_id: str) -> list[tuple[str, str]]:
    return [(batch_id, "AssessmentFailed"), (batch_id, "ResourceConsumption")]


async def test_an_event_over_the_max_payload_is_dead_lettered_and_later_batches_publish(cj, db):
    poisoned, later = unique_name("b"), [unique_name("b") for _ in range(3)]
    await write(db, poisoned, terminal(poisoned, metadata_bytes=1_100_000))
    for batch_id in later:
        await write(db, batch_id, terminal(batch_id))
    metrics = Metrics()
    await relay_all(relay_of(cj, db, metrics))
    expected = [(poisoned, "ResourceConsumption")] + [e for b in later for e in both(b)]
    assert await published(cj) == expected
    ((batch_id, kind, reason),) = await dead_rows(db)
    assert (batch_id, kind) == (poisoned, "failed") and "max payload" in reason
    dead = metrics.registry.get_sample_value(
        "huleedu_cj_outbox_dead_lettered_total", {"kind": "failed"}
    )
    assert dead == 1


async def test_headers_that_push_an_event_over_the_limit_dead_letter_it_without_a_disconnect(
    cj, db
):
    """nats-py checks only the payload; the server counts the headers too and would close the
    connection, so the relay checks the whole message itself."""
    edge, after = unique_name("b"), unique_name("b")
    payload_only = cj.nc.max_payload - len(failed(edge).SerializeToString()) - 16
    await write(db, edge, terminal(edge, metadata_bytes=payload_only)[:1])
    await write(db, after, terminal(after))
    await relay_all(relay_of(cj, db, Metrics()))
    assert await published(cj) == both(after)
    assert [(b, k) for b, k, _ in await dead_rows(db)] == [(edge, "failed")]
    assert cj.nc.is_connected


async def test_a_row_nats_refuses_for_any_other_reason_is_dead_lettered_too(cj, db):
    broken, after = unique_name("b"), unique_name("b")
    await write(db, broken, terminal(broken)[:1])
    async with db.transaction() as conn:  # a header NATS refuses (a bad migration, a bug)
        await conn.execute(
            update(outbox).where(outbox.c.batch_id == broken).values(headers={"bad key": "x"})
        )
    await write(db, after, terminal(after))
    await relay_all(relay_of(cj, db, Metrics()))
    assert await published(cj) == both(after)
    ((batch_id, _, reason),) = await dead_rows(db)
    assert batch_id == broken and reason.startswith("BadHeaderError")


async def test_a_transient_failure_stops_the_page_and_keeps_what_was_published(cj, db):
    first, blocked, last = unique_name("b"), unique_name("b"), unique_name("b")
    await write(db, first, terminal(first))
    # No stream takes this subject yet: JetStream answers "no responders", as when NATS
    # restarts without its streams. Nothing is wrong with the event itself.
    lost = ("failed", "x.nostream", failed(blocked))
    await write(db, blocked, [lost])
    await write(db, last, terminal(last))
    relay = relay_of(cj, db, Metrics())
    assert await relay.relay_once() == 2
    assert await published(cj) == both(first)
    assert await dead_rows(db) == []
    events = cj_events_stream(cj.ns)
    await ensure_stream(cj.js, StreamSpec(
        name=events.name + "_X", subjects=(cj.ns.subject("x.>"),), retention=events.retention,
        max_age=60, duplicate_window=60,
    ))
    try:
        await relay_all(relay)
        assert await published(cj) == both(first) + both(last)
        async with db.read() as conn:
            (row,) = await outbox_repo.events_of(conn, blocked)
        assert row.published_at is not None and row.dead_at is None
    finally:
        await cj.js.delete_stream(events.name + "_X")
