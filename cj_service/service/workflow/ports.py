"""The ports the assessment workflow depends on; adapters and test fakes subclass them.

Every method takes and returns domain values (cj_service.domain.assessment) or the plain
records of model.py. What one step changes is written through one `UnitOfWork`, so it commits
together or not at all; a step holds its assessment's lock (`AssessmentRepository.lock`) for
the whole unit, which serialises the steps of one assessment across replicas.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime

from cj_service.domain.assessment import Assessment
from cj_service.domain.judge_rules import ModelLimits
from cj_service.service.workflow.model import JudgeSettings, PlannedPair, ResolvedEssay
from cj_service.service.workflow.records import (
    Claim,
    EssayEntry,
    LateSpend,
    ModelSpend,
    OpenComparison,
    Pending,
    ProviderStatus,
    Recorded,
    Sent,
    Snapshot,
    StoredComparison,
    Submission,
    ToJudge,
    Verdict,
)
from cj_service.service.workflow.results import FinalResults


class JudgeUnavailable(Exception):
    """llm_provider did not answer; what was asked may be asked again later."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code, self.detail = code, detail


class CancelUnsupported(Exception):
    """This llm_provider has no way to cancel comparisons."""


# The content service's texts of any number of ids, fetched in chunks; missing ids left out.
FetchTexts = Callable[[Sequence[str]], Awaitable[Mapping[str, str]]]


class AssessmentRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, assessment: Assessment, essays: Sequence[ResolvedEssay]) -> None:
        """Store a new assessment and its essays (in this order; idx is the position)."""

    @abc.abstractmethod
    async def get(self, assessment_id: str) -> Assessment | None: ...

    @abc.abstractmethod
    async def lock(self, assessment_id: str) -> Assessment | None:
        """The assessment, locked until the unit ends (waits for another step's lock)."""

    @abc.abstractmethod
    async def lock_stalled(self, assessment_id: str) -> Assessment | None:
        """Locked when it is live, unlocked and still without progress for its stall
        timeout; None otherwise (a step holding it is never waited for)."""

    @abc.abstractmethod
    async def lock_live(self, assessment_id: str) -> Assessment | None:
        """Locked when it is live and unlocked; None otherwise (never waits)."""

    @abc.abstractmethod
    async def save(
        self, before: Assessment, after: Assessment, *, results: FinalResults | None = None
    ) -> Assessment:
        """Write what `after` changed since `before` (with the final results, when given);
        the stored assessment."""

    @abc.abstractmethod
    async def results(self, assessment_id: str) -> bytes | None:
        """The final results as stored (the serialized cj.v1 message), once it ended with
        them."""

    @abc.abstractmethod
    async def essays(self, assessment_id: str) -> Sequence[EssayEntry]:
        """Its essays in idx order."""

    @abc.abstractmethod
    async def essay_texts(self, assessment_id: str, idxs: Iterable[int]) -> dict[int, str]: ...

    @abc.abstractmethod
    async def add_orientation(
        self, assessment_id: str, pairs: Sequence[tuple[int, int]]
    ) -> None:
        """Count how often each essay was shown as A and as B."""

    @abc.abstractmethod
    async def add_snapshot(self, assessment_id: str, snapshot: Snapshot) -> None: ...

    @abc.abstractmethod
    async def snapshots(self, assessment_id: str) -> Sequence[Snapshot]:
        """The fit history, oldest first (scores and ses left empty)."""

    @abc.abstractmethod
    async def page(
        self, *, limit: int, state: str, after: tuple[datetime, str] | None
    ) -> Sequence[Assessment]:
        """Newest first; `after` = (created_at, id) of the last of the previous page."""

    @abc.abstractmethod
    async def claim_request(
        self, operation: str, request_id: str, *, fingerprint: str, assessment_id: str
    ) -> bool:
        """Record a request id; False when another call claimed it first."""

    @abc.abstractmethod
    async def find_request(self, operation: str, request_id: str) -> Claim | None: ...

    @abc.abstractmethod
    async def stalled_ids(self) -> Sequence[str]:
        """Live assessments without progress for longer than their stall timeout."""

    @abc.abstractmethod
    async def impatient_ids(self) -> Sequence[str]:
        """Live assessments with failures and no verdict for longer than their patience."""

    @abc.abstractmethod
    async def uncancelled(
        self, *, settle_s: float, within_s: float
    ) -> Sequence[tuple[str, str, str]]:
        """(id, state, reason) of those that ended between `within_s` and `settle_s` ago
        whose comparisons llm_provider has not confirmed cancelling."""

    @abc.abstractmethod
    async def mark_llm_cancelled(self, assessment_id: str) -> None: ...

    @abc.abstractmethod
    async def count_by_state(self) -> dict[str, int]: ...

    @abc.abstractmethod
    async def in_flight_total(self) -> int:
        """Comparisons in flight over every live assessment."""


class ComparisonRepository(abc.ABC):
    @abc.abstractmethod
    async def add_planned(self, assessment_id: str, pairs: Sequence[PlannedPair]) -> None:
        """Persist planned comparisons PENDING (before anything is sent)."""

    @abc.abstractmethod
    async def mark_requeued(self, comparison_ids: Sequence[str]) -> None: ...

    @abc.abstractmethod
    async def sent(self, comparison_ids: Sequence[str]) -> Sequence[Sent]: ...

    @abc.abstractmethod
    async def owners(self, comparison_ids: Sequence[str]) -> dict[str, str]:
        """comparison id -> assessment id, for the ids that exist."""

    @abc.abstractmethod
    async def record(self, outcomes: Sequence[Recorded]) -> None:
        """Write verdicts and errors of comparisons in flight (the caller checked)."""

    @abc.abstractmethod
    async def record_late(self, spend: LateSpend) -> bool:
        """A late result's spend on its abandoned comparison; False when one was already
        recorded (a redelivery is not counted twice)."""

    @abc.abstractmethod
    async def mark_submitted(self, comparison_ids: Sequence[str]) -> None: ...

    @abc.abstractmethod
    async def abandon_in_flight(self, assessment_id: str) -> None: ...

    @abc.abstractmethod
    async def pending(self, assessment_id: str, *, limit: int) -> Sequence[Pending]:
        """PENDING comparisons in the order they were planned."""

    @abc.abstractmethod
    async def with_old_pending(self, *, older_than_s: float) -> Sequence[str]:
        """Assessments with PENDING comparisons older than that (never accepted)."""

    @abc.abstractmethod
    async def open(self, assessment_id: str) -> Sequence[OpenComparison]:
        """Every comparison not yet judged, in the order planned."""

    @abc.abstractmethod
    async def judged(self, assessment_id: str) -> Sequence[Verdict]:
        """Every verdict, in the order planned."""

    @abc.abstractmethod
    async def usage_by_model(self, assessment_id: str) -> Sequence[ModelSpend]:
        """Spend per judge model over every comparison that produced a result."""

    @abc.abstractmethod
    async def page(
        self, assessment_id: str, *, after_seq: int, limit: int
    ) -> Sequence[StoredComparison]: ...

    @abc.abstractmethod
    async def count_status(self, assessment_id: str, status: str) -> int: ...


class EventOutbox(abc.ABC):
    """The events of an assessment that ended, written with the change that ends it and
    relayed to the bus later; one of each kind per assessment (a second is dropped)."""

    @abc.abstractmethod
    async def completed(self, a: Assessment, results: FinalResults) -> None:
        """Completion, the rich result, the resource consumption."""

    @abc.abstractmethod
    async def failed(self, a: Assessment) -> None: ...

    @abc.abstractmethod
    async def cancelled(self, a: Assessment) -> None: ...


class UnitOfWork(abc.ABC):
    assessments: AssessmentRepository
    comparisons: ComparisonRepository
    events: EventOutbox


class Store(abc.ABC):
    @abc.abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """Commits when the block ends, rolls back when it raises."""

    @abc.abstractmethod
    def read(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """Reads only; nothing is committed."""


class JudgeClient(abc.ABC):
    """llm_provider: the judging queue and its catalogue of models and providers.

    `efforts` and `verbosities`: the reasoning efforts and output verbosities a judge may
    ask for (the values the contract defines)."""

    efforts: frozenset[int]
    verbosities: frozenset[int]

    @abc.abstractmethod
    def encode(self, judge: JudgeSettings) -> bytes:
        """The judge's settings as this client sends them (Assessment.judge_config)."""

    @abc.abstractmethod
    async def submit(self, a: Assessment, pairs: Sequence[ToJudge]) -> Sequence[Submission]:
        """Queue the pairs for `a`'s judge with its context, in one call; JudgeUnavailable
        when llm_provider cannot be reached (the comparisons stay PENDING)."""

    @abc.abstractmethod
    async def cancel(self, assessment_id: str, reason: str) -> bool:
        """Drop `a`'s comparisons still queued or in flight; JudgeUnavailable when
        llm_provider cannot be reached, CancelUnsupported when it cannot cancel."""

    @abc.abstractmethod
    async def model(self, provider: str, model: str) -> ModelLimits | None:
        """What the model takes (deprecated ones included); None when llm_provider has no
        such model. ServiceError UNAVAILABLE when llm_provider cannot be asked."""

    @abc.abstractmethod
    async def provider(self, name: str) -> ProviderStatus | None:
        """None when llm_provider has no such provider."""


class Clock(abc.ABC):
    @abc.abstractmethod
    def now(self) -> datetime:
        """The current time, timezone-aware."""
