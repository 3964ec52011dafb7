"""The outbox relay's claim: rows in the order written, and never a batch's later event while
another relay still holds an earlier one (so a batch's events cannot overtake each other)."""

from __future__ import annotations

import pytest

from cj_service.adapters import outbox_repo
from cj_service.adapters.db import Database, create_engine
from contracts.huleedu.events.v1 import events_pb2
from tests.fixtures import unique_name
from tests.integration.cj_service.cj_fixtures import *  # noqa: F403

pytestmark = pytest.mark.integration


@pytest.fixture
async def db(cj):
    """The service's database with the service stopped: no relay publishes behind the test."""
    await cj.app.stop(grace=0)
    database = Database(create_engine(cj.app.config.database_url, pool_size=3))
    yield database
    await database.dispose()


async def write_events(db, batch_id: str, kinds: list[str]) -> None:
    async with db.transaction() as conn:
        for kind in kinds:
            message = events_pb2.ResourceConsumption(assessment_id=batch_id)
            await outbox_repo.add_event(
                conn, batch_id=batch_id, kind=kind, subject=f"x.{kind}", message=message
            )


async def test_rows_are_claimed_in_the_order_they_were_written(db):
    batch, kinds = unique_name("b"), ["completed", "result", "consumption"]
    await write_events(db, batch, kinds)
    async with db.transaction() as conn:
        rows = await outbox_repo.claim_unpublished(conn, limit=10)
    assert [r.kind for r in rows if r.batch_id == batch] == kinds


async def test_a_batchs_later_event_waits_while_another_relay_holds_an_earlier_one(db):
    batch, other = unique_name("b"), unique_name("b")
    await write_events(db, batch, ["cancelled", "consumption"])
    await write_events(db, other, ["failed", "consumption"])
    async with db.transaction() as first:
        held = await outbox_repo.claim_unpublished(first, limit=1)  # another relay's page
        assert [(r.batch_id, r.kind) for r in held] == [(batch, "cancelled")]
        async with db.transaction() as second:
            rows = await outbox_repo.claim_unpublished(second, limit=10)
            await outbox_repo.mark_published(second, [r.id for r in rows])
        assert [(r.batch_id, r.kind) for r in rows] == [(other, "failed"), (other, "consumption")]
        await outbox_repo.mark_published(first, [r.id for r in held])
    async with db.transaction() as third:
        rows = await outbox_repo.claim_unpublished(third, limit=10)
    assert [(r.batch_id, r.kind) for r in rows] == [(batch, "consumption")]
