"""Whether a judge can be used as asked, from llm_provider's description of its model and
provider (ListModels, ListProviders): plain values in, a Problem (or None) out.

A submission is refused on these at once; before, a bad temperature or a provider without a
key was accepted and failed the batch a moment later.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

# ModelInfo has no max_temperature (llm_provider's manifest has): the APIs' own ranges.
REASONING, VERBOSITY = "reasoning", "verbosity"  # ModelInfo capability tags
EFFORT_NONE = 1  # common.v1.REASONING_EFFORT_NONE: every model takes "no reasoning"


@dataclass(frozen=True)
class Problem:
    name: str  # the parameter to fix, or the variable to set
    message: str


@dataclass(frozen=True)
class ModelLimits:
    judge: str  # "provider/model"
    supports_temperature: bool
    max_temperature: float
    max_output_tokens: int
    capabilities: frozenset[str]


@dataclass(frozen=True)
class JudgeAsk:
    temperature: float | None
    max_tokens: int  # 0 = the model's default
    reasoning_effort: int
    output_verbosity: int


def parameter_problem(
    ask: JudgeAsk,
    model: ModelLimits,
    *,
    efforts: Collection[int],
    verbosities: Collection[int],
) -> Problem | None:
    """The first judge parameter the model cannot take, or None."""
    return (
        _temperature(ask, model)
        or _max_tokens(ask, model)
        or _effort(ask, model, efforts)
        or _verbosity(ask, model, verbosities)
    )


def _temperature(ask: JudgeAsk, model: ModelLimits) -> Problem | None:
    t = ask.temperature
    if t is None:
        return None
    if not model.supports_temperature:
        return Problem("judge.temperature", f"{model.judge} does not accept a temperature")
    if not (math.isfinite(t) and 0.0 <= t <= model.max_temperature):
        return Problem(
            "judge.temperature",
            f"judge.temperature {t:g} is out of range: {model.judge} takes "
            f"0..{model.max_temperature:g}",
        )
    return None


def _max_tokens(ask: JudgeAsk, model: ModelLimits) -> Problem | None:
    if 0 <= ask.max_tokens <= model.max_output_tokens:
        return None
    return Problem(
        "judge.max_tokens",
        f"judge.max_tokens {ask.max_tokens} is out of range: {model.judge} takes "
        f"1..{model.max_output_tokens} (0 = the model's default)",
    )


def _effort(ask: JudgeAsk, model: ModelLimits, efforts: Collection[int]) -> Problem | None:
    effort = ask.reasoning_effort
    if effort not in efforts:
        return Problem("judge.reasoning_effort", f"judge.reasoning_effort {effort} is unknown")
    if effort > EFFORT_NONE and REASONING not in model.capabilities:
        return Problem("judge.reasoning_effort", f"{model.judge} does not take a reasoning effort")
    return None


def _verbosity(ask: JudgeAsk, model: ModelLimits, verbosities: Collection[int]) -> Problem | None:
    v = ask.output_verbosity
    if v not in verbosities:
        return Problem("judge.output_verbosity", f"judge.output_verbosity {v} is unknown")
    if v and VERBOSITY not in model.capabilities:
        return Problem("judge.output_verbosity", f"{model.judge} does not take an output verbosity")
    return None


def provider_problem(
    provider: str, *, known: bool, enabled: bool, configured: bool,
    key_variables: Sequence[str] = (),
) -> Problem | None:
    """Why llm_provider cannot call `provider` (naming what to set there), or None.
    key_variables: where llm_provider reads its key (ProviderInfo.key_variables)."""
    if not known:
        return Problem("", f"llm_provider has no provider {provider!r}")
    if configured:
        return None
    if not enabled:
        variable = f"LLM_PROVIDER_{provider.upper()}_ENABLED"
        return Problem(
            variable,
            f"provider {provider} is disabled on llm_provider: set "
            f"{variable}=true in llm_provider's environment",
        )
    first, *others = key_variables or (f"{provider.upper()}_API_KEY",)
    variable = first + "".join(f" (or {v})" for v in others)
    return Problem(
        variable,
        f"provider {provider} has no credentials on llm_provider: set "
        f"{variable} in llm_provider's environment (or choose another judge)",
    )
