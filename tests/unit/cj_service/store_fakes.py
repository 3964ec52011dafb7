"""In-memory fakes of the workflow's storage ports (service/workflow/ports.py), keeping the
PostgreSQL adapters' contract: a unit of work that raises leaves nothing behind, a saved
assessment gets a new version, a comparison's outcome is recorded once."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from cj_service.domain.assessment import Assessment
from cj_service.service.workflow import model as m
from cj_service.service.workflow import ports
from cj_service.service.workflow import records as rec

T0 = datetime(2025, 1, 1, tzinfo=UTC)
TOKENS = ("prompt_tokens", "completion_tokens", "cache_read_tokens", "cache_write_tokens")


@dataclasses.dataclass
class Row:
    """A stored comparison: its plan, where it stands, and what its result recorded."""

    id: str
    batch_id: str
    seq: int
    idx_a: int
    idx_b: int
    pair_attempt: int
    chain: int | None
    status: str = m.Status.PENDING.value
    requeued: bool = False
    winner: int = 0
    probability_a: float | None = None
    confidence: int = 0
    justification: str = ""
    provider: str = ""
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0
    prompt_sha256: str = ""
    attempts: int = 0
    error: bytes | None = None
    error_retryable: bool = False
    created_at: datetime = T0
    submitted_at: datetime | None = None
    completed_at: datetime | None = None


@dataclasses.dataclass
class Tables:
    assessments: dict[str, Assessment] = dataclasses.field(default_factory=dict)
    results: dict[str, Any] = dataclasses.field(default_factory=dict)  # FinalResults
    essays: dict[str, list[m.ResolvedEssay]] = dataclasses.field(default_factory=dict)
    shown: dict[tuple[str, int], list[int]] = dataclasses.field(default_factory=dict)
    snapshots: dict[str, list[rec.Snapshot]] = dataclasses.field(default_factory=dict)
    claims: dict[tuple[str, str], rec.Claim] = dataclasses.field(default_factory=dict)
    comparisons: dict[str, Row] = dataclasses.field(default_factory=dict)
    events: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (id, kind)


class FakeAssessments(ports.AssessmentRepository):
    def __init__(self, t: Tables, clock: ports.Clock) -> None:
        self.t, self.clock = t, clock

    async def add(self, assessment: Assessment, essays: Sequence[m.ResolvedEssay]) -> None:
        self.t.assessments[assessment.id] = assessment
        self.t.essays[assessment.id] = list(essays)

    async def get(self, assessment_id: str) -> Assessment | None:
        return self.t.assessments.get(assessment_id)

    lock = get  # one task at a time: nothing to wait for

    async def lock_stalled(self, assessment_id: str) -> Assessment | None:
        a = self.t.assessments.get(assessment_id)
        return a if a is not None and assessment_id in await self.stalled_ids() else None

    async def lock_live(self, assessment_id: str) -> Assessment | None:
        a = self.t.assessments.get(assessment_id)
        return a if a is not None and a.is_live else None

    async def save(
        self, before: Assessment, after: Assessment, *, results: Any = None
    ) -> Assessment:
        if results is not None:
            self.t.results[after.id] = results
        if after == before and results is None:
            return after
        stored = dataclasses.replace(after, version=before.version + 1,
                                     updated_at=self.clock.now())
        self.t.assessments[after.id] = stored
        return stored

    async def results(self, assessment_id: str) -> bytes | None:
        return self.t.results.get(assessment_id)

    async def essays(self, assessment_id: str) -> list[rec.EssayEntry]:
        return [rec.EssayEntry(i, e.essay_id, e.display_name, e.is_anchor, e.anchor_grade)
                for i, e in enumerate(self.t.essays[assessment_id])]

    async def essay_texts(self, assessment_id: str, idxs: Iterable[int]) -> dict[int, str]:
        return {i: self.t.essays[assessment_id][i].text for i in set(idxs)}

    async def add_orientation(
        self, assessment_id: str, pairs: Sequence[tuple[int, int]]
    ) -> None:
        for a, b in pairs:
            self.t.shown.setdefault((assessment_id, a), [0, 0])[0] += 1
            self.t.shown.setdefault((assessment_id, b), [0, 0])[1] += 1

    async def add_snapshot(self, assessment_id: str, snapshot: rec.Snapshot) -> None:
        self.t.snapshots.setdefault(assessment_id, []).append(snapshot)

    async def snapshots(self, assessment_id: str) -> list[rec.Snapshot]:
        return list(self.t.snapshots.get(assessment_id, []))

    async def page(self, *, limit: int, state: str, after: Any) -> list[Assessment]:
        raise NotImplementedError  # the read side's

    async def claim_request(
        self, operation: str, request_id: str, *, fingerprint: str, assessment_id: str
    ) -> bool:
        if (operation, request_id) in self.t.claims:
            return False
        self.t.claims[operation, request_id] = rec.Claim(fingerprint, assessment_id)
        return True

    async def find_request(self, operation: str, request_id: str) -> rec.Claim | None:
        return self.t.claims.get((operation, request_id))

    async def stalled_ids(self) -> list[str]:
        now = self.clock.now()
        return [a.id for a in self.t.assessments.values() if a.is_live and a.progress_at
                and a.progress_at < now - timedelta(seconds=a.stall_timeout_s)]

    # The watchdog's and the gauges' reads: not what these unit tests exercise.
    async def impatient_ids(self) -> list[str]:
        raise NotImplementedError

    async def uncancelled(self, *, settle_s: float, within_s: float) -> list[tuple[str, str, str]]:
        raise NotImplementedError

    async def mark_llm_cancelled(self, assessment_id: str) -> None:
        raise NotImplementedError

    async def count_by_state(self) -> dict[str, int]:
        raise NotImplementedError

    async def in_flight_total(self) -> int:
        raise NotImplementedError


class FakeComparisons(ports.ComparisonRepository):
    def __init__(self, t: Tables, clock: ports.Clock) -> None:
        self.t, self.clock = t, clock

    def _of(self, assessment_id: str, *statuses: str) -> list[Row]:
        rows = [r for r in self.t.comparisons.values() if r.batch_id == assessment_id
                and (not statuses or r.status in statuses)]
        return sorted(rows, key=lambda r: r.seq)

    async def add_planned(self, assessment_id: str, pairs: Sequence[m.PlannedPair]) -> None:
        for p in pairs:
            seq = len(self.t.comparisons) + 1
            self.t.comparisons[f"c{seq}"] = Row(f"c{seq}", assessment_id, seq, p.idx_a, p.idx_b,
                                                p.pair_attempt, p.chain,
                                                created_at=self.clock.now())

    async def mark_requeued(self, comparison_ids: Sequence[str]) -> None:
        for cid in comparison_ids:
            self.t.comparisons[cid].requeued = True

    async def sent(self, comparison_ids: Sequence[str]) -> list[rec.Sent]:
        rows = [self.t.comparisons[c] for c in comparison_ids if c in self.t.comparisons]
        return [rec.Sent(r.id, r.batch_id, r.status, r.submitted_at, r.created_at, r.idx_a, r.idx_b,
                     r.chain) for r in rows]

    async def owners(self, comparison_ids: Sequence[str]) -> dict[str, str]:
        return {c: self.t.comparisons[c].batch_id for c in comparison_ids
                if c in self.t.comparisons}

    async def record(self, outcomes: Sequence[rec.Recorded]) -> None:
        for o in outcomes:
            values = o._asdict()
            row = self.t.comparisons[values.pop("cid")]
            row.status = values.pop("new_status")
            for name, value in values.items():
                setattr(row, name, value)
            row.completed_at = self.clock.now()

    async def record_late(self, spend: rec.LateSpend) -> bool:
        row = self.t.comparisons.get(spend.cid)
        if row is None or row.status != m.Status.ABANDONED or row.attempts:
            return False
        for name, value in spend._asdict().items():
            if name != "cid":
                setattr(row, name, value)
        return True

    async def mark_submitted(self, comparison_ids: Sequence[str]) -> None:
        for cid in comparison_ids:
            row = self.t.comparisons[cid]
            if row.status == m.Status.PENDING:
                row.status, row.submitted_at = m.Status.SUBMITTED.value, self.clock.now()

    async def abandon_in_flight(self, assessment_id: str) -> None:
        for row in self._of(assessment_id, *m.IN_FLIGHT):
            row.status, row.completed_at = m.Status.ABANDONED.value, self.clock.now()

    async def pending(self, assessment_id: str, *, limit: int) -> list[rec.Pending]:
        return [rec.Pending(r.id, r.idx_a, r.idx_b)
                for r in self._of(assessment_id, m.Status.PENDING.value)[:limit]]

    async def with_old_pending(self, *, older_than_s: float) -> list[str]:
        raise NotImplementedError  # the recovery loop's read

    async def open(self, assessment_id: str) -> list[rec.OpenComparison]:
        return [rec.OpenComparison(r.id, r.idx_a, r.idx_b, r.status, r.pair_attempt, r.requeued,
                               r.error_retryable, r.chain)
                for r in self._of(assessment_id) if r.status != m.Status.JUDGED]

    async def judged(self, assessment_id: str) -> list[rec.Verdict]:
        judged = self._of(assessment_id, m.Status.JUDGED.value)
        return [rec.Verdict(*(getattr(r, f) for f in rec.Verdict._fields)) for r in judged]

    async def usage_by_model(self, assessment_id: str) -> list[rec.ModelSpend]:
        spent: dict[tuple[str, str], list[Row]] = {}
        for r in self._of(assessment_id, m.Status.JUDGED.value, m.Status.FAILED.value):
            spent.setdefault((r.provider, r.model), []).append(r)
        return [rec.ModelSpend(p, m, len(rows), *(sum(getattr(r, t) for r in rows) for t in TOKENS),
                           sum(r.cost_usd for r in rows))
                for (p, m), rows in sorted(spent.items())]

    async def page(
        self, assessment_id: str, *, after_seq: int, limit: int
    ) -> list[rec.StoredComparison]:
        rows = [r for r in self._of(assessment_id) if r.seq > after_seq][:limit]
        fields = rec.StoredComparison._fields
        return [rec.StoredComparison(*(getattr(r, f) for f in fields)) for r in rows]

    async def count_status(self, assessment_id: str, status: str) -> int:
        return len(self._of(assessment_id, status))


class FakeEvents(ports.EventOutbox):
    def __init__(self, t: Tables) -> None:
        self.t = t

    async def completed(self, a: Assessment, results: Any) -> None:
        self.t.events += [(a.id, "completed"), (a.id, "result"), (a.id, "consumption")]

    async def failed(self, a: Assessment) -> None:
        self.t.events += [(a.id, "failed"), (a.id, "consumption")]

    async def cancelled(self, a: Assessment) -> None:
        self.t.events += [(a.id, "cancelled"), (a.id, "consumption")]


class FakeUnit(ports.UnitOfWork):
    def __init__(self, t: Tables, clock: ports.Clock) -> None:
        self.assessments = FakeAssessments(t, clock)
        self.comparisons = FakeComparisons(t, clock)
        self.events = FakeEvents(t)


class _Transaction:
    """A class, not a generator: contextlib would set __traceback__ on the frozen
    ServiceErrors the use cases raise (adapters/db.py says the same)."""

    def __init__(self, store: InMemoryStore, *, writes: bool) -> None:
        self._store, self._writes = store, writes
        self._before = copy.deepcopy(store.t)

    async def __aenter__(self) -> ports.UnitOfWork:
        return FakeUnit(self._store.t, self._store.clock)

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None or not self._writes:
            self._store.t.__dict__.update(self._before.__dict__)
        else:
            self._store.commits += 1


class InMemoryStore(ports.Store):
    """`commits` counts the units of work that committed; a read commits nothing."""

    def __init__(self, clock: ports.Clock) -> None:
        self.t, self.clock, self.commits = Tables(), clock, 0

    def transaction(self) -> _Transaction:
        return _Transaction(self, writes=True)

    def read(self) -> _Transaction:
        return _Transaction(self, writes=False)
