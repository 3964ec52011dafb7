"""What each use case of the workflow uses, as a protocol: a use case's signature names its
context, and the context only the ports and settings the use case reads. Bootstrap wires one
object that has them all (entrypoints/wiring.py); a unit test passes one with only these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from cj_service.config import BatchDefaults, PipelineSettings
from cj_service.metrics import Metrics
from cj_service.service.admin.ports import AssignmentContextSource
from cj_service.service.workflow.batch_cache import BatchCache
from cj_service.service.workflow.model import StepOutcome
from cj_service.service.workflow.ports import Clock, FetchTexts, JudgeClient, Store, UnitOfWork

T = TypeVar("T")


class Stepping(Protocol):
    """A step of a running assessment (steps, finish, live_fits), inside a unit of work."""

    @property
    def cache(self) -> BatchCache:
        """Verdicts and chain fits of recent steps, per process (batch_cache.py)."""

    @property
    def clock(self) -> Clock: ...

    @property
    def pipeline(self) -> PipelineSettings: ...

    async def off_loop(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run a fit (CPU-bound, numpy) off the event loop."""


@dataclass(frozen=True)
class Step:
    """One step of an assessment under its lock: the unit of work it writes through, what
    it may use, and what it did (acted on after commit)."""

    tx: UnitOfWork
    ctx: Stepping
    out: StepOutcome


class Applying(Stepping, Protocol):
    """Results applied in a unit of work of their own (apply)."""

    @property
    def store(self) -> Store: ...


class AfterCommit(Protocol):
    """What follows a committed step (effects.after_commit)."""

    @property
    def metrics(self) -> Metrics: ...

    @property
    def kick(self) -> Callable[[str], None]:
        """Send an assessment's PENDING comparisons (in the background)."""

    @property
    def notify_outbox(self) -> Callable[[], None]:
        """Wake the outbox relay."""

    @property
    def cancel_group(self) -> Callable[[str, str], None]:
        """Tell llm_provider an assessment ended, and why (in the background)."""


class Ending(Applying, AfterCommit, Protocol):
    """A command or check that may end an assessment (cancel, watchdog, results)."""


class Judging(Protocol):
    """llm_provider's side of the workflow (provider_cancel)."""

    @property
    def store(self) -> Store: ...

    @property
    def judge(self) -> JudgeClient: ...


class Dispatching(Ending, Judging, Protocol):
    """Sending comparisons, and applying what llm_provider refuses (dispatch); the watchdog."""


class Submitting(Dispatching, Protocol):
    """SubmitAssessment: the judge checked, texts fetched, the first wave planned."""

    @property
    def fetch_texts(self) -> FetchTexts: ...

    @property
    def assignments(self) -> AssignmentContextSource:
        """The admin side's instructions and anchors."""

    @property
    def max_payload(self) -> int:
        """NATS's max_payload: the largest pair's request must fit one message."""

    @property
    def defaults(self) -> BatchDefaults: ...

    @property
    def default_judge(self) -> str: ...
