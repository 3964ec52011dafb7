"""Telling a server's refusal of a feature from any other error, and the fallback ladder."""

from __future__ import annotations

import pytest

from llm_provider.domain import errors
from llm_provider.domain.manifest import JSON_OBJECT, JSON_SCHEMA, TEXT, TOOL_USE
from llm_provider.domain.negotiation import (
    JSON_OBJECT_MODE,
    JSON_OBJECT_SCHEMA_MODE,
    JSON_SCHEMA_MODE,
    LOGPROBS,
    RESPONSE_FORMAT,
    TEXT_MODE,
    Offer,
    exhausted_message,
    first_offer,
    lowest,
    next_offer,
    refused_feature,
)

# llama-cpp-python 0.3.x: FastAPI's request validation error, answered with HTTP 500.
LLAMA_CPP_PYTHON = (
    "[{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': \"Input "
    "should be 'text' or 'json_object'\", 'input': 'json_schema', 'ctx': {'expected': \"'text'"
    " or 'json_object'\"}}]"
)
# Newer FastAPI formats the same exception with a count.
LLAMA_CPP_PYTHON_COUNTED = (
    "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', "
    "'type'), 'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema'}"
)
# llama.cpp's own server before json_schema support (500, "server_error").
LLAMA_SERVER = 'response_format type must be one of "text" or "json_object", but got: json_schema'
OPENAI_400 = ("Invalid parameter: 'response_format' of type 'json_schema' is not supported "
              "with this model. Learn more about supported models at the Structured Outputs "
              "guide: https://platform.openai.com/docs/guides/structured-outputs")
VLLM_400 = ("[{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': "
            "\"Input should be 'text', 'json_object' or 'json_schema'\", 'input': 'grammar'}]")
OLLAMA_400 = "invalid response_format type: json_schema"
LM_STUDIO_400 = "'response_format.type' must be 'json_schema' or 'text'"
LOGPROBS_400 = "logprobs is not supported by this server"
VLLM_TOP_LOGPROBS = ("[{'type': 'value_error', 'loc': ('body',), 'msg': 'Value error, "
                     "`top_logprobs` must be a positive value.'}]")


@pytest.mark.parametrize(("status", "message", "feature"), [
    (500, LLAMA_CPP_PYTHON, RESPONSE_FORMAT),
    (500, LLAMA_CPP_PYTHON_COUNTED, RESPONSE_FORMAT),
    (500, LLAMA_SERVER, RESPONSE_FORMAT),
    (400, OPENAI_400, RESPONSE_FORMAT),
    (400, VLLM_400, RESPONSE_FORMAT),
    (422, VLLM_400, RESPONSE_FORMAT),
    (400, OLLAMA_400, RESPONSE_FORMAT),
    (400, LM_STUDIO_400, RESPONSE_FORMAT),
    (400, LOGPROBS_400, LOGPROBS),
    (422, VLLM_TOP_LOGPROBS, LOGPROBS),
])
def test_refusals_name_the_refused_feature(status, message, feature):
    assert refused_feature(status, message) == feature


@pytest.mark.parametrize(("status", "message"), [
    (500, "server error"),
    (500, "CUDA error: out of memory"),
    (500, "while handling response_format the worker crashed"),  # no refusal wording
    (503, LLAMA_CPP_PYTHON),  # an overloaded gateway is an outage whatever it says
    (429, "Rate limit reached for requests; response_format unsupported"),
    (401, "Incorrect API key provided"),
    (400, "This model's maximum context length is 8192 tokens."),
    (400, "messages: field required"),
])
def test_anything_else_is_no_refusal(status, message):
    assert refused_feature(status, message) is None


def test_the_manifest_picks_the_first_mode():
    assert first_offer(JSON_SCHEMA, logprobs=True) == Offer(JSON_SCHEMA_MODE, True)
    assert first_offer(JSON_OBJECT, logprobs=False).mode == JSON_OBJECT_SCHEMA_MODE
    assert first_offer(TEXT, logprobs=False).mode == TEXT_MODE
    assert first_offer(TOOL_USE, logprobs=False).mode == JSON_SCHEMA_MODE


def test_each_refusal_gives_up_one_thing_until_nothing_is_left():
    offer: Offer | None = Offer(JSON_SCHEMA_MODE, True)
    modes = []
    while offer is not None:
        modes.append(offer.mode)
        offer = next_offer(offer, RESPONSE_FORMAT)
    assert modes == [JSON_SCHEMA_MODE, JSON_OBJECT_SCHEMA_MODE, JSON_OBJECT_MODE, TEXT_MODE]
    assert next_offer(Offer(TEXT_MODE, True), LOGPROBS) == Offer(TEXT_MODE, False)
    assert next_offer(Offer(JSON_OBJECT_MODE, False), LOGPROBS) is None


def test_a_lesson_once_learned_is_never_undone():
    assert lowest(Offer(JSON_OBJECT_MODE, True), Offer(JSON_OBJECT_SCHEMA_MODE, False)) == (
        Offer(JSON_OBJECT_MODE, False))


def test_the_exhausted_message_names_modes_and_server_words():
    tried = [Offer(JSON_SCHEMA_MODE, True), Offer(JSON_SCHEMA_MODE, False),
             Offer(TEXT_MODE, False)]
    assert exhausted_message(tried, "nope") == (
        "the server refused every structured-output mode tried (json_schema, text): nope")


def test_unsupported_feature_is_final_and_says_nothing_about_health():
    assert errors.UNSUPPORTED_FEATURE not in errors.RETRYABLE
    assert errors.UNSUPPORTED_FEATURE not in errors.UNHEALTHY
    assert errors.CANCELLED not in errors.RETRYABLE
