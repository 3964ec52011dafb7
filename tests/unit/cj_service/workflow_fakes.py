"""A workflow over in-memory ports for unit tests of the use cases: the store of
store_fakes.py, a judge that accepts what it is sent, a fixed clock, and recorded effects."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from cj_service.adapters import incoming
from cj_service.adapters.llm_client import rejection_result
from cj_service.config import Config
from cj_service.domain.assessment import Assessment, State
from cj_service.domain.judge_rules import ModelLimits
from cj_service.metrics import Metrics
from cj_service.service.workflow.batch_cache import BatchCache
from cj_service.service.workflow.model import JudgeSettings
from cj_service.service.workflow.ports import Clock, JudgeClient, JudgeUnavailable
from cj_service.service.workflow.records import ProviderStatus, Submission, ToJudge
from contracts.huleedu.llm.v1 import llm_pb2
from tests.unit.cj_service.admin_fakes import InMemoryAdminRepository
from tests.unit.cj_service.store_fakes import T0, InMemoryStore, Row, Tables


def assessment(**overrides: Any) -> Assessment:
    """A running assessment of 8 essays and 2 anchors, budget 100, window 20."""
    values: dict[str, Any] = dict(
        id="a1", state=State.RUNNING, request_id="r1", judge_provider="simulated",
        judge_model="sim-judge", judge_config=b"", budget=100, target_reliability=0.9,
        min_comparisons_per_essay=4, max_in_flight=20, min_judge_success_rate=0.5,
        stall_timeout_s=900.0, provider_patience_s=300.0, seed=7, essay_count=8,
        anchor_count=2, created_at=T0, updated_at=T0, progress_at=T0,
    )
    values.update(overrides)
    return Assessment(**values)


class FixedClock(Clock):
    def __init__(self, now: datetime = T0) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


class FakeJudge(JudgeClient):
    """Knows one model (simulated/sim-judge); accepts every request (but those in `reject`:
    id -> reason), remembering them."""

    efforts = frozenset(range(5))
    verbosities = frozenset(range(4))

    def __init__(self) -> None:
        self.sent: list[ToJudge] = []
        self.reject: dict[str, str] = {}
        self.cancelled: list[str] = []
        self.down = False

    async def submit(self, a: Assessment, pairs: Sequence[ToJudge]) -> list[Submission]:
        if self.down:
            raise JudgeUnavailable("UNAVAILABLE", "down")
        self.sent += pairs
        return [self._answer(p.comparison_id) for p in pairs]

    def _answer(self, cid: str) -> Submission:
        if cid not in self.reject:
            return Submission(cid, True)
        refusal = llm_pb2.SubmissionOutcome(request_id=cid, rejection_reason=self.reject[cid],
                                            rejection_message="refused")
        return Submission(cid, False, self.reject[cid], "refused",
                          incoming.read(rejection_result(refusal)))

    async def cancel(self, assessment_id: str, reason: str) -> bool:
        self.cancelled.append(assessment_id)
        return True

    def encode(self, judge: JudgeSettings) -> bytes:
        return repr(judge).encode()

    async def model(self, provider: str, model: str) -> ModelLimits | None:
        if (provider, model) != ("simulated", "sim-judge"):
            return None
        return ModelLimits("simulated/sim-judge", True, 2.0, 8192, frozenset())

    async def provider(self, name: str) -> ProviderStatus | None:
        return ProviderStatus(enabled=True, configured=True, key_variables=())


@dataclasses.dataclass
class FakeWorkflow:
    """What the use cases read (service/workflow/contexts.py), over the fakes; effects are
    recorded."""

    texts: Mapping[str, str] = dataclasses.field(default_factory=dict)  # content id -> text
    config: Config = dataclasses.field(
        default_factory=lambda: Config(database_url="", default_judge="simulated/sim-judge"))
    clock: FixedClock = dataclasses.field(default_factory=FixedClock)
    judge: FakeJudge = dataclasses.field(default_factory=FakeJudge)
    assignments: InMemoryAdminRepository = dataclasses.field(
        default_factory=InMemoryAdminRepository)
    metrics: Metrics = dataclasses.field(default_factory=Metrics)
    cache: BatchCache = dataclasses.field(default_factory=BatchCache)
    max_payload: int = 1024 * 1024
    kicked: list[str] = dataclasses.field(default_factory=list)
    cancels: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    wakeups: int = 0

    def __post_init__(self) -> None:
        self.store = InMemoryStore(self.clock)

    @property
    def pipeline(self) -> Any:
        return self.config.pipeline

    @property
    def defaults(self) -> Any:
        return self.config.defaults

    @property
    def default_judge(self) -> str:
        return self.config.default_judge

    async def off_loop(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    async def fetch_texts(self, content_ids: Sequence[str]) -> dict[str, str]:
        return {c: self.texts[c] for c in content_ids if c in self.texts}

    def kick(self, batch_id: str) -> None:
        self.kicked.append(batch_id)

    def notify_outbox(self) -> None:
        self.wakeups += 1

    def cancel_group(self, batch_id: str, reason: str) -> None:
        self.cancels.append((batch_id, reason))

    @property
    def t(self) -> Tables:
        return self.store.t

    def rows(self, assessment_id: str, status: str = "") -> list[Row]:
        return [r for r in sorted(self.t.comparisons.values(), key=lambda r: r.seq)
                if r.batch_id == assessment_id and (not status or r.status == status)]
