"""TestProvider makes one small live call and reports latency, usage or the failure."""

from __future__ import annotations

import grpc
import pytest

from contracts.errors import reason_of
from contracts.huleedu.llm.v1 import llm_pb2
from llm_provider.domain import errors
from llm_provider.domain.errors import ProviderFailure
from tests.integration.llm_provider.support import ScriptedProvider

pytestmark = pytest.mark.integration


async def test_a_working_provider_answers_the_probe(start_service, stub_for):
    stub = stub_for(await start_service())
    response = await stub.TestProvider(llm_pb2.TestProviderRequest(provider="simulated"))
    assert response.ok and response.usage.prompt_tokens > 0 and response.latency_ms >= 0


async def test_a_failing_provider_reports_the_error_reason(start_service, stub_for):
    provider = ScriptedProvider(in_order=[ProviderFailure(errors.AUTHENTICATION, "bad key", 401)])
    stub = stub_for(await start_service(adapters={"simulated": provider}))
    response = await stub.TestProvider(llm_pb2.TestProviderRequest(provider="simulated"))
    assert not response.ok
    assert response.error_reason == llm_pb2.COMPARISON_ERROR_REASON_AUTHENTICATION


async def test_unknown_and_unconfigured_providers_are_refused(start_service, stub_for):
    stub = stub_for(await start_service({"OPENAI_API_KEY": ""}))
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await stub.TestProvider(llm_pb2.TestProviderRequest(provider="nobody"))
    assert unknown.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert reason_of(unknown.value) == "UNKNOWN_MODEL"
    with pytest.raises(grpc.aio.AioRpcError) as unconfigured:
        await stub.TestProvider(llm_pb2.TestProviderRequest(provider="openai"))
    assert unconfigured.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason_of(unconfigured.value) == "PROVIDER_NOT_CONFIGURED"
    assert "set OPENAI_API_KEY in llm_provider's environment" in unconfigured.value.details()
