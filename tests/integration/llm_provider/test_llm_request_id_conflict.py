"""A request_id names one request: the same body again is an idempotent duplicate, another
body under it is REQUEST_ID_CONFLICT, across calls, replicas and restarts."""

from __future__ import annotations

import pytest

from tests.integration.llm_provider.support import comparison, once_each, submit

pytestmark = pytest.mark.integration
NO_WORKERS = {"LLM_PROVIDER_WORKERS_ENABLED": "false"}


def shape(outcomes) -> list[tuple[str, bool, bool, str]]:
    return [(o.request_id, o.accepted, o.duplicate, o.rejection_reason) for o in outcomes]


async def test_the_same_body_again_is_a_duplicate_and_another_body_a_conflict(
    start_service, stub_for, results
):
    stub = stub_for(await start_service())
    first = await submit(stub, comparison("r1", essay_a="The first essay."))
    same = await submit(stub, comparison("r1", essay_a="The first essay."))
    other = await submit(stub, comparison("r1", essay_a="A different essay."))
    assert shape(first) == [("r1", True, False, "")]
    assert shape(same) == [("r1", True, True, "")]
    assert shape(other) == [("r1", False, False, "REQUEST_ID_CONFLICT")]
    assert "r1" in other[0].rejection_message
    [result] = await results.wait_for(1)
    assert result.request_id == "r1" and once_each(await results.results())


async def test_a_conflict_inside_one_call_refuses_the_second_body(start_service, stub_for):
    stub = stub_for(await start_service(NO_WORKERS))
    outcomes = await submit(stub, comparison("r2"), comparison("r2"),
                            comparison("r2", essay_b="Changed."))
    assert shape(outcomes) == [("r2", True, False, ""), ("r2", True, True, ""),
                               ("r2", False, False, "REQUEST_ID_CONFLICT")]


async def test_ttl_and_correlation_id_are_delivery_details_not_the_body(start_service, stub_for):
    stub = stub_for(await start_service(NO_WORKERS))
    await submit(stub, comparison("r3"))
    later = comparison("r3", ttl_s=600.0)
    later.correlation_id = "another-trace"
    assert shape(await submit(stub, later)) == [("r3", True, True, "")]


async def test_other_replicas_and_restarts_remember_the_body(start_service, stub_for):
    one = await start_service(NO_WORKERS)
    await submit(stub_for(one), comparison("r4"))
    two = await start_service(NO_WORKERS)
    assert shape(await submit(stub_for(two), comparison("r4", model="simulated-priced"))) == [
        ("r4", False, False, "REQUEST_ID_CONFLICT")]
    await one.stop(0.5)
    await two.stop(0.5)
    restarted = await start_service(NO_WORKERS)
    stub = stub_for(restarted)
    assert shape(await submit(stub, comparison("r4", key="other"))) == [
        ("r4", False, False, "REQUEST_ID_CONFLICT")]
    assert shape(await submit(stub, comparison("r4"))) == [("r4", True, True, "")]
