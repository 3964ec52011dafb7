"""Intake rules for one comparison request, each failure with its own reason."""

from __future__ import annotations

import pytest
from google.protobuf.duration_pb2 import Duration

from contracts.huleedu.common.v1 import common_pb2
from contracts.huleedu.llm.v1 import llm_pb2
from llm_provider.config import Config
from llm_provider.domain.manifest import build_manifest
from llm_provider.service.validation import validate

CONFIG = Config.from_env({"OPENAI_API_KEY": "sk", "ANTHROPIC_API_KEY": "sk"})
PROVIDERS = {p.name: p for p in CONFIG.providers}


def request(provider: str = "openai", model: str = "gpt-5-mini",
            **judge) -> llm_pb2.ComparisonRequest:
    return llm_pb2.ComparisonRequest(
        request_id="r1", results_subject_key="cj",
        prompt=llm_pb2.PromptParts(system_prompt="s", essay_a_text="a", essay_b_text="b"),
        judge=common_pb2.JudgeConfig(provider=provider, model=model, **judge))


def reason(req: llm_pb2.ComparisonRequest) -> str:
    rejection = validate(req, manifest=build_manifest(), providers=PROVIDERS)
    return rejection.reason if rejection else ""


def test_a_complete_request_passes():
    assert reason(request(reasoning_effort=common_pb2.REASONING_EFFORT_LOW,
                          output_verbosity=common_pb2.OUTPUT_VERBOSITY_LOW)) == ""
    assert reason(request("anthropic", "claude-haiku-4-5", temperature=1.0, max_tokens=600)) == ""


@pytest.mark.parametrize(("req", "why"), [
    (request(temperature=0.5), "INVALID_ARGUMENT"),  # gpt-5 takes no temperature
    (request("anthropic", "claude-haiku-4-5", temperature=1.5), "INVALID_ARGUMENT"),
    (request("anthropic", "claude-haiku-4-5",
             reasoning_effort=common_pb2.REASONING_EFFORT_HIGH), "INVALID_ARGUMENT"),
    (request("openai", "gpt-4.1", output_verbosity=common_pb2.OUTPUT_VERBOSITY_HIGH),
     "INVALID_ARGUMENT"),
    (request(max_tokens=1_000_000), "INVALID_ARGUMENT"),
    (request(max_tokens=-1), "INVALID_ARGUMENT"),
    (request("openai", "gpt-6"), "UNKNOWN_MODEL"),
    (request("google", "gemini-2.5-flash"), "PROVIDER_NOT_CONFIGURED"),
])
def test_bad_parameters_are_named(req, why):
    assert reason(req) == why


def test_a_ttl_beyond_the_queue_lifetime_is_refused():
    req = request()
    req.ttl.CopyFrom(Duration(seconds=48 * 3600))
    assert reason(req) == "INVALID_ARGUMENT"


def test_reasoning_none_is_fine_for_any_model():
    none = common_pb2.REASONING_EFFORT_NONE
    assert reason(request("openai", "gpt-4.1", reasoning_effort=none)) == ""


def test_essays_that_overflow_the_context_window_are_too_long():
    req = request("openai", "gpt-4o")  # 128k tokens; two essays at their limit are ~131k
    req.prompt.essay_a_text = req.prompt.essay_b_text = "x" * 262_144
    assert reason(req) == "CONTEXT_TOO_LONG"
