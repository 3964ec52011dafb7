"""A loopback HTTP server that behaves like a one-slot llama.cpp server (OpenAI API).

It computes one request at a time: the others wait (their connections open, their clocks
running) until the slot is free, as llama-cpp-python's server does with one slot. It counts
how many requests are outstanding (received, not yet answered) and the most ever at once,
answers each after `compute_s` unless `statuses` scripts an error status for that call
number, and keeps computing a request whose client went away (a server cannot tell).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.integration.llm_provider.fake_vendor import FakeVendor, Reply

VERDICT = {"winner": "Essay A", "justification": "A argues better.", "confidence": 4}
PROMPT_TOKENS, COMPLETION_TOKENS = 120, 30


class OneSlotServer(FakeVendor):
    """FakeVendor's loopback server, answering every call as one slot computes it."""

    def __init__(self, compute_s: float = 0.4, *, slots: int = 1) -> None:
        super().__init__()
        self.url += "/v1"
        self.compute_s = compute_s
        self.statuses: dict[int, int] = {}  # call number (from 1) -> HTTP status to answer
        self.outstanding = 0
        self.max_outstanding = 0
        self.computed = 0
        self._calls = 0
        self._slot = threading.Semaphore(slots)
        self._lock = threading.Lock()

    def _answer(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        with self._lock:
            self._calls += 1
            number = self._calls
            self.outstanding += 1
            self.max_outstanding = max(self.max_outstanding, self.outstanding)
        try:
            self._send(handler, self._compute(self.statuses.get(number, 200)))
        finally:
            with self._lock:
                self.outstanding -= 1

    def _compute(self, status: int) -> Reply:
        with self._slot:
            if status != 200:
                return Reply(status, {"error": {"message": f"scripted {status}"}})
            time.sleep(self.compute_s)
            self.computed += 1
        return Reply(200, {"choices": [{"message": {"role": "assistant",
                                                    "content": json.dumps(VERDICT)},
                                        "finish_reason": "stop"}],
                           "usage": {"prompt_tokens": PROMPT_TOKENS,
                                     "completion_tokens": COMPLETION_TOKENS}})


def local_model_env(tmp_path: Any, url: str, *, timeout_s: float, max_concurrency: int = 1,
                    max_tokens: int = 64) -> dict[str, str]:
    """Env for an llm_provider whose openai_compatible provider is this server."""
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps([{
        "provider": "openai_compatible", "model_id": "local-1slot", "context_window": 8_192,
        "max_output_tokens": 512, "default_max_tokens": max_tokens,
        "input_price": 1.0, "output_price": 5.0, "max_concurrency": max_concurrency,
    }]))
    return {"LLM_PROVIDER_MANIFEST_PATH": str(manifest),
            "LLM_PROVIDER_OPENAI_COMPATIBLE_ENABLED": "true",
            "OPENAI_COMPATIBLE_BASE_URL": url,
            "LLM_PROVIDER_OPENAI_COMPATIBLE_TIMEOUT_S": str(timeout_s)}


LOCAL = {"provider": "openai_compatible", "model": "local-1slot"}
