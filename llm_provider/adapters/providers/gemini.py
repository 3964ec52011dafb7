"""Google Gemini generateContent: responseSchema for the verdict, usageMetadata for tokens."""

from __future__ import annotations

import re
from typing import Any

from llm_provider.adapters.providers.base import ProviderCall, ProviderReply
from llm_provider.adapters.providers.http import HttpProvider, int_field
from llm_provider.domain import errors
from llm_provider.domain.errors import ProviderFailure
from llm_provider.domain.manifest import REASONING
from llm_provider.domain.usage import Usage
from llm_provider.domain.verdict import ESSAY_A, ESSAY_B, parse_verdict_json

RESPONSE_SCHEMA: dict[str, Any] = {
    "type": "OBJECT",
    "properties": {
        "winner": {"type": "STRING", "enum": [ESSAY_A, ESSAY_B]},
        "justification": {"type": "STRING"},
        "confidence": {"type": "INTEGER", "minimum": 1, "maximum": 5},
    },
    "required": ["winner", "justification", "confidence"],
    "propertyOrdering": ["winner", "justification", "confidence"],
}
# Thinking budgets (tokens) per reasoning effort; 0 turns thinking off on 2.5 Flash.
THINKING_BUDGET = {"none": 0, "minimal": 512, "low": 1_024, "medium": 8_192, "high": 24_576}
BLOCKED = {"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION"}
_SECONDS = re.compile(r"^(\d+(?:\.\d+)?)s$")


class GeminiProvider(HttpProvider):
    def url(self, call: ProviderCall) -> str:
        return f"{self.settings.base_url}/v1beta/models/{call.spec.model_id}:generateContent"

    def headers(self) -> dict[str, str]:
        return {"x-goog-api-key": self.settings.api_key}

    def payload(self, call: ProviderCall) -> dict[str, Any]:
        config: dict[str, Any] = {
            "responseMimeType": "application/json", "responseSchema": RESPONSE_SCHEMA,
            "maxOutputTokens": call.max_tokens,
        }
        if call.temperature is not None:
            config["temperature"] = call.temperature
        if call.reasoning_effort and call.spec.has(REASONING):
            config["thinkingConfig"] = {"thinkingBudget": THINKING_BUDGET[call.reasoning_effort]}
        return {
            "systemInstruction": {"parts": [{"text": call.prompt.system_text()}]},
            "contents": [{"role": "user",
                          "parts": [{"text": t} for t in call.prompt.user_texts()]}],
            "generationConfig": config,
        }

    def error_kind(self, status: int, body: dict[str, Any]) -> str:
        error = body.get("error")
        message = str(error.get("message", "")) if isinstance(error, dict) else ""
        if status == 400 and "token count" in message and "exceeds" in message:
            return errors.CONTEXT_TOO_LONG
        return super().error_kind(status, body)

    def error_retry_after(self, body: dict[str, Any]) -> float | None:
        """Gemini puts the hint in a google.rpc.RetryInfo detail rather than a header."""
        error = body.get("error")
        details = error.get("details") if isinstance(error, dict) else None
        for detail in details if isinstance(details, list) else ():
            if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("RetryInfo"):
                match = _SECONDS.match(str(detail.get("retryDelay", "")))
                if match:
                    return float(match.group(1))
        return None

    def usage(self, data: dict[str, Any]) -> Usage:
        prompt = int_field(data, "usageMetadata", "promptTokenCount")
        cached = int_field(data, "usageMetadata", "cachedContentTokenCount")
        output = (int_field(data, "usageMetadata", "candidatesTokenCount")
                  + int_field(data, "usageMetadata", "thoughtsTokenCount"))  # thinking is output
        return Usage(prompt - cached, output, cached, 0)

    def verdict(self, call: ProviderCall, data: dict[str, Any]) -> ProviderReply:
        blocked = (data.get("promptFeedback") or {}).get("blockReason")
        if blocked:
            raise ProviderFailure(errors.CONTENT_FILTERED, f"prompt blocked: {blocked}")
        candidates = data.get("candidates")
        if not isinstance(candidates, list) or not candidates:
            raise ProviderFailure(errors.INVALID_RESPONSE, "no candidates in the answer")
        candidate = candidates[0]
        finish = candidate.get("finishReason")
        if finish in BLOCKED:
            raise ProviderFailure(errors.CONTENT_FILTERED, f"answer blocked: {finish}")
        if finish == "MAX_TOKENS":
            raise ProviderFailure(errors.INVALID_RESPONSE, "answer truncated at maxOutputTokens")
        parts = (candidate.get("content") or {}).get("parts") or []
        text = "".join(p.get("text", "") for p in parts if not p.get("thought"))
        return ProviderReply(parse_verdict_json(text), self.usage(data))
