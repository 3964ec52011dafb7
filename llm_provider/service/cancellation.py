"""CancelComparisons: record a cancelled group, and cut off this replica's calls of it.

The group is recorded durably (a KV bucket every replica watches); each replica keeps the
requests it is working on in an `InFlight` registry, so a cancellation learnt from the
watch (or made here) cancels the asyncio task of every call of that group at once. Queued
requests of the group find it cancelled when they are delivered and make no call.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from contracts import errors
from contracts.huleedu.llm.v1 import llm_pb2
from llm_provider.service.validation import check_cancel

log = structlog.get_logger("llm_provider.cancellation")


class CancelledGroups(Protocol):
    def reason(self, group_id: str) -> str | None: ...

    async def cancel(self, group_id: str, reason: str) -> bool: ...


@dataclass(eq=False)
class Ticket:
    """One request being handled; `task` is set while its call (or wait for one) runs."""

    group_id: str
    task: asyncio.Task[None] | None = None
    reason: str | None = None

    def cancel(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
            if self.task is not None:
                self.task.cancel()


@dataclass
class InFlight:
    _groups: dict[str, set[Ticket]] = field(default_factory=dict)

    def enter(self, group_id: str) -> Ticket:
        ticket = Ticket(group_id)
        if group_id:
            self._groups.setdefault(group_id, set()).add(ticket)
        return ticket

    def leave(self, ticket: Ticket) -> None:
        tickets = self._groups.get(ticket.group_id)
        if tickets is not None:
            tickets.discard(ticket)
            if not tickets:
                del self._groups[ticket.group_id]

    def cancel(self, group_id: str, reason: str) -> int:
        """Cancel every request of the group handled here; returns how many."""
        tickets = self._groups.pop(group_id, set())
        for ticket in tickets:
            ticket.cancel(reason)
        return len(tickets)


async def cancel_comparisons(groups: CancelledGroups, request: llm_pb2.CancelComparisonsRequest
                             ) -> llm_pb2.CancelComparisonsResponse:
    check_cancel(request)
    reason = request.reason or "cancelled by the caller"
    try:
        new = await groups.cancel(request.group_id, reason)
    except Exception as exc:
        raise errors.unavailable("DEPENDENCY_UNAVAILABLE",
                                 f"cancellations bucket unavailable: {exc!r}") from exc
    log.info("comparisons cancelled", group_id=request.group_id, reason=reason, new=new)
    return llm_pb2.CancelComparisonsResponse(cancelled=new)
