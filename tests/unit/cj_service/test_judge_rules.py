"""A judge checked against llm_provider's description of its model and provider."""

import pytest

from cj_service.domain import judge_rules as jr

HAIKU = jr.ModelLimits("anthropic/claude-haiku-4-5", True, 1.0, 64_000, frozenset())
GPT5 = jr.ModelLimits("openai/gpt-5", False, 2.0, 128_000, frozenset({"reasoning", "verbosity"}))
EFFORTS, VERBOSITIES = {0, 1, 2, 3, 4, 5}, {0, 1, 2, 3}


def ask(temperature=None, max_tokens=0, effort=0, verbosity=0) -> jr.JudgeAsk:
    return jr.JudgeAsk(temperature, max_tokens, effort, verbosity)


def problem(a: jr.JudgeAsk, model: jr.ModelLimits = HAIKU) -> jr.Problem | None:
    return jr.parameter_problem(a, model, efforts=EFFORTS, verbosities=VERBOSITIES)


def test_parameters_within_the_models_limits_are_accepted():
    assert problem(ask()) is None
    assert problem(ask(temperature=0.0, max_tokens=1024)) is None
    assert problem(ask(temperature=1.0, max_tokens=64_000)) is None
    assert problem(ask(effort=3, verbosity=1), GPT5) is None


@pytest.mark.parametrize(
    ("a", "model", "field", "words"),
    [
        (ask(temperature=9), HAIKU, "judge.temperature", "takes 0..1"),
        (ask(temperature=-0.1), HAIKU, "judge.temperature", "out of range"),
        (ask(temperature=float("nan")), HAIKU, "judge.temperature", "out of range"),
        (ask(temperature=0.5), GPT5, "judge.temperature", "does not accept a temperature"),
        (ask(max_tokens=-5), HAIKU, "judge.max_tokens", "-5 is out of range"),
        (ask(max_tokens=64_001), HAIKU, "judge.max_tokens", "1..64000"),
        (ask(effort=42), GPT5, "judge.reasoning_effort", "42 is unknown"),
        (ask(effort=3), HAIKU, "judge.reasoning_effort", "does not take a reasoning effort"),
        (ask(verbosity=9), GPT5, "judge.output_verbosity", "9 is unknown"),
        (ask(verbosity=2), HAIKU, "judge.output_verbosity", "does not take an output verbosity"),
    ],
)
def test_a_parameter_out_of_range_is_named(a, model, field, words):
    found = problem(a, model)
    assert found is not None and found.name == field and words in found.message


def test_no_reasoning_is_fine_for_every_model():
    assert problem(ask(effort=jr.EFFORT_NONE)) is None


def test_a_provider_without_credentials_names_the_variable_to_set_on_llm_provider():
    found = jr.provider_problem("anthropic", known=True, enabled=True, configured=False)
    assert found == jr.Problem(
        "ANTHROPIC_API_KEY",
        "provider anthropic has no credentials on llm_provider: set ANTHROPIC_API_KEY in "
        "llm_provider's environment (or choose another judge)",
    )


def test_a_disabled_or_unknown_provider_is_named_and_a_configured_one_passes():
    disabled = jr.provider_problem("openai_compatible", known=True, enabled=False, configured=False)
    assert disabled is not None and disabled.name == "LLM_PROVIDER_OPENAI_COMPATIBLE_ENABLED"
    unknown = jr.provider_problem("mystery", known=False, enabled=False, configured=False)
    assert unknown is not None and "no provider 'mystery'" in unknown.message
    assert jr.provider_problem("simulated", known=True, enabled=True, configured=True) is None
