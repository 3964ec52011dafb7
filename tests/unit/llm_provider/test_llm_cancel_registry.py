"""The in-flight registry CancelComparisons cuts calls off through, and group id checks."""

from __future__ import annotations

import asyncio

import pytest

from contracts import errors
from contracts.huleedu.llm.v1 import llm_pb2
from contracts.text import problem
from llm_provider.domain.manifest import build_manifest
from llm_provider.service.cancellation import InFlight, cancel_comparisons
from llm_provider.service.validation import ID, OPTIONAL_ID, validate


async def test_cancelling_a_group_cancels_the_running_calls_of_that_group_only():
    registry = InFlight()
    first, second, other = registry.enter("g"), registry.enter("g"), registry.enter("h")
    for ticket in (first, second, other):
        ticket.task = asyncio.create_task(asyncio.sleep(10))
    assert registry.cancel("g", "done") == 2
    await asyncio.sleep(0)
    assert first.task.cancelled() and second.task.cancelled() and not other.task.done()
    assert first.reason == second.reason == "done" and other.reason is None
    assert registry.cancel("g", "again") == 0
    other.task.cancel()


def test_a_ticket_without_a_task_remembers_the_cancellation():
    registry = InFlight()
    ticket = registry.enter("g")
    registry.cancel("g", "stopped")
    assert ticket.reason == "stopped"
    registry.leave(ticket)  # leaving after a cancel is harmless


def test_requests_without_a_group_are_not_registered():
    registry = InFlight()
    ticket = registry.enter("")
    assert registry.cancel("", "x") == 0 and ticket.reason is None
    registry.leave(ticket)


def test_left_tickets_are_not_cancelled():
    registry = InFlight()
    ticket = registry.enter("g")
    registry.leave(ticket)
    assert registry.cancel("g", "late") == 0 and ticket.reason is None


@pytest.mark.parametrize(("value", "required", "ok"), [
    ("assessment-1", True, True), ("", False, True), ("", True, False),
    ("a" * 256, True, True), ("a" * 257, True, False), ("new\nline", True, False),
    ("åäö id", True, True),
])
def test_group_ids_are_printable_and_bounded(value, required, ok):
    assert (problem("group_id", value, ID if required else OPTIONAL_ID) is None) == ok


@pytest.mark.parametrize(("group_id", "reason"), [
    ("x" * 300, "CONTENT_TOO_LARGE"), ("tab\there", "INVALID_ARGUMENT")])
def test_intake_rejects_a_malformed_group_id(group_id, reason):
    request = llm_pb2.ComparisonRequest(
        request_id="r", results_subject_key="cj", group_id=group_id,
        prompt=llm_pb2.PromptParts(system_prompt="s", essay_a_text="a", essay_b_text="b"))
    rejection = validate(request, manifest=build_manifest(), providers={})
    assert rejection is not None and rejection.reason == reason
    assert "group_id" in rejection.message


class _Groups:
    def __init__(self, *, fail: bool = False):
        self.cancelled: dict[str, str] = {}
        self.fail = fail

    def reason(self, group_id: str) -> str | None:
        return self.cancelled.get(group_id)

    async def cancel(self, group_id: str, reason: str) -> bool:
        if self.fail:
            raise ConnectionError("nats down")
        new = group_id not in self.cancelled
        self.cancelled.setdefault(group_id, reason)
        return new


async def test_cancel_comparisons_is_idempotent_and_defaults_the_reason():
    groups = _Groups()
    request = llm_pb2.CancelComparisonsRequest(group_id="g")
    assert (await cancel_comparisons(groups, request)).cancelled
    assert not (await cancel_comparisons(groups, request)).cancelled
    assert groups.cancelled["g"] == "cancelled by the caller"


async def test_cancel_comparisons_errors():
    with pytest.raises(errors.ServiceError) as invalid:
        await cancel_comparisons(_Groups(), llm_pb2.CancelComparisonsRequest())
    assert invalid.value.reason == "INVALID_ARGUMENT"
    with pytest.raises(errors.ServiceError) as down:
        await cancel_comparisons(_Groups(fail=True),
                                 llm_pb2.CancelComparisonsRequest(group_id="g"))
    assert down.value.reason == "DEPENDENCY_UNAVAILABLE"
