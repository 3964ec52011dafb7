"""Essays by content id at any count: cj fetches them from the real content service in chunks
within its per-call limits (1000 ids, 48 MiB), so a batch may name as many essays by content
id as inline (issue 20: D9)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from contracts.huleedu.cj.v1 import cj_pb2
from tests.fixtures import unique_name
from tests.integration.cj_service.cj_fixtures import *  # noqa: F403
from tests.integration.cj_service.cj_harness import CJ

pytestmark = pytest.mark.integration


async def stored_essays(cj: CJ, n: int) -> list[str]:
    marker = unique_name("essay")
    limit = asyncio.Semaphore(16)

    async def put(i: int) -> str:
        async with limit:
            return await cj.put_text(f"Stored essay {i} of {marker}. " * 4)

    return list(await asyncio.gather(*(put(i) for i in range(n))))


async def test_a_batch_of_1001_essays_by_content_id_is_accepted_with_every_text(cj_content):
    cj = cj_content
    ids = await stored_essays(cj, 1_001)
    essays = [cj_pb2.EssayInput(essay_id=f"e{i}", content_id=c) for i, c in enumerate(ids)]
    response = await cj.submit(essays, stopping=cj_pb2.StoppingOptions(max_in_flight=4))
    a = response.assessment
    assert (a.state, a.essay_count) == (cj_pb2.ASSESSMENT_STATE_RUNNING, 1_001)
    async with cj.app.deps.db.read() as conn:
        rows = await conn.execute(
            text("SELECT essay_id, text FROM batch_essays WHERE batch_id = :b"),
            {"b": a.assessment_id},
        )
        texts = {r.essay_id: r.text for r in rows}
    assert len(texts) == 1_001
    assert all(texts[f"e{i}"].startswith(f"Stored essay {i} of ") for i in range(1_001))


async def test_the_content_client_fetches_any_number_of_ids_in_one_call(cj_content):
    cj = cj_content
    ids = await stored_essays(cj, 2_500)
    missing = "0" * 64
    texts = await cj.app.deps.fetch_texts([*ids, missing, ids[0]])
    assert len(texts) == 2_500 and missing not in texts
    assert texts[ids[2_499]].startswith("Stored essay 2499 of ")
