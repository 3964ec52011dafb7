"""Per-request intake checks; each failure names its ErrorReason so the caller can act."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from contracts import subjects
from contracts.huleedu.common.v1 import common_pb2
from contracts.huleedu.llm.v1 import llm_pb2
from llm_provider.config import ProviderSettings
from llm_provider.domain.manifest import REASONING, VERBOSITY, Manifest, ModelSpec
from llm_provider.service.convert import VERBOSITIES, max_tokens_of, prompt_of

MAX_REQUEST_ID = 256
MAX_TTL_S = 23 * 3_600.0  # below the work-queue stream's 24 h max_age, which would drop it


@dataclass(frozen=True)
class Rejection:
    reason: str
    message: str


def _invalid(message: str) -> Rejection:
    return Rejection("INVALID_ARGUMENT", message)


def validate(request: llm_pb2.ComparisonRequest, *, manifest: Manifest,
             providers: Mapping[str, ProviderSettings]) -> Rejection | None:
    """None when the request may be queued, else why not."""
    problem = _envelope(request) or _prompt(request.prompt)
    if problem:
        return problem
    judge = request.judge
    spec = manifest.get(judge.provider, judge.model)
    if spec is None:
        return Rejection("UNKNOWN_MODEL", f"no model {judge.provider}/{judge.model} in manifest")
    settings = providers.get(judge.provider)
    if settings is None or not settings.configured:
        return Rejection("PROVIDER_NOT_CONFIGURED",
                         f"provider {judge.provider} is disabled or has no API key")
    return _parameters(judge, spec) or _context(request, spec)


def id_problem(name: str, value: str, *, required: bool) -> str | None:
    """The rule for caller-chosen ids: printable, at most MAX_REQUEST_ID characters."""
    if required and not value:
        return f"{name} must not be empty"
    if len(value) > MAX_REQUEST_ID:
        return f"{name} must be at most {MAX_REQUEST_ID} characters"
    if not value.isprintable():
        return f"{name} must be printable characters"
    return None


def _envelope(request: llm_pb2.ComparisonRequest) -> Rejection | None:
    if not request.request_id or len(request.request_id) > MAX_REQUEST_ID:
        return _invalid(f"request_id must be 1..{MAX_REQUEST_ID} characters")
    problem = id_problem("group_id", request.group_id, required=False)
    if problem:
        return _invalid(problem)
    if not subjects.is_valid_results_key(request.results_subject_key):
        return _invalid(f"results_subject_key {request.results_subject_key!r} is not one token")
    ttl = request.ttl.seconds + request.ttl.nanos / 1e9
    if ttl < 0 or ttl > MAX_TTL_S:
        return _invalid(f"ttl must be between 0 and {MAX_TTL_S:.0f} s")
    return None


def _prompt(parts: llm_pb2.PromptParts) -> Rejection | None:
    for name in ("system_prompt", "essay_a_text", "essay_b_text"):
        if not getattr(parts, name).strip():
            return _invalid(f"prompt.{name} is empty")
    return None


def _parameters(judge: common_pb2.JudgeConfig, spec: ModelSpec) -> Rejection | None:
    name = f"{spec.provider}/{spec.model_id}"
    if judge.HasField("temperature"):
        if not spec.supports_temperature:
            return _invalid(f"{name} does not accept a temperature")
        if not 0.0 <= judge.temperature <= spec.max_temperature:
            return _invalid(f"temperature must be in 0..{spec.max_temperature} for {name}")
    if not 0 <= judge.max_tokens <= spec.max_output_tokens:
        return _invalid(f"max_tokens must be in 0..{spec.max_output_tokens} for {name}")
    effort = judge.reasoning_effort
    if effort not in common_pb2.ReasoningEffort.values():
        return _invalid(f"unknown reasoning_effort {effort}")
    if effort > common_pb2.REASONING_EFFORT_NONE and not spec.has(REASONING):
        return _invalid(f"{name} does not take a reasoning_effort")
    verbosity = judge.output_verbosity
    if verbosity and (verbosity not in VERBOSITIES or not spec.has(VERBOSITY)):
        return _invalid(f"{name} does not take output_verbosity {verbosity}")
    return None


def _context(request: llm_pb2.ComparisonRequest, spec: ModelSpec) -> Rejection | None:
    needed = prompt_of(request.prompt).estimated_tokens() + max_tokens_of(request.judge, spec)
    if needed > spec.context_window:
        return Rejection(
            "CONTEXT_TOO_LONG",
            f"about {needed} tokens needed, {spec.model_id} holds {spec.context_window}")
    return None
