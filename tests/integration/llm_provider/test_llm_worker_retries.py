"""The worker: retryable failures retry with backoff; final failures and expiry end in one error."""

from __future__ import annotations

import pytest

from contracts.huleedu.llm.v1 import llm_pb2
from llm_provider.domain import errors
from llm_provider.domain.errors import ProviderFailure
from llm_provider.domain.usage import Usage
from tests.integration.llm_provider.support import ScriptedProvider, comparison, once_each, submit

pytestmark = pytest.mark.integration


def fail(kind: str, status: int = 0, usage: Usage | None = None) -> ProviderFailure:
    return ProviderFailure(kind, f"scripted {kind}", http_status=status, usage=usage or Usage())


async def test_retryable_failures_are_retried_until_a_verdict_and_all_tokens_are_billed(
    start_service, stub_for, results
):
    provider = ScriptedProvider(per_request={"r": [
        fail(errors.PROVIDER_ERROR, 500), fail(errors.INVALID_RESPONSE, 200, Usage(70, 9))]})
    app = await start_service({"LLM_PROVIDER_MAX_ATTEMPTS": "3"}, adapters={"simulated": provider})
    await submit(stub_for(app), comparison("r", model="simulated-priced"))
    [result] = await results.wait_for(1)
    assert result.verdict.winner == llm_pb2.WINNER_ESSAY_A and result.attempts == 3
    assert [attempt for _, attempt, _ in provider.calls] == [1, 2, 3]
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (170, 29)
    assert result.cost_usd == pytest.approx((170 * 1.0 + 29 * 5.0) / 1e6)
    [usage] = await results.usage_events()
    assert usage.succeeded and usage.attempts == 3 and usage.cost_usd == result.cost_usd


async def test_retries_that_run_out_end_in_one_error_result(start_service, stub_for, results):
    provider = ScriptedProvider(per_request={"r": [fail(errors.RATE_LIMITED, 429)] * 5})
    app = await start_service({"LLM_PROVIDER_MAX_ATTEMPTS": "3"}, adapters={"simulated": provider})
    await submit(stub_for(app), comparison("r"))
    [result] = await results.wait_for(1)
    assert result.error.reason == llm_pb2.COMPARISON_ERROR_REASON_RATE_LIMITED
    assert result.error.retryable and result.error.provider_http_status == 429
    assert result.attempts == 3 and provider.calls_for("r") == 3


async def test_a_non_retryable_failure_ends_the_request_at_once(start_service, stub_for, results):
    provider = ScriptedProvider(per_request={"r": [fail(errors.AUTHENTICATION, 401)]})
    app = await start_service(adapters={"simulated": provider})
    await submit(stub_for(app), comparison("r"))
    [result] = await results.wait_for(1)
    assert result.error.reason == llm_pb2.COMPARISON_ERROR_REASON_AUTHENTICATION
    assert not result.error.retryable and result.attempts == 1


async def test_a_request_past_its_ttl_ends_in_an_expired_result(start_service, stub_for, results):
    provider = ScriptedProvider(per_request={"r": [fail(errors.TIMEOUT)] * 1_000})
    app = await start_service({"LLM_PROVIDER_MAX_ATTEMPTS": "1000"},
                              adapters={"simulated": provider})
    await submit(stub_for(app), comparison("r", ttl_s=0.6))
    [result] = await results.wait_for(1)
    assert result.error.reason == llm_pb2.COMPARISON_ERROR_REASON_EXPIRED
    assert "last error" in result.error.message and result.attempts == provider.calls_for("r")
    assert result.attempts >= 1 and once_each(await results.results())


async def test_the_simulated_judge_with_30_percent_faults_still_answers_every_request(
    start_service, stub_for, results
):
    app = await start_service({
        "LLM_PROVIDER_MAX_ATTEMPTS": "12", "LLM_PROVIDER_SIMULATED_RATE_429": "0.15",
        "LLM_PROVIDER_SIMULATED_RATE_500": "0.15", "LLM_PROVIDER_SIMULATED_RETRY_AFTER_S": "0.05",
    })
    await submit(stub_for(app), *(comparison(f"s{i}") for i in range(20)))
    found = await results.wait_for(20, timeout=30)
    assert len(found) == 20 and once_each(found)
    assert all(r.HasField("verdict") for r in found)
    assert sum(r.attempts for r in found) > 20  # faults happened and were retried


async def test_a_provider_missing_on_the_worker_side_ends_in_provider_not_configured(
    start_service, stub_for, results
):
    app = await start_service(adapters={})
    await submit(stub_for(app), comparison("r"))
    [result] = await results.wait_for(1)
    assert result.error.reason == llm_pb2.COMPARISON_ERROR_REASON_PROVIDER_NOT_CONFIGURED


async def test_a_429_with_retry_after_is_not_retried_before_the_provider_allows(
    start_service, stub_for, results
):
    limited = ProviderFailure(errors.RATE_LIMITED, "slow down", http_status=429, retry_after=0.8)
    provider = ScriptedProvider(per_request={"r": [limited]})
    app = await start_service(adapters={"simulated": provider})
    await submit(stub_for(app), comparison("r"))
    [result] = await results.wait_for(1)
    assert result.HasField("verdict") and result.attempts == 2
    first, second = (t for _, _, t in provider.calls)
    assert second - first >= 0.8
