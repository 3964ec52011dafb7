"""What an assessment will cost before it runs: calls from the budget, dollars from the manifest.

Token counts are estimated at four characters per token (English prose), plus a fixed judge
system prompt and a short JSON verdict; the estimate says so wherever it is shown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cj_service.domain import judge_rules
from cli.errors import bad_input
from cli.io.inventory import Inventory
from contracts.huleedu.llm.v1 import llm_pb2

CHARS_PER_TOKEN = 4.0
SYSTEM_PROMPT_TOKENS = 300
VERDICT_TOKENS = 150
COMPARISONS_PER_ESSAY = 10


@dataclass(frozen=True)
class Judge:
    provider: str
    model: str

    def __str__(self) -> str:
        return f"{self.provider}/{self.model}"


@dataclass(frozen=True)
class Estimate:
    calls: int
    input_tokens_per_call: int
    output_tokens_per_call: int
    cost_usd: float | None  # None when the model's prices are unknown


def parse_judge(text: str) -> Judge:
    provider, sep, model = text.partition("/")
    if not sep or not provider or not model:
        raise bad_input(f"--judge {text!r}: expected provider/model, "
                        "e.g. simulated/simulated-judge")
    return Judge(provider, model)


def default_budget(total_essays: int) -> int:
    """About ten comparisons per essay (each comparison involves two essays)."""
    return max(1, math.ceil(total_essays * COMPARISONS_PER_ESSAY / 2))


def tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def estimate(inventory: Inventory, *, budget: int, model: llm_pb2.ModelInfo | None) -> Estimate:
    inputs = inventory.all_inputs
    mean_essay = sum(tokens(f.text) for f in inputs) / max(1, len(inputs))
    context = sum(tokens(c.text) for c in inventory.context.values())
    per_in = math.ceil(SYSTEM_PROMPT_TOKENS + context + 2 * mean_essay)
    cost = None
    if model is not None:
        cost = budget * (per_in * model.input_price_per_mtok
                         + VERDICT_TOKENS * model.output_price_per_mtok) / 1e6
    return Estimate(calls=budget, input_tokens_per_call=per_in,
                    output_tokens_per_call=VERDICT_TOKENS, cost_usd=cost)


def find_model(models: list[llm_pb2.ModelInfo], judge: Judge) -> llm_pb2.ModelInfo | None:
    for info in models:
        if info.provider == judge.provider and info.model_id == judge.model:
            return info
    return None


def unknown_model_message(models: list[llm_pb2.ModelInfo], judge: Judge) -> str:
    same = sorted(m.model_id for m in models if m.provider == judge.provider)
    if not same:
        providers = sorted({m.provider for m in models})
        return f"unknown judge provider {judge.provider!r}; the manifest has {', '.join(providers)}"
    return (f"unknown model {judge.model!r} for provider {judge.provider}; "
            f"choose one of {', '.join(same)} (`huleedu models`)")


def provider_warnings(providers: list[llm_pb2.ProviderInfo], judge: Judge) -> list[str]:
    """Why llm_provider could not call the judge's provider ([] when it can)."""
    info = next((p for p in providers if p.provider == judge.provider), None)
    if info is None:
        return []
    problem = judge_rules.provider_problem(
        judge.provider, known=True, enabled=info.enabled, configured=info.configured,
        key_variables=info.key_variables)
    if problem is None:
        return []
    state, setting = (("has no API key", problem.name) if info.enabled
                      else ("is disabled", f"{problem.name}=true"))
    return [f"provider {judge.provider} {state} on llm_provider (set {setting} in its "
            "environment): the submission would be refused"]
