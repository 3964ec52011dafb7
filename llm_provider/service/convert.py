"""Proto <-> domain conversions shared by intake, judging and the catalog."""

from __future__ import annotations

import secrets

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from contracts.huleedu.common.v1 import common_pb2
from contracts.huleedu.llm.v1 import llm_pb2
from llm_provider.adapters.providers.base import ProviderCall
from llm_provider.domain.manifest import ModelSpec
from llm_provider.domain.prompt import CODE_BYTES, Block, Prompt, code_is_free
from llm_provider.domain.usage import Usage

EFFORTS = {
    common_pb2.REASONING_EFFORT_NONE: "none", common_pb2.REASONING_EFFORT_MINIMAL: "minimal",
    common_pb2.REASONING_EFFORT_LOW: "low", common_pb2.REASONING_EFFORT_MEDIUM: "medium",
    common_pb2.REASONING_EFFORT_HIGH: "high",
}
VERBOSITIES = {
    common_pb2.OUTPUT_VERBOSITY_LOW: "low", common_pb2.OUTPUT_VERBOSITY_MEDIUM: "medium",
    common_pb2.OUTPUT_VERBOSITY_HIGH: "high",
}


def prompt_of(parts: llm_pb2.PromptParts) -> Prompt:
    blocks = tuple(Block(b.text, b.cacheable) for b in parts.context_blocks)
    return fenced(parts.system_prompt, blocks, parts.essay_a_text, parts.essay_b_text)


def fenced(system: str, blocks: tuple[Block, ...], essay_a: str, essay_b: str) -> Prompt:
    """A prompt whose fence code is fresh randomness that no text of it holds."""
    texts = (system, *(b.text for b in blocks), essay_a, essay_b)
    code = secrets.token_hex(CODE_BYTES)
    while not code_is_free(code, texts):  # 2**-64 per text; drawn again, never reused
        code = secrets.token_hex(CODE_BYTES)
    return Prompt(system, blocks, essay_a, essay_b, code)


def max_tokens_of(judge: common_pb2.JudgeConfig, spec: ModelSpec) -> int:
    return judge.max_tokens or spec.default_max_tokens


def call_of(request: llm_pb2.ComparisonRequest, spec: ModelSpec, *, attempt: int) -> ProviderCall:
    judge = request.judge
    return ProviderCall(
        request_id=request.request_id, spec=spec, prompt=prompt_of(request.prompt),
        temperature=judge.temperature if judge.HasField("temperature") else None,
        max_tokens=max_tokens_of(judge, spec),
        reasoning_effort=EFFORTS.get(judge.reasoning_effort, ""),
        verbosity=VERBOSITIES.get(judge.output_verbosity, ""), attempt=attempt,
    )


def usage_of(message: common_pb2.TokenUsage) -> Usage:
    return Usage(message.prompt_tokens, message.completion_tokens,
                 message.cache_read_tokens, message.cache_write_tokens, message.estimated)


def add_usage(target: common_pb2.TokenUsage, usage: Usage) -> None:
    target.prompt_tokens += usage.prompt
    target.completion_tokens += usage.completion
    target.cache_read_tokens += usage.cache_read
    target.cache_write_tokens += usage.cache_write
    target.estimated = target.estimated or usage.estimated


def timestamp(seconds: float) -> Timestamp:
    stamp = Timestamp()
    stamp.FromNanoseconds(int(seconds * 1e9))
    return stamp


def seconds_of(stamp: Timestamp | Duration) -> float:
    return stamp.seconds + stamp.nanos / 1e9


def model_info(spec: ModelSpec) -> llm_pb2.ModelInfo:
    return llm_pb2.ModelInfo(
        provider=spec.provider, model_id=spec.model_id, family=spec.family,
        display_name=spec.display_name, context_window=spec.context_window,
        max_output_tokens=spec.max_output_tokens,
        structured_output_method=spec.structured_output,  # type: ignore[arg-type]
        capabilities=sorted(spec.capabilities), input_price_per_mtok=spec.input_price,
        output_price_per_mtok=spec.output_price, cache_read_price_per_mtok=spec.cache_read_price,
        cache_write_price_per_mtok=spec.cache_write_price, deprecated=spec.deprecated,
        supports_temperature=spec.supports_temperature,
        max_concurrency=spec.max_concurrency,
        max_temperature=spec.max_temperature,
    )
