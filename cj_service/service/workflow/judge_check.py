"""The judge of a submission: the one asked for, else the server's CJ_DEFAULT_JUDGE; checked
against llm_provider (ListModels, ListProviders, cached briefly) before anything is stored.

Refusals: no judge and no default, an unknown model or a parameter out of the model's range
(INVALID_ARGUMENT naming the field), a provider without credentials on llm_provider
(FAILED_PRECONDITION naming the variable to set there), llm_provider unreachable
(UNAVAILABLE: a judge that cannot be checked is not accepted blindly).
"""

from __future__ import annotations

from dataclasses import replace

from cj_service.domain import judge_rules
from cj_service.service.workflow.model import JudgeSettings
from cj_service.service.workflow.ports import JudgeClient
from contracts.errors import failed_precondition, invalid_argument


async def resolve(client: JudgeClient, judge: JudgeSettings, *, default: str) -> JudgeSettings:
    """The judge the assessment will use, checked; a ServiceError when it cannot be."""
    judge = with_default(judge, default)
    name = f"{judge.provider}/{judge.model}"
    limits = await client.model(judge.provider, judge.model)
    if limits is None:
        raise invalid_argument(
            "UNKNOWN_MODEL",
            f"judge {name} is not in llm_provider's manifest (`huleedu models` lists it)",
            provider=judge.provider,
            model=judge.model,
        )
    problem = judge_rules.parameter_problem(
        ask_of(judge), limits, efforts=client.efforts, verbosities=client.verbosities
    )
    if problem is not None:
        raise invalid_argument("INVALID_ARGUMENT", problem.message, field=problem.name)
    await _check_provider(client, judge.provider, name)
    return judge


def with_default(judge: JudgeSettings, default: str) -> JudgeSettings:
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
    provider, _, model = default.partition("/")
    return replace(judge, provider=provider, model=model)


def ask_of(judge: JudgeSettings) -> judge_rules.JudgeAsk:
    return judge_rules.JudgeAsk(
        temperature=judge.temperature,
        max_tokens=judge.max_tokens,
        reasoning_effort=judge.reasoning_effort,
        output_verbosity=judge.output_verbosity,
    )


async def _check_provider(client: JudgeClient, provider: str, name: str) -> None:
    info = await client.provider(provider)
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
