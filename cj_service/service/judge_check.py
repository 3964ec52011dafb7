"""The judge of a submission: the one asked for, else the server's CJ_DEFAULT_JUDGE; checked
against llm_provider (ListModels, ListProviders, cached briefly) before anything is stored.

Refusals: no judge and no default, an unknown model or a parameter out of the model's range
(INVALID_ARGUMENT naming the field), a provider without credentials on llm_provider
(FAILED_PRECONDITION naming the variable to set there), llm_provider unreachable
(UNAVAILABLE: a judge that cannot be checked is not accepted blindly).
"""

from __future__ import annotations

from cj_service.domain import judge_rules
from cj_service.service.deps import Deps
from contracts.errors import failed_precondition, invalid_argument
from contracts.huleedu.common.v1 import common_pb2
from contracts.huleedu.llm.v1 import llm_pb2

EFFORTS = frozenset(common_pb2.ReasoningEffort.values())
VERBOSITIES = frozenset(common_pb2.OutputVerbosity.values())


async def resolve(deps: Deps, judge: common_pb2.JudgeConfig) -> common_pb2.JudgeConfig:
    """The judge the batch will use, checked; a ServiceError when it cannot be."""
    judge = with_default(judge, deps.config.default_judge)
    name = f"{judge.provider}/{judge.model}"
    model = await deps.llm.model(judge.provider, judge.model)
    if model is None:
        raise invalid_argument(
            "UNKNOWN_MODEL",
            f"judge {name} is not in llm_provider's manifest (`huleedu models` lists it)",
            provider=judge.provider,
            model=judge.model,
        )
    problem = judge_rules.parameter_problem(
        ask_of(judge), limits_of(model), efforts=EFFORTS, verbosities=VERBOSITIES
    )
    if problem is not None:
        raise invalid_argument("INVALID_ARGUMENT", problem.message, field=problem.name)
    await _check_provider(deps, judge.provider, name)
    return judge


def with_default(judge: common_pb2.JudgeConfig, default: str) -> common_pb2.JudgeConfig:
    """The request's judge, or the configured default when it names neither provider nor
    model (its parameters kept); half a judge is refused rather than completed silently."""
    if judge.provider and judge.model:
        return judge
    if judge.provider or judge.model:
        missing = "judge.model" if judge.provider else "judge.provider"
        raise invalid_argument("INVALID_ARGUMENT", f"{missing} is required", field=missing)
    if not default:
        raise invalid_argument(
            "INVALID_ARGUMENT", "judge is required (or set CJ_DEFAULT_JUDGE)", field="judge"
        )
    chosen = common_pb2.JudgeConfig()
    chosen.CopyFrom(judge)
    chosen.provider, _, chosen.model = default.partition("/")
    return chosen


def ask_of(judge: common_pb2.JudgeConfig) -> judge_rules.JudgeAsk:
    return judge_rules.JudgeAsk(
        temperature=judge.temperature if judge.HasField("temperature") else None,
        max_tokens=judge.max_tokens,
        reasoning_effort=int(judge.reasoning_effort),
        output_verbosity=int(judge.output_verbosity),
    )


def limits_of(model: llm_pb2.ModelInfo) -> judge_rules.ModelLimits:
    return judge_rules.ModelLimits(
        judge=f"{model.provider}/{model.model_id}",
        supports_temperature=model.supports_temperature,
        max_temperature=model.max_temperature,
        max_output_tokens=model.max_output_tokens,
        capabilities=frozenset(model.capabilities),
    )


async def _check_provider(deps: Deps, provider: str, name: str) -> None:
    info = await deps.llm.provider(provider)
    problem = judge_rules.provider_problem(
        provider,
        known=info is not None,
        enabled=bool(info and info.enabled),
        configured=bool(info and info.configured),
        key_variables=list(info.key_variables) if info else [],
    )
    if problem is not None:
        raise failed_precondition(
            "PROVIDER_NOT_CONFIGURED",
            f"judge {name} cannot be used: {problem.message}",
            provider=provider,
            variable=problem.name,
        )
