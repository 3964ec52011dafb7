"""Anthropic Messages adapter against a loopback server speaking Anthropic's wire format."""

from __future__ import annotations

import pytest

from llm_provider.adapters.providers.anthropic import TOOL_NAME, AnthropicProvider
from llm_provider.domain import errors
from llm_provider.domain.errors import ProviderFailure
from llm_provider.domain.manifest import build_manifest
from llm_provider.domain.usage import cost_usd
from tests.integration.llm_provider.fake_vendor import Reply
from tests.integration.llm_provider.support import http_settings, provider_call

pytestmark = pytest.mark.integration


def message(content=None, *, stop: str = "tool_use"):
    content = content if content is not None else [
        {"type": "tool_use", "id": "toolu_1", "name": TOOL_NAME,
         "input": {"winner": "Essay A", "justification": "Better argued.", "confidence": 5}}]
    return {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
            "content": content, "stop_reason": stop, "stop_sequence": None,
            "usage": {"input_tokens": 150, "output_tokens": 40,
                      "cache_creation_input_tokens": 2000, "cache_read_input_tokens": 0}}


def error(kind: str, text: str) -> dict:
    return {"type": "error", "error": {"type": kind, "message": text}}


@pytest.fixture
def adapter(vendor):
    return AnthropicProvider(http_settings("anthropic", vendor.url))


async def test_forced_tool_use_yields_a_verdict_and_cache_writes_are_counted(adapter, vendor):
    vendor.replies.append(Reply(200, message()))
    call = provider_call("anthropic", "claude-haiku-4-5", temperature=0.0)
    reply = await adapter.judge(call)
    assert (reply.verdict.winner, reply.verdict.confidence) == ("A", 5)
    assert (reply.usage.prompt, reply.usage.cache_write, reply.usage.completion) == (150, 2000, 40)
    spec = build_manifest().get("anthropic", "claude-haiku-4-5")
    assert cost_usd(reply.usage, spec) == pytest.approx((150 * 1 + 2000 * 1.25 + 40 * 5) / 1e6)
    sent = vendor.received[0]
    body = sent.json()
    assert sent.path == "/v1/messages"
    assert sent.headers["x-api-key"] == "sk-test" and sent.headers["anthropic-version"]
    assert body["tool_choice"] == {"type": "tool", "name": TOOL_NAME}
    assert body["tools"][0]["input_schema"]["required"] == ["winner", "justification",
                                                            "confidence"]
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    blocks = body["messages"][0]["content"]
    assert [("cache_control" in b) for b in blocks] == [True, True, False]
    assert "Essay text one." in blocks[-1]["text"] and body["temperature"] == 0.0


@pytest.mark.parametrize(("reply", "kind", "retryable"), [
    (Reply(529, error("overloaded_error", "Overloaded")), errors.PROVIDER_ERROR, True),
    (Reply(429, error("rate_limit_error", "slow down"), {"retry-after": "3"}),
     errors.RATE_LIMITED, True),
    (Reply(400, error("invalid_request_error", "prompt is too long: 210000 tokens")),
     errors.CONTEXT_TOO_LONG, False),
    (Reply(401, error("authentication_error", "invalid x-api-key")),
     errors.AUTHENTICATION, False),
    (Reply(200, message(stop="max_tokens")), errors.INVALID_RESPONSE, True),
    (Reply(200, message([{"type": "text", "text": "Essay A is better."}], stop="end_turn")),
     errors.INVALID_RESPONSE, True),
    (Reply(200, message(stop="refusal")), errors.CONTENT_FILTERED, False),
    (Reply(200, b'{"type":"message","content":[{"type":"tool_'), errors.INVALID_RESPONSE, True),
])
async def test_failures_are_classified(adapter, vendor, reply, kind, retryable):
    vendor.replies.append(reply)
    with pytest.raises(ProviderFailure) as caught:
        await adapter.judge(provider_call("anthropic", "claude-sonnet-4-5"))
    assert (caught.value.kind, caught.value.retryable) == (kind, retryable)
    if reply.status == 429:
        assert caught.value.retry_after == 3.0
