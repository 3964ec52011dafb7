"""The judge a submission gets: its own, else the configured default; never half of one."""

import pytest

from cj_service.adapters.llm_client import limits_of
from cj_service.config import Config, judge_spec
from cj_service.service.workflow import judge_check
from cj_service.service.workflow.model import JudgeSettings
from contracts.errors import ServiceError
from contracts.huleedu.llm.v1 import llm_pb2


def test_a_judge_named_by_the_request_is_kept():
    asked = JudgeSettings(provider="openai", model="gpt-4o")
    assert judge_check.with_default(asked, "simulated/simulated-judge") is asked


def test_a_request_without_a_judge_gets_the_default_with_its_own_parameters():
    chosen = judge_check.with_default(
        JudgeSettings(temperature=0.2), "simulated/simulated-judge"
    )
    assert (chosen.provider, chosen.model, chosen.temperature) == (
        "simulated",
        "simulated-judge",
        0.2,
    )


def test_without_a_default_a_judge_is_required():
    with pytest.raises(ServiceError) as err:
        judge_check.with_default(JudgeSettings(), "")
    assert err.value.code.name == "INVALID_ARGUMENT"
    assert err.value.message == "judge is required (or set CJ_DEFAULT_JUDGE)"


def test_half_a_judge_is_refused_not_completed_silently():
    with pytest.raises(ServiceError) as err:
        judge_check.with_default(JudgeSettings(provider="anthropic"), "a/b")
    assert err.value.metadata["field"] == "judge.model"


def test_the_ask_is_read_from_the_settings_and_the_limits_from_the_model_info():
    a = judge_check.ask_of(JudgeSettings(max_tokens=5, reasoning_effort=3))
    assert (a.temperature, a.max_tokens, a.reasoning_effort) == (None, 5, 3)
    info = llm_pb2.ModelInfo(
        provider="anthropic", model_id="claude-haiku-4-5", max_output_tokens=64_000,
        supports_temperature=True, max_temperature=1.0, capabilities=["prompt_caching"],
    )
    limits = limits_of(info)
    assert limits.judge == "anthropic/claude-haiku-4-5" and limits.max_temperature == 1.0


def test_the_default_judge_comes_from_cj_default_judge_and_must_name_provider_and_model():
    env = {"DATABASE_URL": "postgresql://x/y"}
    assert Config.from_env(env).default_judge == ""
    configured = Config.from_env({**env, "CJ_DEFAULT_JUDGE": "simulated/simulated-priced"})
    assert configured.default_judge == "simulated/simulated-priced"
    with pytest.raises(ValueError, match="expected provider/model"):
        judge_spec("simulated")
