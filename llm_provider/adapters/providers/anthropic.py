"""Anthropic Messages API: forced tool use for the verdict, prompt caching on shared context.

Cacheable context blocks (and the system prompt before them) carry `cache_control`, so a
batch of comparisons over one assignment pays for its rubric and instructions once per
cache lifetime; cache writes and reads are counted and priced apart.
"""

from __future__ import annotations

from typing import Any

from llm_provider.adapters.providers.base import ProviderCall, ProviderReply
from llm_provider.adapters.providers.http import HttpProvider, int_field
from llm_provider.domain import errors
from llm_provider.domain.errors import ProviderFailure
from llm_provider.domain.usage import Usage
from llm_provider.domain.verdict import VERDICT_SCHEMA, parse_verdict

API_VERSION = "2023-06-01"
TOOL_NAME = "record_verdict"
MAX_BREAKPOINTS = 4  # Anthropic allows four cache_control breakpoints per request
_EPHEMERAL = {"type": "ephemeral"}
TOOL = {"name": TOOL_NAME, "description": "Record which essay is better, why, and how sure.",
        "input_schema": VERDICT_SCHEMA}


class AnthropicProvider(HttpProvider):
    def url(self, call: ProviderCall) -> str:
        return f"{self.settings.base_url}/v1/messages"

    def headers(self) -> dict[str, str]:
        return {"x-api-key": self.settings.api_key, "anthropic-version": API_VERSION}

    def payload(self, call: ProviderCall) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": call.spec.model_id,
            "max_tokens": call.max_tokens,
            "system": [_text(call.prompt.system_text(), cache=_any_cacheable(call))],
            "messages": [{"role": "user", "content": _user_content(call)}],
            "tools": [TOOL],
            "tool_choice": {"type": "tool", "name": TOOL_NAME},
        }
        if call.temperature is not None:
            body["temperature"] = call.temperature
        return body

    def error_kind(self, status: int, body: dict[str, Any]) -> str:
        raw = body.get("error")
        error: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if error.get("type") == "overloaded_error":
            return errors.PROVIDER_ERROR
        if "prompt is too long" in str(error.get("message", "")):
            return errors.CONTEXT_TOO_LONG
        return super().error_kind(status, body)

    def usage(self, data: dict[str, Any]) -> Usage:
        return Usage(
            int_field(data, "usage", "input_tokens"), int_field(data, "usage", "output_tokens"),
            int_field(data, "usage", "cache_read_input_tokens"),
            int_field(data, "usage", "cache_creation_input_tokens"),
        )

    def verdict(self, call: ProviderCall, data: dict[str, Any]) -> ProviderReply:
        stop = data.get("stop_reason")
        if stop == "refusal":
            raise ProviderFailure(errors.CONTENT_FILTERED, "the model refused")
        if stop == "max_tokens":
            raise ProviderFailure(errors.INVALID_RESPONSE, "answer truncated at max_tokens")
        raw = data.get("content")
        blocks: list[Any] = raw if isinstance(raw, list) else []
        tool = next((b for b in blocks if isinstance(b, dict) and b.get("type") == "tool_use"
                     and b.get("name") == TOOL_NAME), None)
        if tool is None:
            raise ProviderFailure(errors.INVALID_RESPONSE, f"no {TOOL_NAME} tool call")
        return ProviderReply(parse_verdict(tool.get("input")), self.usage(data))


def _text(text: str, *, cache: bool) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "text", "text": text}
    if cache:
        block["cache_control"] = _EPHEMERAL
    return block


def _any_cacheable(call: ProviderCall) -> bool:
    return any(b.cacheable and b.text for b in call.prompt.blocks)


def _user_content(call: ProviderCall) -> list[dict[str, Any]]:
    blocks = [b for b in call.prompt.blocks if b.text]
    cached = [i for i, b in enumerate(blocks) if b.cacheable][-(MAX_BREAKPOINTS - 1):]
    content = [_text(b.text, cache=i in cached) for i, b in enumerate(blocks)]
    content.append(_text(call.prompt.essays_text(), cache=False))
    return content
