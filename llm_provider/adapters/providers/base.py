"""The provider port: one judge call in, a verdict (or a classified ProviderFailure) out."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from llm_provider.domain.manifest import ModelSpec
from llm_provider.domain.prompt import Prompt
from llm_provider.domain.usage import Usage
from llm_provider.domain.verdict import Verdict


@dataclass(frozen=True)
class ProviderCall:
    request_id: str
    spec: ModelSpec
    prompt: Prompt
    temperature: float | None
    max_tokens: int
    reasoning_effort: str = ""  # "", "none", "minimal", "low", "medium", "high"
    verbosity: str = ""  # "", "low", "medium", "high"
    attempt: int = 1
    # Seconds this call may take; None = the provider's configured timeout. The worker sets
    # it from the model's observed latency and the prompt's size (never below the setting).
    timeout_s: float | None = None


@dataclass(frozen=True)
class ProviderReply:
    verdict: Verdict
    usage: Usage
    http_status: int = 200
    sent_sha256: str = ""  # hex sha256 of the body actually sent ("" when nothing was sent)


def canonical_json(payload: Any) -> bytes:
    """The exact bytes sent; also what prompt_sha256 covers."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sha256_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class Provider(ABC):
    """A provider adapter. Subclasses build the vendor payload and call the vendor."""

    name: str = ""

    @abstractmethod
    def payload(self, call: ProviderCall) -> dict[str, Any]:
        """The request body (system + user + model + parameters) for this call."""

    @abstractmethod
    async def judge(self, call: ProviderCall) -> ProviderReply:
        """Make the call; raise ProviderFailure (with any billed usage) when it fails."""

    def body(self, call: ProviderCall) -> bytes:
        return canonical_json(self.payload(call))

    def prompt_sha256(self, call: ProviderCall) -> str:
        return sha256_of(self.body(call))

    async def close(self) -> None:  # noqa: B027 (a hook with a do-nothing default)
        """Release connections; the default adapter holds none."""
