"""Plain values of the assessment use cases: commands, comparison statuses, planned pairs,
and what a step did (the records the ports carry are records.py's)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cj_service.service.workflow.batch_cache import Entry


class Status(enum.StrEnum):
    """Stored comparison statuses (cj.v1.ComparisonStatus names without the prefix)."""

    PENDING = "PENDING"
    SUBMITTED = "SUBMITTED"
    JUDGED = "JUDGED"
    FAILED = "FAILED"
    ABANDONED = "ABANDONED"


IN_FLIGHT = (Status.PENDING.value, Status.SUBMITTED.value)


@dataclass(frozen=True)
class EssayIn:
    essay_id: str
    content_id: str = ""
    text: str = ""
    display_name: str = ""
    anchor_grade: str = ""
    has_source: bool = True


@dataclass(frozen=True)
class StoppingIn:
    """0 / None mean "use the service default"."""

    budget: int = 0
    target_reliability: float = 0.0
    min_comparisons_per_essay: int = 0
    max_in_flight: int = 0
    min_judge_success_rate: float = 0.0
    stall_timeout_s: float | None = None
    provider_patience_s: float | None = None


@dataclass(frozen=True)
class JudgeSettings:
    """The judge a submission asks for: a model and how to call it (cj.v1's JudgeConfig)."""

    provider: str = ""
    model: str = ""
    temperature: float | None = None  # None: the provider's default
    max_tokens: int = 0  # 0: the model's default
    reasoning_effort: int = 0  # common.v1 ReasoningEffort value
    output_verbosity: int = 0  # common.v1 OutputVerbosity value


@dataclass(frozen=True)
class SubmitCommand:
    request_id: str
    fingerprint: str
    essays: tuple[EssayIn, ...]
    judge: JudgeSettings
    stopping: StoppingIn = field(default_factory=StoppingIn)
    assignment_id: str = ""
    student_prompt_content_id: str = ""
    judge_rubric_override_content_id: str = ""
    instructions_text: str = ""
    grade_scale_id: str = ""
    correlation_id: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)
    seed: int = 0


@dataclass(frozen=True)
class CancelCommand:
    assessment_id: str
    request_id: str = ""
    reason: str = ""


@dataclass(frozen=True)
class ResolvedEssay:
    """An essay of a stored batch: text resolved, position fixed."""

    essay_id: str
    text: str
    display_name: str = ""
    content_id: str = ""
    is_anchor: bool = False
    anchor_grade: str = ""


@dataclass(frozen=True)
class PlannedPair:
    """A comparison to create: essay positions as shown (A, B) and which try of the pair."""

    idx_a: int
    idx_b: int
    pair_attempt: int = 1
    chain: int = 0  # the design's half (domain/design.py) this comparison belongs to


@dataclass
class StepOutcome:
    """What one guarded step did; the caller acts on it after commit."""

    batch_id: str
    dispatch: bool = False
    finished: str = ""  # terminal state entered in this step, if any
    reason: str = ""
    applied: int = 0
    duplicates: int = 0
    late: int = 0
    refit_seconds: float = 0.0
    final_fit_seconds: float = 0.0  # final fit + intervals + grades, when finalized
    duration_s: float | None = None  # submission -> finish, when finished in this step
    planned: int = 0
    latencies: list[float] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    memo: Entry | None = None  # this step's verdicts and chain fits; cached after commit
