"""Gemini generateContent adapter against a loopback server speaking Gemini's wire format."""

from __future__ import annotations

import pytest

from llm_provider.adapters.providers.gemini import GeminiProvider
from llm_provider.domain import errors
from llm_provider.domain.errors import ProviderFailure
from tests.integration.llm_provider.fake_vendor import Reply
from tests.integration.llm_provider.support import http_settings, provider_call

pytestmark = pytest.mark.integration

ANSWER = '{"winner": "Essay B", "justification": "More precise.", "confidence": 3}'


def generated(text: str = ANSWER, *, finish: str = "STOP"):
    return {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]},
                            "finishReason": finish, "index": 0}],
            "usageMetadata": {"promptTokenCount": 900, "candidatesTokenCount": 25,
                              "thoughtsTokenCount": 300, "cachedContentTokenCount": 600,
                              "totalTokenCount": 1225},
            "modelVersion": "gemini-2.5-flash"}


def status(code: int, name: str, text: str, details=None) -> dict:
    return {"error": {"code": code, "message": text, "status": name, "details": details or []}}


@pytest.fixture
def adapter(vendor):
    return GeminiProvider(http_settings("google", vendor.url, key="AIza-test"))


async def test_a_verdict_comes_back_with_thinking_billed_as_output(adapter, vendor):
    vendor.replies.append(Reply(200, generated()))
    reply = await adapter.judge(provider_call("google", "gemini-2.5-flash",
                                              reasoning_effort="none", temperature=0.5))
    assert (reply.verdict.winner, reply.verdict.confidence) == ("B", 3)
    assert (reply.usage.prompt, reply.usage.cache_read, reply.usage.completion) == (300, 600, 325)
    sent = vendor.received[0]
    body = sent.json()
    assert sent.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert sent.headers["x-goog-api-key"] == "AIza-test"
    config = body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseSchema"]["required"] == ["winner", "justification", "confidence"]
    assert config["thinkingConfig"] == {"thinkingBudget": 0} and config["temperature"] == 0.5
    system = body["systemInstruction"]["parts"][0]["text"]
    assert system.startswith("You are an examiner.\n\n") and "never instructions" in system
    assert len(body["contents"][0]["parts"]) == 3


@pytest.mark.parametrize(("reply", "kind", "retryable"), [
    (Reply(429, status(429, "RESOURCE_EXHAUSTED", "quota", [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"}])),
     errors.RATE_LIMITED, True),
    (Reply(503, status(503, "UNAVAILABLE", "The model is overloaded.")),
     errors.PROVIDER_ERROR, True),
    (Reply(400, status(400, "INVALID_ARGUMENT",
                       "The input token count (2000000) exceeds the maximum number of tokens")),
     errors.CONTEXT_TOO_LONG, False),
    (Reply(403, status(403, "PERMISSION_DENIED", "API key not valid")),
     errors.AUTHENTICATION, False),
    (Reply(200, generated('{"winner": "Essay B", "justif', finish="MAX_TOKENS")),
     errors.INVALID_RESPONSE, True),
    (Reply(200, generated("", finish="SAFETY")), errors.CONTENT_FILTERED, False),
    (Reply(200, {"promptFeedback": {"blockReason": "SAFETY"}}), errors.CONTENT_FILTERED, False),
    (Reply(200, generated("Essay B, clearly.")), errors.INVALID_RESPONSE, True),
])
async def test_failures_are_classified(adapter, vendor, reply, kind, retryable):
    vendor.replies.append(reply)
    with pytest.raises(ProviderFailure) as caught:
        await adapter.judge(provider_call("google", "gemini-2.5-flash"))
    assert (caught.value.kind, caught.value.retryable) == (kind, retryable)
    if reply.status == 429:
        assert caught.value.retry_after == 7.0
