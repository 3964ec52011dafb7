"""An assessment: what was asked, how far it got, what it cost, how it ended (pure).

The aggregate every step of the workflow reads and changes. Its fields are named as the
`batches` columns and the cj.v1 AssessmentProgress fields are (comparisons_done is
comparisons_done everywhere), so one word names one fact. Each transition returns a new
value; the repository persists what changed.

States: RUNNING from submission until COMPLETED, FAILED or CANCELLED (SUBMITTED is a name the
contract has and no row holds). A running assessment that has stopped planning keeps its
completion_reason until its comparisons in flight are back, then completes with it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from cj_service.domain.judge_health import merge_counts


class State(enum.StrEnum):
    """Stored states (cj.v1.AssessmentState names without the prefix)."""

    SUBMITTED = "SUBMITTED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


LIVE = frozenset({State.SUBMITTED, State.RUNNING})
TERMINAL = frozenset({State.COMPLETED, State.FAILED, State.CANCELLED})
TOKENS = ("prompt_tokens", "completion_tokens", "cache_read_tokens", "cache_write_tokens")


class InvalidTransition(Exception):
    """A transition out of a state that has none (e.g. completing an ended assessment)."""


@dataclass(frozen=True)
class Spend:
    """What calls cost: dollars and tokens, flagged when part of the tokens is an estimate."""

    cost_usd: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    estimated: bool = False


@dataclass(frozen=True)
class Outcomes:
    """What the results applied in one step add up to."""

    judged: int
    failed: int
    spend: Spend
    failed_attempts: Mapping[str, int]  # by kind, over every attempt of these results
    a_wins: int = 0  # verdicts for Essay A
    probability_a_dropped: int = 0
    last_error: str = ""  # "KIND: message" of the last error among them, "" when none
    no_truth_texts: tuple[int, ...] = ()  # texts the simulated judge had no truth for


@dataclass(frozen=True)
class Fit:
    """Figures of one fit of every verdict: the honest reliability beside SSR and the bias."""

    reliability: float
    ssr: float
    position_bias: float
    position_bias_se: float


@dataclass(frozen=True)
class Assessment:
    id: str
    state: State
    request_id: str
    # what was asked: the judge, the stopping options, the texts' context
    judge_provider: str
    judge_model: str
    judge_config: bytes  # the judge's settings as submitted; the llm adapter reads them
    budget: int
    target_reliability: float
    min_comparisons_per_essay: int
    max_in_flight: int
    min_judge_success_rate: float
    stall_timeout_s: float
    provider_patience_s: float
    seed: int
    essay_count: int
    anchor_count: int
    assignment_id: str = ""
    grade_scale_id: str = ""
    context_origin: str = ""
    instructions_text: str = ""
    student_prompt_text: str = ""
    rubric_text: str = ""
    correlation_id: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)
    # progress: comparisons by fate, and the figures of the last check
    comparisons_created: int = 0
    comparisons_done: int = 0
    comparisons_failed: int = 0
    comparisons_in_flight: int = 0
    top_ups: int = 0
    verdicts_at_last_fit: int = 0
    fewest_comparisons: int = 0  # judged comparisons of the least-compared text at that check
    reliability: float = 0.0
    ssr: float = 0.0
    position_bias: float | None = None
    position_bias_se: float | None = None
    # spend
    cost_usd: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    tokens_estimated: bool = False
    # the judge's record (domain/judge_health.py reads it)
    failed_attempts: Mapping[str, int] = field(default_factory=dict)
    failed_since_verdict: Mapping[str, int] = field(default_factory=dict)
    probability_a_dropped: int = 0
    a_wins: int = 0
    last_error: str = ""
    no_truth_texts: tuple[int, ...] = ()
    # the end
    completion_reason: str = ""
    failure_reason: str = ""
    detail: str = ""
    llm_cancelled: bool = False  # llm_provider confirmed it dropped the comparisons left
    created_at: datetime | None = None
    updated_at: datetime | None = None
    progress_at: datetime | None = None
    verdict_at: datetime | None = None
    finished_at: datetime | None = None
    version: int = 0

    @classmethod
    def start(cls, *, now: datetime, **asked: Any) -> Assessment:
        """A new assessment, running from `now`."""
        return cls(state=State.RUNNING, created_at=now, updated_at=now, progress_at=now, **asked)

    @property
    def n_texts(self) -> int:
        """Essays and anchors: every text the split-half correlates over."""
        return self.essay_count + self.anchor_count

    @property
    def judge(self) -> str:
        return f"{self.judge_provider}/{self.judge_model}"

    @property
    def is_live(self) -> bool:
        return self.state in LIVE

    def record_outcomes(self, o: Outcomes, *, now: datetime) -> Assessment:
        """Results that ended comparisons in flight: counts, spend and the judge's record."""
        return replace(
            self._spent(o.spend, o.failed_attempts),
            comparisons_done=self.comparisons_done + o.judged,
            comparisons_failed=self.comparisons_failed + o.failed,
            comparisons_in_flight=self.comparisons_in_flight - o.judged - o.failed,
            probability_a_dropped=self.probability_a_dropped + o.probability_a_dropped,
            a_wins=self.a_wins + o.a_wins,
            failed_since_verdict={} if o.judged else merge_counts(
                self.failed_since_verdict, o.failed_attempts),
            verdict_at=now if o.judged else self.verdict_at,
            last_error=o.last_error or self.last_error,
            no_truth_texts=tuple(sorted({*self.no_truth_texts, *o.no_truth_texts})),
            progress_at=now,
        )

    def record_late(self, spend: Spend, failed_attempts: Mapping[str, int]) -> Assessment:
        """Results of comparisons abandoned when the assessment ended: only what they cost."""
        return self._spent(spend, failed_attempts)

    def _spent(self, s: Spend, failed_attempts: Mapping[str, int]) -> Assessment:
        return replace(
            self,
            cost_usd=self.cost_usd + s.cost_usd,
            **{name: getattr(self, name) + getattr(s, name) for name in TOKENS},
            tokens_estimated=self.tokens_estimated or s.estimated,
            failed_attempts=merge_counts(self.failed_attempts, failed_attempts),
        )

    def record_check(self, reliability: float, fewest: int, fit: Fit | None = None) -> Assessment:
        """A stopping check over the verdicts so far (with a snapshot's fit, when one was due)."""
        checked = replace(self, reliability=reliability, fewest_comparisons=fewest,
                          verdicts_at_last_fit=self.comparisons_done)
        if fit is None:
            return checked
        return replace(checked, ssr=fit.ssr, position_bias=fit.position_bias,
                       position_bias_se=fit.position_bias_se)

    def record_planned(self, n: int) -> Assessment:
        """`n` new comparisons created and in flight, one more top-up."""
        return replace(self, comparisons_created=self.comparisons_created + n,
                       comparisons_in_flight=self.comparisons_in_flight + n,
                       top_ups=self.top_ups + 1)

    def stop_planning(self, reason: str) -> Assessment:
        """Plan no more; complete with `reason` once the comparisons in flight are back."""
        self._check_live()
        return replace(self, completion_reason=reason)

    def complete(self, reason: str, fit: Fit | None, *, now: datetime) -> Assessment:
        return replace(self._end(State.COMPLETED, fit, now), completion_reason=reason)

    def fail(self, reason: str, detail: str, fit: Fit | None, *, now: datetime) -> Assessment:
        return replace(self._end(State.FAILED, fit, now), failure_reason=reason, detail=detail)

    def cancel(self, detail: str, fit: Fit | None, *, now: datetime) -> Assessment:
        return replace(self._end(State.CANCELLED, fit, now), detail=detail)

    def _end(self, state: State, fit: Fit | None, now: datetime) -> Assessment:
        """Every end: nothing in flight any more, and the final fit's figures when it had
        verdicts to fit (a failed or cancelled assessment's results are partial ones)."""
        self._check_live()
        ended = replace(self, state=state, finished_at=now, comparisons_in_flight=0)
        if fit is None:
            return ended
        return replace(ended, reliability=fit.reliability, ssr=fit.ssr,
                       position_bias=fit.position_bias, position_bias_se=fit.position_bias_se)

    def _check_live(self) -> None:
        if not self.is_live:
            raise InvalidTransition(f"assessment {self.id} is {self.state}")
