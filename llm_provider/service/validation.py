"""The door of llm_provider: every limit a caller's input must keep, in one place.

`check_request` holds what a ComparisonRequest must keep whatever model it names (sizes,
characters, counts, the ttl); the worker applies it again to each message it consumes, since
anyone who can publish to the work queue bypasses intake. `validate` adds the model's own rules
(manifest, credentials, parameters, context window) and turns a refusal into one request's
Rejection. The other RPCs' checks raise, so their handlers answer with the status itself.

Sizes are UTF-8 bytes (contracts.text): over a limit is CONTENT_TOO_LARGE, a bad character,
an empty text or a number out of range INVALID_ARGUMENT; each names field, limit and value.
With these limits a request at every one of them (two essays, the system prompt, four
context blocks, ids, metadata) makes a work-queue message under NATS's default 1 MiB
max_payload; `bus_problem` checks the server's actual one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from contracts import subjects
from contracts.errors import ServiceError, failed_precondition, invalid_argument
from contracts.huleedu.common.v1 import common_pb2
from contracts.huleedu.llm.v1 import llm_pb2
from contracts.text import Rule, check, check_map, check_range, clip
from llm_provider.config import ProviderSettings
from llm_provider.domain.manifest import REASONING, VERBOSITY, Manifest, ModelSpec
from llm_provider.service.convert import VERBOSITIES, max_tokens_of, prompt_of, seconds_of

KIB = 1_024
ID = Rule(256, required=True, one_line=True)  # request_id, group_id of CancelComparisons
OPTIONAL_ID = Rule(256, one_line=True)  # group_id, correlation_id
NAME = Rule(256, one_line=True)  # provider and model names
RESULTS_KEY = Rule(64, required=True, one_line=True)  # one subject token (contracts.subjects)
ESSAY = Rule(256 * KIB, required=True, visible=True)
SYSTEM_PROMPT = Rule(64 * KIB, required=True, visible=True)
# A block carries a 64 KiB text (instructions, student prompt or rubric) plus its heading line.
CONTEXT_TEXT = Rule(65 * KIB, visible=True)
LABEL = Rule(128, one_line=True)
METADATA_KEY = Rule(128, required=True, one_line=True)
METADATA_VALUE = Rule(1_024)
MAX_METADATA_ENTRIES, MAX_METADATA_BYTES = 64, 16 * KIB
MAX_CONTEXT_BLOCKS = 4  # cj sends three (instructions, student prompt, rubric)
CANCEL_REASON = Rule(1_024, visible=True)
MAX_BATCH = 5_000
MAX_TTL_S = 23 * 3_600.0  # below the work-queue stream's 24 h max_age, which would drop it


@dataclass(frozen=True)
class Rejection:
    reason: str
    message: str


def validate(request: llm_pb2.ComparisonRequest, *, manifest: Manifest,
             providers: Mapping[str, ProviderSettings]) -> Rejection | None:
    """None when the request may be queued, else why not."""
    try:
        check_request(request)
        spec = _model(request.judge, manifest, providers)
        _parameters(request.judge, spec)
        _context(request, spec)
    except ServiceError as error:
        return Rejection(error.reason, error.message)
    return None


def check_request(request: llm_pb2.ComparisonRequest) -> None:
    """The limits that need nothing but the request (raises ServiceError)."""
    check_address(request)
    check("correlation_id", request.correlation_id, OPTIONAL_ID)
    check("group_id", request.group_id, OPTIONAL_ID)
    check_map("metadata", request.metadata, max_entries=MAX_METADATA_ENTRIES,
              key=METADATA_KEY, value=METADATA_VALUE, max_total_bytes=MAX_METADATA_BYTES)
    check_range("ttl", seconds_of(request.ttl), 0.0, MAX_TTL_S)
    _prompt(request.prompt)
    check("judge.provider", request.judge.provider, NAME)
    check("judge.model", request.judge.model, NAME)


def check_address(request: llm_pb2.ComparisonRequest) -> None:
    """What a result needs to be answered at all: its request_id and its results subject."""
    check("request_id", request.request_id, ID)
    check("results_subject_key", request.results_subject_key, RESULTS_KEY)
    if not subjects.is_valid_results_key(request.results_subject_key):
        raise invalid_argument(
            "INVALID_ARGUMENT", "results_subject_key must be letters, digits, '-' and '_'",
            field="results_subject_key", value=clip(request.results_subject_key))


def bus_problem(size: int, *, max_payload: int) -> Rejection | None:
    """A work-queue message (payload and headers) the NATS server would refuse."""
    if size <= max_payload:
        return None
    return Rejection("CONTENT_TOO_LARGE",
                     f"the request's work-queue message is {size} bytes; the NATS server "
                     f"takes at most {max_payload} (max_payload): shorten its texts")


def check_submit(request: llm_pb2.SubmitComparisonsRequest) -> None:
    count = len(request.requests)
    if not 1 <= count <= MAX_BATCH:
        raise invalid_argument(
            "INVALID_ARGUMENT", f"requests holds {count}; send 1 to {MAX_BATCH} per call",
            field="requests", limit=f"[1, {MAX_BATCH}]", value=str(count))


def check_cancel(request: llm_pb2.CancelComparisonsRequest) -> None:
    check("group_id", request.group_id, ID)
    check("reason", request.reason, CANCEL_REASON)


def check_list_models(request: llm_pb2.ListModelsRequest) -> None:
    check("provider", request.provider, NAME)


def check_test_provider(request: llm_pb2.TestProviderRequest) -> None:
    check("provider", request.provider, NAME)
    check("model", request.model, NAME)


def _prompt(parts: llm_pb2.PromptParts) -> None:
    check("prompt.system_prompt", parts.system_prompt, SYSTEM_PROMPT)
    blocks = parts.context_blocks
    if len(blocks) > MAX_CONTEXT_BLOCKS:
        raise invalid_argument(
            "INVALID_ARGUMENT",
            f"prompt.context_blocks has {len(blocks)} blocks; the limit is {MAX_CONTEXT_BLOCKS}",
            field="prompt.context_blocks", limit=str(MAX_CONTEXT_BLOCKS), value=str(len(blocks)))
    for i, block in enumerate(blocks):
        check(f"prompt.context_blocks[{i}].label", block.label, LABEL)
        check(f"prompt.context_blocks[{i}].text", block.text, CONTEXT_TEXT)
    check("prompt.essay_a_text", parts.essay_a_text, ESSAY)
    check("prompt.essay_b_text", parts.essay_b_text, ESSAY)


def _model(judge: common_pb2.JudgeConfig, manifest: Manifest,
           providers: Mapping[str, ProviderSettings]) -> ModelSpec:
    spec = manifest.get(judge.provider, judge.model)
    if spec is None:
        raise invalid_argument("UNKNOWN_MODEL",
                               f"no model {judge.provider}/{judge.model} in manifest")
    settings = providers.get(judge.provider)
    if settings is None or not settings.configured:
        raise failed_precondition("PROVIDER_NOT_CONFIGURED",
                                  f"provider {judge.provider} is disabled or has no API key")
    return spec


def _parameters(judge: common_pb2.JudgeConfig, spec: ModelSpec) -> None:
    name = f"{spec.provider}/{spec.model_id}"
    if judge.HasField("temperature"):
        if not spec.supports_temperature:
            raise _invalid(f"{name} does not accept a temperature")
        check_range(f"judge.temperature for {name}", judge.temperature, 0.0,
                    spec.max_temperature)
    check_range(f"judge.max_tokens for {name}", judge.max_tokens, 0, spec.max_output_tokens)
    effort = judge.reasoning_effort
    if effort not in common_pb2.ReasoningEffort.values():
        raise _invalid(f"unknown judge.reasoning_effort {effort}")
    if effort > common_pb2.REASONING_EFFORT_NONE and not spec.has(REASONING):
        raise _invalid(f"{name} does not take a reasoning_effort")
    verbosity = judge.output_verbosity
    if verbosity and (verbosity not in VERBOSITIES or not spec.has(VERBOSITY)):
        raise _invalid(f"{name} does not take output_verbosity {verbosity}")


def _context(request: llm_pb2.ComparisonRequest, spec: ModelSpec) -> None:
    needed = prompt_of(request.prompt).estimated_tokens() + max_tokens_of(request.judge, spec)
    if needed > spec.context_window:
        raise invalid_argument(
            "CONTEXT_TOO_LONG",
            f"about {needed} tokens needed, {spec.model_id} holds {spec.context_window}")


def _invalid(message: str) -> ServiceError:
    return invalid_argument("INVALID_ARGUMENT", message)
