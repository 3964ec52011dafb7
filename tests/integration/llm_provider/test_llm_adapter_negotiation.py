"""Structured-output and logprobs negotiation with local OpenAI-compatible servers, against a
loopback server answering from the request body (llama-cpp-python's refusals included)."""

from __future__ import annotations

import hashlib
import math

import pytest

from llm_provider.adapters.providers.base import ProviderCall
from llm_provider.adapters.providers.openai import OpenAIProvider
from llm_provider.domain import errors
from llm_provider.domain.errors import ProviderFailure
from llm_provider.domain.manifest import JSON_OBJECT, JSON_SCHEMA, TEXT, spec_from_mapping
from llm_provider.domain.prompt import Block, Prompt
from llm_provider.domain.verdict import VERDICT_SCHEMA
from tests.integration.llm_provider.fake_vendor import (
    INVENTED,
    ModelServer,
    Reply,
    chat_completion,
)
from tests.integration.llm_provider.support import http_settings

pytestmark = pytest.mark.integration

UNSUPPORTED_400 = Reply(400, {"object": "error", "type": "BadRequestError", "code": 400,
                              "message": "response_format is not supported by this server"})


def local_call(structured_output: int = JSON_SCHEMA, model: str = "smollm2-135m") -> ProviderCall:
    spec = spec_from_mapping({"provider": "openai_compatible", "model_id": model,
                              "context_window": 8_192, "max_output_tokens": 512,
                              "structured_output": structured_output})
    prompt = Prompt("You are an examiner.", (Block("Rubric: clarity.", True),),
                    "Essay text one.", "Essay text two.", "c0dec0dec0dec0de")
    return ProviderCall("req-1", spec, prompt, 0.0, 200)


def answer_tokens(letter: str, top: dict[str, float]) -> list[dict]:
    """Token logprobs of '{"winner": "Essay <letter>", ...}' with `top` at the letter."""
    pieces = ['{"', "winner", '":', ' "', "Essay", f" {letter}", '",', ' "', "justification",
              '":', ' "', "Clearer.", '",', ' "', "confidence", '":', " 4", "}"]
    alternatives = [{"token": t, "logprob": math.log(p)} for t, p in top.items()]
    return [{"token": piece, "logprob": math.log(top.get(piece, 0.99)),
             "top_logprobs": alternatives if piece == f" {letter}" else []}
            for piece in pieces]


@pytest.fixture
def local(vendor):
    return OpenAIProvider(http_settings("openai_compatible", vendor.url, key=""))


def formats(vendor) -> list[object]:
    return [r.json().get("response_format") for r in vendor.received]


async def test_a_500_on_json_schema_falls_back_in_the_same_call_and_is_remembered(local, vendor):
    vendor.responder = ModelServer()  # llama-cpp-python: json_schema is a 500
    reply = await local.judge(local_call())
    assert (reply.verdict.winner, reply.verdict.confidence) == ("B", 4)
    assert (reply.usage.prompt, reply.usage.completion) == (300, 25)
    assert formats(vendor)[0]["type"] == "json_schema"  # type: ignore[index]
    assert formats(vendor)[1] == {"type": "json_object", "schema": VERDICT_SCHEMA}
    # The hash on the reply is of the body that got the verdict, not of the refused one.
    assert reply.sent_sha256 == hashlib.sha256(vendor.received[1].body).hexdigest()
    await local.judge(local_call())
    assert len(vendor.received) == 3 and formats(vendor)[2] == formats(vendor)[1]
    assert hashlib.sha256(vendor.received[2].body).hexdigest() == local.prompt_sha256(
        local_call())


async def test_the_prompt_names_the_keys_so_json_object_mode_gets_a_verdict(local, vendor):
    vendor.responder = ModelServer(refused=frozenset({"json_schema"}))
    reply = await local.judge(local_call(JSON_OBJECT))
    body_text = vendor.received[0].body.decode()
    assert reply.verdict.winner == "B" and "JSON" in body_text and '\\"winner\\"' in body_text


async def test_refusals_of_every_mode_end_in_unsupported_feature(local, vendor):
    vendor.responder = ModelServer(refused=frozenset({"json_schema", "json_object", "text"}),
                                   refusal=UNSUPPORTED_400)
    with pytest.raises(ProviderFailure) as caught:
        await local.judge(local_call())
    failure = caught.value
    assert failure.kind == errors.UNSUPPORTED_FEATURE and not failure.retryable
    assert failure.kind not in errors.UNHEALTHY and failure.http_status == 400
    assert "json_schema, json_object+schema, json_object, text" in failure.message
    assert "response_format is not supported" in failure.message
    assert len(vendor.received) == 4 and "response_format" not in vendor.received[3].json()
    assert failure.sent_sha256 == hashlib.sha256(vendor.received[3].body).hexdigest()
    with pytest.raises(ProviderFailure):
        await local.judge(local_call())
    assert len(vendor.received) == 5  # starts where the last call ended


async def test_a_refusal_of_logprobs_drops_them_and_is_remembered(local, vendor):
    vendor.responder = ModelServer(refused=frozenset(), refuse_logprobs=True)
    reply = await local.judge(local_call())
    await local.judge(local_call())
    sent = [r.json() for r in vendor.received]
    assert reply.verdict.winner == "B" and len(sent) == 3
    assert sent[0]["logprobs"] is True and "logprobs" not in sent[1] and "logprobs" not in sent[2]
    assert sent[2]["response_format"]["type"] == "json_schema"


async def test_an_outage_is_no_refusal(local, vendor):
    vendor.replies.append(Reply(500, {"error": {"message": "CUDA error: out of memory",
                                                "type": "internal_server_error"}}))
    with pytest.raises(ProviderFailure) as caught:
        await local.judge(local_call())
    assert caught.value.kind == errors.PROVIDER_ERROR and len(vendor.received) == 1


@pytest.mark.parametrize("content", [
    INVENTED,
    '{"winner": "Essay A", "justification": "x", "confidence": 2018}',
    '{"winner": "Essay A", "justification": "x", "confidence": 4, "score": 9}',
])
async def test_invented_keys_and_off_scale_confidence_are_refused(local, vendor, content):
    vendor.replies.append(Reply(200, chat_completion(content)))
    with pytest.raises(ProviderFailure) as caught:
        await local.judge(local_call(JSON_OBJECT))
    assert caught.value.kind == errors.INVALID_RESPONSE and caught.value.retryable
    assert caught.value.usage.completion == 25


async def test_text_mode_sends_no_response_format_and_reads_a_fenced_answer(local, vendor):
    vendor.responder = ModelServer(refused=frozenset())
    reply = await local.judge(local_call(TEXT))
    assert reply.verdict.winner == "B" and "response_format" not in vendor.received[0].json()


async def test_text_mode_still_refuses_two_objects(local, vendor):
    two = '{"winner": "Essay A", "justification": "x", "confidence": 3} or {"winner": "Essay B"}'
    vendor.replies.append(Reply(200, chat_completion(two)))
    with pytest.raises(ProviderFailure) as caught:
        await local.judge(local_call(TEXT))
    assert caught.value.kind == errors.INVALID_RESPONSE


async def test_logprobs_that_contradict_the_verdict_are_dropped_and_flagged(local, vendor):
    # llama.cpp reports the unconstrained distribution: A leads, yet the grammar chose B.
    tokens = answer_tokens("B", {" A": 0.88, " B": 0.05, " Essay": 0.04})
    vendor.responder = ModelServer(refused=frozenset(), logprobs=tokens)
    reply = await local.judge(local_call())
    assert vendor.received[0].json()["logprobs"] is True
    assert reply.verdict.winner == "B" and reply.verdict.probability_a is None
    assert reply.verdict.probability_a_contradicted


async def test_agreeing_logprobs_are_renormalised_over_a_and_b(local, vendor):
    tokens = answer_tokens("B", {" B": 0.6, " A": 0.2, " Both": 0.15})
    vendor.responder = ModelServer(refused=frozenset(), logprobs=tokens)
    reply = await local.judge(local_call())
    assert reply.verdict.probability_a == pytest.approx(0.25)
    assert not reply.verdict.probability_a_contradicted


async def test_models_are_learned_apart(local, vendor):
    vendor.responder = ModelServer()
    await local.judge(local_call(model="one"))
    await local.judge(local_call(model="two"))
    assert [f["type"] for f in formats(vendor)] == [  # type: ignore[index]
        "json_schema", "json_object", "json_schema", "json_object"]
