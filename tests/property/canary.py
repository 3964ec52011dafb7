"""Canary batches: ordinary assessments of sample essays that run alongside the fuzz and must
finish with their events, so a poison input that stalls batches or blocks the bus shows.

A bystander canary is nobody's target: it must COMPLETE and its completed, result and
consumption events must reach a subscriber. A targeted canary is the batch forged results are
aimed at (``live_comparison``): it must end (a poisoned verdict may fail alone) but never stay
running or end STALLED, and the events of its ending must arrive.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from contracts import headers, subjects
from contracts.huleedu.cj.v1 import cj_pb2
from tests.property.calls import by_key, invoke
from tests.property.mesh import FuzzMesh
from tests.property.messages import with_fresh_ids
from tests.property.oracle import Tally
from tests.property.world import ENDED, ESSAYS, submit_request

KINDS = {subjects.CJ_ASSESSMENT_COMPLETED: "completed", subjects.CJ_ASSESSMENT_RESULT: "result",
         subjects.CJ_ASSESSMENT_FAILED: "failed", subjects.CJ_ASSESSMENT_CANCELLED: "cancelled",
         subjects.CJ_RESOURCE_CONSUMPTION: "consumption"}
TERMINAL = {cj_pb2.ASSESSMENT_STATE_COMPLETED: ("completed", "result"),
            cj_pb2.ASSESSMENT_STATE_FAILED: ("failed",),
            cj_pb2.ASSESSMENT_STATE_CANCELLED: ("cancelled",)}
FINISH_TIMEOUT_S = 180.0
EVENTS_TIMEOUT_S = 60.0
_LIVE_SQL = ("SELECT id FROM comparisons WHERE batch_id = ANY($1::text[]) "
             "AND status = 'SUBMITTED' ORDER BY seq")


class EventWatch:
    """The kinds of cj event each batch got, read from the cj events stream as they are stored
    (an ordered consumer: what a subscriber of the stream would get)."""

    def __init__(self, mesh: FuzzMesh) -> None:
        self.seen: dict[str, set[str]] = defaultdict(set)
        self._prefix = mesh.ns.subject("")
        self._sub = mesh.bg.run(mesh.nc.jetstream().subscribe(
            mesh.ns.subject(subjects.CJ_EVENTS_ALL), stream=mesh.ns.name("HULEEDU_CJ_EVENTS"),
            cb=self._on_event, ordered_consumer=True))

    async def _on_event(self, msg: Any) -> None:
        subject = msg.subject.removeprefix(self._prefix)
        try:
            event = headers.decode(msg.data, msg.headers)
        except headers.UndecodableMessage:
            return
        batch_id = getattr(event, "assessment_id", "") or event.assessment.assessment_id
        self.seen[batch_id].add(KINDS.get(subject, subject))


@dataclass
class Canary:
    batch_id: str
    targeted: bool


class Canaries:
    def __init__(self, mesh: FuzzMesh, watch: EventWatch) -> None:
        self._mesh, self._watch = mesh, watch
        self.live: list[Canary] = []
        self._submit = by_key("CJAssessmentService/SubmitAssessment")

    def submit(self, *, targeted: bool = False, seed: int = 1) -> Canary:
        texts, budget = (ESSAYS[:10], 40) if targeted else (ESSAYS[16:22], 12)
        request = with_fresh_ids(submit_request(texts, budget=budget, seed=seed))
        found = invoke(self._mesh, self._submit, request)
        if not found.ok:
            raise RuntimeError(f"canary refused: {found.code} {found.message}")
        canary = Canary(found.response.assessment.assessment_id, targeted)
        self.live.append(canary)
        return canary

    def live_comparison(self, k: int) -> str | None:
        """The k-th (mod n) comparison a targeted canary is waiting for, if any."""
        targets = [c.batch_id for c in self.live if c.targeted]
        rows = self._mesh.fetch("cj", _LIVE_SQL, targets) if targets else []
        return rows[k % len(rows)]["id"] if rows else None

    def settle(self, tally: Tally) -> list[str]:
        """Wait for every live canary; count stalled ones and missing events into ``tally``."""
        ended = self._wait(FINISH_TIMEOUT_S)
        problems = []
        for canary in self.live:
            found = ended.get(canary.batch_id)
            if not self._finished_well(canary, found):
                tally.stalled += 1
                problems.append(f"canary {canary.batch_id} (targeted={canary.targeted}) "
                                f"did not finish: {_summary(found)}")
                continue
            missing = self._missing_events(canary.batch_id, found)
            tally.blocked_events += len(missing)
            if missing:
                problems.append(f"canary {canary.batch_id} finished but never got {missing}")
        self.live.clear()
        return problems

    @staticmethod
    def _finished_well(canary: Canary, found: cj_pb2.Assessment | None) -> bool:
        if found is None or found.state not in ENDED:
            return False
        stalled = (found.completion_reason == cj_pb2.COMPLETION_REASON_STALLED
                   or found.failure_reason == cj_pb2.FAILURE_REASON_STALLED)
        if canary.targeted:
            return not stalled
        return found.state == cj_pb2.ASSESSMENT_STATE_COMPLETED and not stalled

    def _missing_events(self, batch_id: str, found: cj_pb2.Assessment) -> list[str]:
        wanted = {*TERMINAL[found.state], "consumption"}
        deadline = time.monotonic() + EVENTS_TIMEOUT_S
        while not wanted <= self._watch.seen[batch_id] and time.monotonic() < deadline:
            time.sleep(0.25)
        return sorted(wanted - self._watch.seen[batch_id])

    def _wait(self, timeout_s: float) -> dict[str, cj_pb2.Assessment]:
        get = by_key("CJAssessmentService/GetAssessment")
        deadline, latest = time.monotonic() + timeout_s, {}
        while True:
            for canary in self.live:
                found = invoke(self._mesh, get, cj_pb2.GetAssessmentRequest(
                    assessment_id=canary.batch_id))
                if found.ok:
                    latest[canary.batch_id] = found.response.assessment
            if all(a.state in ENDED for a in latest.values()) and len(latest) == len(self.live):
                return latest
            if time.monotonic() > deadline:
                return latest
            time.sleep(0.5)


def _summary(found: cj_pb2.Assessment | None) -> str:
    if found is None:
        return "never answered GetAssessment"
    return (f"{cj_pb2.AssessmentState.Name(found.state)} "
            f"{cj_pb2.CompletionReason.Name(found.completion_reason)} "
            f"{cj_pb2.FailureReason.Name(found.failure_reason)} {found.detail[:120]!r} "
            f"done={found.progress.comparisons_done}/{found.progress.budget}")
