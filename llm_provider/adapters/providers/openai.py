"""OpenAI-compatible chat completions (OpenAI, OpenRouter, vLLM, Ollama, LM Studio).

Structured output through `response_format` json_schema (strict); `logprobs` with top
alternatives on models that support them, turned into P(Essay A).
"""

from __future__ import annotations

from typing import Any

from llm_provider.adapters.providers.base import ProviderCall, ProviderReply
from llm_provider.adapters.providers.http import HttpProvider, int_field
from llm_provider.config import OPENAI
from llm_provider.domain import errors
from llm_provider.domain.errors import ProviderFailure
from llm_provider.domain.logprobs import TokenLogprob, probability_a
from llm_provider.domain.manifest import JSON_OBJECT, LOGPROBS, REASONING, VERBOSITY
from llm_provider.domain.usage import Usage
from llm_provider.domain.verdict import VERDICT_SCHEMA, parse_verdict_json

TOP_LOGPROBS = 5
# GPT-5's lowest effort is "minimal"; REASONING_EFFORT_NONE maps onto it.
_EFFORT = {"none": "minimal", "minimal": "minimal", "low": "low", "medium": "medium",
           "high": "high"}


class OpenAIProvider(HttpProvider):
    def url(self, call: ProviderCall) -> str:
        return f"{self.settings.base_url}/chat/completions"

    def headers(self) -> dict[str, str]:
        key = self.settings.api_key
        return {"authorization": f"Bearer {key}"} if key else {}

    def payload(self, call: ProviderCall) -> dict[str, Any]:
        spec = call.spec
        body: dict[str, Any] = {
            "model": spec.model_id,
            "messages": [
                {"role": "system", "content": call.prompt.system},
                {"role": "user", "content": call.prompt.user_text()},
            ],
            "response_format": _response_format(spec.structured_output),
            # OpenAI itself wants max_completion_tokens; compatible servers know max_tokens.
            ("max_completion_tokens" if self.name == OPENAI else "max_tokens"): call.max_tokens,
        }
        if call.temperature is not None:
            body["temperature"] = call.temperature
        if call.reasoning_effort and spec.has(REASONING):
            body["reasoning_effort"] = _EFFORT[call.reasoning_effort]
        if call.verbosity and spec.has(VERBOSITY):
            body["verbosity"] = call.verbosity
        if spec.has(LOGPROBS):
            body.update(logprobs=True, top_logprobs=TOP_LOGPROBS)
        return body

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
        choice = _first_choice(data)
        message = choice.get("message") or {}
        finish = choice.get("finish_reason")
        if finish == "content_filter" or message.get("refusal"):
            raise ProviderFailure(errors.CONTENT_FILTERED,
                                  f"refused: {message.get('refusal') or finish}")
        if finish == "length":
            raise ProviderFailure(errors.INVALID_RESPONSE, "answer truncated at max_tokens")
        verdict = parse_verdict_json(message.get("content") or "")
        p_a = probability_a(_token_logprobs(choice))
        if p_a is not None:
            verdict = type(verdict)(verdict.winner, verdict.confidence, verdict.justification, p_a)
        return ProviderReply(verdict, self.usage(data))


def _response_format(method: int) -> dict[str, Any]:
    if method == JSON_OBJECT:
        return {"type": "json_object"}
    return {"type": "json_schema",
            "json_schema": {"name": "essay_verdict", "strict": True, "schema": VERDICT_SCHEMA}}


def _first_choice(data: dict[str, Any]) -> dict[str, Any]:
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ProviderFailure(errors.INVALID_RESPONSE, "no choices in the answer")
    return choices[0]


def _token_logprobs(choice: dict[str, Any]) -> list[TokenLogprob]:
    content = (choice.get("logprobs") or {}).get("content") or []
    tokens = []
    for entry in content:
        top = tuple((t["token"], float(t["logprob"])) for t in entry.get("top_logprobs") or ())
        tokens.append(TokenLogprob(entry["token"], float(entry["logprob"]), top))
    return tokens
