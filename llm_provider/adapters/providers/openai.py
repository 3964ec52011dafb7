"""OpenAI-compatible chat completions (OpenAI, OpenRouter, vLLM, Ollama, LM Studio, llama.cpp).

Structured output is negotiated per server and model: json_schema (strict), then json_object
with the schema (llama-cpp-python), then json_object, then plain text parsed strictly. A
server's refusal of a mode (or of logprobs) moves to the next one within the same call and is
remembered for later calls (`llm_provider.domain.negotiation`). Logprobs, when the answer
carries them, give P(Essay A) from the allowed answer tokens.
"""

from __future__ import annotations

from typing import Any

import httpx
import structlog

from llm_provider.adapters.providers.base import ProviderCall, ProviderReply, canonical_json
from llm_provider.adapters.providers.http import HttpProvider, int_field
from llm_provider.config import OPENAI, OPENAI_COMPATIBLE, ProviderSettings
from llm_provider.domain import errors
from llm_provider.domain.errors import ProviderFailure
from llm_provider.domain.logprobs import TokenLogprob, with_probability
from llm_provider.domain.manifest import LOGPROBS, REASONING, VERBOSITY
from llm_provider.domain.negotiation import (
    JSON_OBJECT_MODE,
    JSON_OBJECT_SCHEMA_MODE,
    JSON_SCHEMA_MODE,
    TEXT_MODE,
    Offer,
    exhausted_message,
    first_offer,
    lowest,
    next_offer,
    refused_feature,
)
from llm_provider.domain.usage import Usage
from llm_provider.domain.verdict import VERDICT_SCHEMA, parse_verdict_json, parse_verdict_text

TOP_LOGPROBS = 5
# llama.cpp, vLLM and friends accept any bearer token; some answer 401 to none at all.
NO_KEY = "no-key"
# GPT-5's lowest effort is "minimal"; REASONING_EFFORT_NONE maps onto it.
_EFFORT = {"none": "minimal", "minimal": "minimal", "low": "low", "medium": "medium",
           "high": "high"}

log = structlog.get_logger("llm_provider.openai")


class OpenAIProvider(HttpProvider):
    def __init__(self, settings: ProviderSettings, *, client: httpx.AsyncClient | None = None):
        super().__init__(settings, client=client)
        # What each (base_url, model) has been found to accept; only ever moves down.
        self._learned: dict[tuple[str, str], Offer] = {}

    def url(self, call: ProviderCall) -> str:
        return f"{self.settings.base_url}/chat/completions"

    def headers(self) -> dict[str, str]:
        key = self.settings.api_key or (NO_KEY if self.name == OPENAI_COMPATIBLE else "")
        return {"authorization": f"Bearer {key}"} if key else {}

    def offer(self, call: ProviderCall) -> Offer:
        """What the next request for this model asks: learned, else from the manifest."""
        learned = self._learned.get(self._key(call))
        if learned is not None:
            return learned
        logprobs = self.name == OPENAI_COMPATIBLE or call.spec.has(LOGPROBS)
        return first_offer(call.spec.structured_output, logprobs=logprobs)

    def payload(self, call: ProviderCall) -> dict[str, Any]:
        return self._payload(call, self.offer(call))

    def _payload(self, call: ProviderCall, offer: Offer) -> dict[str, Any]:
        spec = call.spec
        body: dict[str, Any] = {
            "model": spec.model_id,
            "messages": [
                {"role": "system", "content": call.prompt.system_text()},
                {"role": "user", "content": call.prompt.user_text()},
            ],
            # OpenAI itself wants max_completion_tokens; compatible servers know max_tokens.
            ("max_completion_tokens" if self.name == OPENAI else "max_tokens"): call.max_tokens,
        }
        response_format = _response_format(offer.mode)
        if response_format is not None:
            body["response_format"] = response_format
        if call.temperature is not None:
            body["temperature"] = call.temperature
        if call.reasoning_effort and spec.has(REASONING):
            body["reasoning_effort"] = _EFFORT[call.reasoning_effort]
        if call.verbosity and spec.has(VERBOSITY):
            body["verbosity"] = call.verbosity
        if offer.logprobs:
            body.update(logprobs=True, top_logprobs=TOP_LOGPROBS)
        return body

    async def judge(self, call: ProviderCall) -> ProviderReply:
        response, offer, sent = await self._negotiate(call)
        return self._read(call, response, lambda c, data: self._verdict(c, data, offer.mode),
                          sent=sent)

    async def _negotiate(self, call: ProviderCall) -> tuple[httpx.Response, Offer, bytes]:
        """POST, stepping down the offer on each refusal; no retry attempt is spent on it."""
        offer, tried = self.offer(call), []
        while True:
            tried.append(offer)
            try:
                sent = canonical_json(self._payload(call, offer))
                return await self._post(call, sent), offer, sent
            except ProviderFailure as failure:
                offer = self._after_refusal(call, offer, failure, tried)

    def _after_refusal(self, call: ProviderCall, offer: Offer, failure: ProviderFailure,
                       tried: list[Offer]) -> Offer:
        feature = refused_feature(failure.http_status, failure.message)
        if feature is None:
            raise failure  # not a refusal: classified as before (retry, breaker...)
        lower = next_offer(offer, feature)
        self._learn(call, lower or offer, failure.message)
        if lower is None:
            raise ProviderFailure(
                errors.UNSUPPORTED_FEATURE,
                f"{call.spec.model_id}: {exhausted_message(tried, failure.message)}",
                http_status=failure.http_status, sent_sha256=failure.sent_sha256) from failure
        return lower

    def _learn(self, call: ProviderCall, offer: Offer, server_words: str) -> None:
        key = self._key(call)
        current = self._learned.get(key)
        learned = offer if current is None else lowest(current, offer)
        if learned == current:
            return
        self._learned[key] = learned
        log.warning("model server refused a feature; falling back", provider=self.name,
                    base_url=key[0], model=key[1], mode=learned.mode,
                    logprobs=learned.logprobs, server=server_words[:300])

    def _key(self, call: ProviderCall) -> tuple[str, str]:
        return (self.settings.base_url, call.spec.model_id)

    def error_kind(self, status: int, body: dict[str, Any]) -> str:
        raw = body.get("error")
        error: dict[str, Any] = raw if isinstance(raw, dict) else {}
        code = str(error.get("code") or "")
        if code == "context_length_exceeded":
            return errors.CONTEXT_TOO_LONG
        if code == "content_filter" or code == "content_policy_violation":
            return errors.CONTENT_FILTERED
        if status == 429 and code == "insufficient_quota":
            return errors.AUTHENTICATION  # out of credit: retrying cannot help
        return super().error_kind(status, body)

    def usage(self, data: dict[str, Any]) -> Usage:
        prompt = int_field(data, "usage", "prompt_tokens")
        cached = int_field(data, "usage", "prompt_tokens_details", "cached_tokens")
        # prompt_tokens includes cached tokens; they are billed apart at the cached price.
        return Usage(prompt - cached, int_field(data, "usage", "completion_tokens"), cached, 0)

    def verdict(self, call: ProviderCall, data: dict[str, Any]) -> ProviderReply:
        return self._verdict(call, data, self.offer(call).mode)

    def _verdict(self, call: ProviderCall, data: dict[str, Any], mode: str) -> ProviderReply:
        choice = _first_choice(data)
        message = choice.get("message") or {}
        _check_finish(choice.get("finish_reason"), message)
        content = str(message.get("content") or "")
        parsed = parse_verdict_text(content) if mode == TEXT_MODE else parse_verdict_json(content)
        return ProviderReply(with_probability(parsed, _token_logprobs(choice)), self.usage(data))


def _response_format(mode: str) -> dict[str, Any] | None:
    if mode == JSON_SCHEMA_MODE:
        return {"type": "json_schema",
                "json_schema": {"name": "essay_verdict", "strict": True, "schema": VERDICT_SCHEMA}}
    if mode == JSON_OBJECT_SCHEMA_MODE:
        return {"type": "json_object", "schema": VERDICT_SCHEMA}  # llama-cpp-python's form
    if mode == JSON_OBJECT_MODE:
        return {"type": "json_object"}
    return None  # TEXT: the prompt alone asks for the object


def _check_finish(finish: object, message: dict[str, Any]) -> None:
    if finish == "content_filter" or message.get("refusal"):
        raise ProviderFailure(errors.CONTENT_FILTERED,
                              f"refused: {message.get('refusal') or finish}")
    if finish == "length":
        raise ProviderFailure(errors.INVALID_RESPONSE, "answer truncated at max_tokens")


def _first_choice(data: dict[str, Any]) -> dict[str, Any]:
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ProviderFailure(errors.INVALID_RESPONSE, "no choices in the answer")
    return choices[0]


def _token_logprobs(choice: dict[str, Any]) -> list[TokenLogprob]:
    """The answer's token logprobs; none when absent or not in the expected shape."""
    try:
        return [_token(entry) for entry in (choice.get("logprobs") or {}).get("content") or []]
    except (AttributeError, KeyError, TypeError, ValueError):
        return []


def _token(entry: dict[str, Any]) -> TokenLogprob:
    top = tuple((str(t["token"]), float(t["logprob"])) for t in entry.get("top_logprobs") or ())
    return TokenLogprob(str(entry["token"]), float(entry["logprob"]), top)
