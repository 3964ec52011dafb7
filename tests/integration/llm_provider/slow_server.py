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
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

VERDICT = {"winner": "Essay A", "justification": "A argues better.", "confidence": 4}
PROMPT_TOKENS, COMPLETION_TOKENS = 120, 30


class OneSlotServer:
    def __init__(self, compute_s: float = 0.4, *, slots: int = 1) -> None:
        self.compute_s = compute_s
        self.statuses: dict[int, int] = {}  # call number (from 1) -> HTTP status to answer
        self.received: list[dict[str, Any]] = []
        self.outstanding = 0
        self.max_outstanding = 0
        self.computed = 0
        self._slot = threading.Semaphore(slots)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server naming)
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                server._serve(self, json.loads(body or b"{}"))

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def _serve(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        with self._lock:
            self.received.append(body)
            number = len(self.received)
            self.outstanding += 1
            self.max_outstanding = max(self.max_outstanding, self.outstanding)
        try:
            status = self.statuses.get(number, 200)
            with self._slot:
                if status == 200:
                    time.sleep(self.compute_s)
                    self.computed += 1
            self._answer(handler, status)
        finally:
            with self._lock:
                self.outstanding -= 1

    def _answer(self, handler: BaseHTTPRequestHandler, status: int) -> None:
        payload: dict[str, Any] = {"error": {"message": f"scripted {status}"}}
        if status == 200:
            payload = {"choices": [{"message": {"role": "assistant",
                                                "content": json.dumps(VERDICT)},
                                    "finish_reason": "stop"}],
                       "usage": {"prompt_tokens": PROMPT_TOKENS,
                                 "completion_tokens": COMPLETION_TOKENS}}
        data = json.dumps(payload).encode()
        try:
            handler.send_response(status)
            handler.send_header("content-type", "application/json")
            handler.send_header("content-length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timed out or cancelled)

    @contextmanager
    def running(self) -> Iterator[OneSlotServer]:
        thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


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
