"""Shared HTTP plumbing for vendor adapters: one POST, errors classified, Retry-After read."""

from __future__ import annotations

import email.utils
import time
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx

from llm_provider.adapters.providers.base import Provider, ProviderCall, ProviderReply, sha256_of
from llm_provider.config import ProviderSettings
from llm_provider.domain import errors
from llm_provider.domain.errors import ProviderFailure
from llm_provider.domain.usage import Usage


def retry_after_seconds(headers: httpx.Headers, *, now: float | None = None) -> float | None:
    """Retry-After as seconds: OpenAI's retry-after-ms, else seconds or an HTTP date."""
    if "retry-after-ms" in headers:
        try:
            return max(0.0, float(headers["retry-after-ms"]) / 1000.0)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


class HttpProvider(Provider):
    """POST the payload; map transport errors and HTTP errors to ProviderFailure kinds."""

    def __init__(self, settings: ProviderSettings, *, client: httpx.AsyncClient | None = None):
        self.settings = settings
        self.name = settings.name
        limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)
        self._client = client or httpx.AsyncClient(limits=limits)

    @abstractmethod
    def url(self, call: ProviderCall) -> str: ...

    @abstractmethod
    def headers(self) -> dict[str, str]: ...

    @abstractmethod
    def usage(self, data: dict[str, Any]) -> Usage: ...

    @abstractmethod
    def verdict(self, call: ProviderCall, data: dict[str, Any]) -> ProviderReply: ...

    def error_kind(self, status: int, body: dict[str, Any]) -> str:
        """Refine the status-based kind from the vendor's error body (override per vendor)."""
        return errors.kind_for_status(status)

    def error_retry_after(self, body: dict[str, Any]) -> float | None:
        return None

    async def judge(self, call: ProviderCall) -> ProviderReply:
        body = self.body(call)
        return self._read(call, await self._post(call, body), self.verdict, sent=body)

    def _read(self, call: ProviderCall, response: httpx.Response,
              verdict: Callable[[ProviderCall, dict[str, Any]], ProviderReply],
              *, sent: bytes) -> ProviderReply:
        """The verdict in a response, with the hash of the body `sent`; failing to read one
        still bills the usage it reports."""
        data = self._json(response)
        try:
            reply = verdict(call, data)
        except ProviderFailure as failure:
            failure.usage = self.usage(data)  # a truncated or unparseable answer is billed
            failure.sent_sha256 = sha256_of(sent)
            raise
        return replace(reply, sent_sha256=sha256_of(sent))

    async def _post(self, call: ProviderCall, content: bytes) -> httpx.Response:
        """POST `content`; a failure carries the hash of the body that was sent."""
        try:
            return await self._send(call, content)
        except ProviderFailure as failure:
            failure.sent_sha256 = sha256_of(content)
            raise

    async def _send(self, call: ProviderCall, content: bytes) -> httpx.Response:
        headers = {"content-type": "application/json", **self.headers()}
        try:
            response = await self._client.post(
                self.url(call), content=content, headers=headers,
                timeout=call.timeout_s or self.settings.timeout_s,
            )
        except httpx.TimeoutException as exc:
            raise ProviderFailure(errors.TIMEOUT, f"{self.name} timed out: {exc!r}") from exc
        except httpx.TransportError as exc:
            raise ProviderFailure(errors.CONNECTION_ERROR, f"{self.name}: {exc!r}") from exc
        if response.status_code >= 400:
            raise self._failure(response)
        return response

    def _failure(self, response: httpx.Response) -> ProviderFailure:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        retry_after = retry_after_seconds(response.headers) or self.error_retry_after(body)
        message = _error_message(body) or response.text[:200]
        return ProviderFailure(self.error_kind(status, body), f"{self.name}: {message}",
                               http_status=status, retry_after=retry_after)

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError as exc:
            raise ProviderFailure(errors.INVALID_RESPONSE, f"{self.name}: malformed JSON body",
                                  http_status=response.status_code) from exc
        if not isinstance(data, dict):
            raise ProviderFailure(errors.INVALID_RESPONSE, f"{self.name}: body is not an object",
                                  http_status=response.status_code)
        return data

    async def close(self) -> None:
        await self._client.aclose()


def _error_message(body: dict[str, Any]) -> str:
    error = body.get("error")
    if isinstance(error, dict):
        return str(error.get("message") or error.get("type") or "")
    # Older vLLM puts "message" at the top level; FastAPI's validation errors sit in "detail".
    return str(error or body.get("message") or body.get("detail") or "")


def int_field(data: dict[str, Any], *path: str) -> int:
    """A token count at `path`, 0 when absent (vendors omit zero-valued fields)."""
    value: Any = data
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return int(value) if isinstance(value, int | float) else 0
