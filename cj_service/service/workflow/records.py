"""The records the workflow's ports carry (ports.py): what is stored of comparisons, essays,
snapshots and request ids, and what llm_provider answers, as plain values."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import NamedTuple

from cj_service.service.workflow.model import Status


class EssayEntry(NamedTuple):
    """An essay of a stored assessment, without its text; idx is its place in the scores."""

    idx: int
    essay_id: str
    display_name: str
    is_anchor: bool
    anchor_grade: str


class OpenComparison(NamedTuple):
    """A comparison not yet judged, as the planner reads it."""

    id: str
    idx_a: int
    idx_b: int
    status: str
    pair_attempt: int
    requeued: bool
    error_retryable: bool
    chain: int | None  # None before chains existed (migration 0004)


class Verdict(NamedTuple):
    """A judged comparison, as a fit reads it."""

    idx_a: int
    idx_b: int
    winner: int
    probability_a: float | None
    provider: str
    model: str
    chain: int | None


class Sent(NamedTuple):
    """A comparison a result may answer: where it stands, and when it was sent."""

    id: str
    batch_id: str
    status: str
    submitted_at: datetime | None
    created_at: datetime
    idx_a: int
    idx_b: int
    chain: int | None


class Pending(NamedTuple):
    """A comparison persisted but not yet accepted by llm_provider."""

    id: str
    idx_a: int
    idx_b: int


class Recorded(NamedTuple):
    """What one result records on its comparison (a verdict, or an error and no winner)."""

    cid: str
    new_status: str  # JUDGED or FAILED
    winner: int
    probability_a: float | None
    confidence: int
    justification: str
    provider: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    cost_usd: float
    prompt_sha256: str
    attempts: int
    error: bytes | None  # the serialized llm.v1 ComparisonError
    error_retryable: bool


class LateSpend(NamedTuple):
    """What a late result (its comparison abandoned) records: who judged it, what it cost."""

    cid: str
    provider: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    cost_usd: float
    prompt_sha256: str
    attempts: int
    error: bytes | None


class Result(NamedTuple):
    """A comparison's result from llm_provider as the edge read it (adapters/incoming.py):
    what it records on its comparison, applied or late, and what it says of the judge."""

    recorded: Recorded
    late: LateSpend
    kinds: Mapping[str, int]  # its failed attempts by kind, its final error's included
    estimated: bool  # part of its tokens are llm_provider's estimate
    a_win: bool  # a verdict for Essay A
    probability_a_dropped: bool  # the judge's P(A) contradicted its verdict
    error_kind: str = ""  # the final error's kind ("" for a verdict)
    error_message: str = ""  # the final error's message as the provider gave it
    last_error: str = ""  # "KIND: message" of the final error, "" for a verdict

    @property
    def comparison_id(self) -> str:
        return self.recorded.cid

    @property
    def judged(self) -> bool:
        return self.recorded.new_status == Status.JUDGED


class Submission(NamedTuple):
    """llm_provider's answer to one request: queued, or refused and why, with the failed
    result a refusal is applied as (no call was made)."""

    comparison_id: str
    accepted: bool
    rejection_reason: str = ""
    rejection_message: str = ""
    refused: Result | None = None


class ProviderStatus(NamedTuple):
    """What llm_provider says of a provider: switched on, credentials present, and the
    variables that hold them."""

    enabled: bool
    configured: bool
    key_variables: tuple[str, ...]


class ModelSpend(NamedTuple):
    """Calls and spend of one judge model over an assessment."""

    provider: str
    model: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    cost_usd: float


class Snapshot(NamedTuple):
    """A point of the fit history."""

    comparisons: int
    reliability: float
    ssr: float
    position_bias: float
    position_bias_se: float
    scores: list[float]
    ses: list[float]
    prior_sd: float
    created_at: datetime | None = None


class StoredComparison(NamedTuple):
    """A comparison as ListAssessmentComparisons shows it; seq orders the pages."""

    seq: int
    id: str
    idx_a: int
    idx_b: int
    status: str
    winner: int
    probability_a: float | None
    confidence: int
    justification: str
    provider: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    cost_usd: float
    prompt_sha256: str
    attempts: int
    error: bytes | None
    created_at: datetime
    completed_at: datetime | None


class ToJudge(NamedTuple):
    """A comparison to send to the judge: its id and the texts shown as Essay A and B."""

    comparison_id: str
    essay_a: str
    essay_b: str


class Claim(NamedTuple):
    """The first use of a request id: a hash of its body and the assessment it named."""

    fingerprint: str
    batch_id: str
