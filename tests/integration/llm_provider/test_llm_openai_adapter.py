"""OpenAI chat completions adapter against a loopback server speaking OpenAI's wire format."""

from __future__ import annotations

import hashlib
import math

import pytest

from llm_provider.adapters.providers.openai import OpenAIProvider
from llm_provider.domain import errors
from llm_provider.domain.errors import ProviderFailure
from tests.integration.llm_provider.fake_vendor import Reply
from tests.integration.llm_provider.support import http_settings, provider_call

pytestmark = pytest.mark.integration

ANSWER = '{"winner":"Essay B","justification":"Clearer.","confidence":4}'


def completion(content: str = ANSWER, *, finish: str = "stop", logprobs=None, cached: int = 0):
    choice = {"index": 0, "finish_reason": finish,
              "message": {"role": "assistant", "content": content, "refusal": None}}
    if logprobs is not None:
        choice["logprobs"] = {"content": logprobs}
    return {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4.1",
            "choices": [choice],
            "usage": {"prompt_tokens": 1200, "completion_tokens": 30, "total_tokens": 1230,
                      "prompt_tokens_details": {"cached_tokens": cached}}}


def logprob_tokens(winner_letter: str, p_letter: float):
    other = "A" if winner_letter == "B" else "B"
    pieces = ['{"', "winner", '":"', "Essay", f" {winner_letter}", '","', "justification",
              '":"', "Clearer.", '","', "confidence", '":', "4", "}"]
    out = []
    for piece in pieces:
        if piece == f" {winner_letter}":
            top = [{"token": piece, "logprob": math.log(p_letter)},
                   {"token": f" {other}", "logprob": math.log(1 - p_letter)}]
            out.append({"token": piece, "logprob": math.log(p_letter), "top_logprobs": top})
        else:
            out.append({"token": piece, "logprob": -0.001, "top_logprobs": []})
    return out


@pytest.fixture
def adapter(vendor):
    return OpenAIProvider(http_settings("openai", vendor.url))


async def test_a_verdict_comes_back_with_cached_tokens_billed_apart_and_p_a(adapter, vendor):
    vendor.replies.append(Reply(200, completion(logprobs=logprob_tokens("B", 0.8), cached=1000)))
    call = provider_call("openai", "gpt-4.1", temperature=0.2)
    reply = await adapter.judge(call)
    assert (reply.verdict.winner, reply.verdict.confidence) == ("B", 4)
    assert reply.verdict.probability_a == pytest.approx(0.2)
    assert (reply.usage.prompt, reply.usage.cache_read, reply.usage.completion) == (200, 1000, 30)
    sent = vendor.received[0]
    body = sent.json()
    assert sent.path == "/chat/completions" and sent.headers["authorization"] == "Bearer sk-test"
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["strict"] is True
    assert body["max_completion_tokens"] == 800 and body["temperature"] == 0.2
    assert body["logprobs"] is True and body["top_logprobs"] == 5
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert hashlib.sha256(sent.body).hexdigest() == adapter.prompt_sha256(call)


async def test_reasoning_models_get_effort_and_verbosity_but_no_logprobs(adapter, vendor):
    vendor.replies.append(Reply(200, completion()))
    await adapter.judge(provider_call("openai", "gpt-5-mini", reasoning_effort="low",
                                      verbosity="low"))
    body = vendor.received[0].json()
    assert body["reasoning_effort"] == "low" and body["verbosity"] == "low"
    assert "logprobs" not in body and "temperature" not in body


@pytest.mark.parametrize(("reply", "kind", "retryable"), [
    (Reply(429, {"error": {"message": "Rate limit", "type": "requests", "code": None}},
           {"retry-after": "2"}), errors.RATE_LIMITED, True),
    (Reply(500, {"error": {"message": "server error", "type": "server_error"}}),
     errors.PROVIDER_ERROR, True),
    (Reply(401, {"error": {"message": "Incorrect API key", "code": "invalid_api_key"}}),
     errors.AUTHENTICATION, False),
    (Reply(400, {"error": {"message": "too long", "code": "context_length_exceeded"}}),
     errors.CONTEXT_TOO_LONG, False),
    (Reply(200, "{not json"), errors.INVALID_RESPONSE, True),
    (Reply(200, completion('{"winner":"Essay B","justif', finish="length")),
     errors.INVALID_RESPONSE, True),
    (Reply(200, completion('{"winner":"Essay C","justification":"x","confidence":3}')),
     errors.INVALID_RESPONSE, True),
    (Reply(200, completion('{"winner":"Essay A","justification":"x","confidence":9}')),
     errors.INVALID_RESPONSE, True),
    (Reply(200, completion("", finish="content_filter")), errors.CONTENT_FILTERED, False),
])
async def test_failures_are_classified(adapter, vendor, reply, kind, retryable):
    vendor.replies.append(reply)
    with pytest.raises(ProviderFailure) as caught:
        await adapter.judge(provider_call("openai", "gpt-4.1"))
    assert (caught.value.kind, caught.value.retryable) == (kind, retryable)
    if reply.status == 429:
        assert caught.value.retry_after == 2.0 and caught.value.http_status == 429


async def test_a_truncated_answer_is_still_billed(adapter, vendor):
    vendor.replies.append(Reply(200, completion('{"winner":', finish="length")))
    with pytest.raises(ProviderFailure) as caught:
        await adapter.judge(provider_call("openai", "gpt-4.1"))
    assert caught.value.usage.completion == 30


async def test_a_slow_server_is_a_timeout_and_a_dead_one_a_connection_error(vendor):
    slow = OpenAIProvider(http_settings("openai", vendor.url, timeout_s=0.2))
    vendor.replies.append(Reply(200, completion(), delay_s=1.0))
    with pytest.raises(ProviderFailure) as timed_out:
        await slow.judge(provider_call("openai", "gpt-4.1"))
    assert timed_out.value.kind == errors.TIMEOUT
    dead = OpenAIProvider(http_settings("openai", "http://127.0.0.1:9"))
    with pytest.raises(ProviderFailure) as refused:
        await dead.judge(provider_call("openai", "gpt-4.1"))
    assert refused.value.kind == errors.CONNECTION_ERROR


async def test_openai_compatible_servers_get_max_tokens_and_a_placeholder_key(vendor):
    local = OpenAIProvider(http_settings("openai_compatible", vendor.url, key=""))
    vendor.replies.append(Reply(200, completion()))
    await local.judge(provider_call("openai", "gpt-4o-mini"))
    sent = vendor.received[0]
    assert sent.json()["max_tokens"] == 800
    assert sent.headers["authorization"] == "Bearer no-key"


async def test_a_configured_key_is_sent_to_a_compatible_server(vendor):
    local = OpenAIProvider(http_settings("openai_compatible", vendor.url, key="local-secret"))
    vendor.replies.append(Reply(200, completion()))
    await local.judge(provider_call("openai", "gpt-4o-mini"))
    assert vendor.received[0].headers["authorization"] == "Bearer local-secret"
