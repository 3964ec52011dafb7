"""A real loopback HTTP server that plays a provider's API from a script of responses, or
answers from the request body like a local model server (`ModelServer`)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON; bytes/str -> sent as is
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


# llama-cpp-python 0.3.x answers a request validation error with HTTP 500 and this body.
LLAMA_CPP_JSON_SCHEMA_ERROR = {"error": {
    "message": "[{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
               "'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema', "
               "'ctx': {'expected': \"'text' or 'json_object'\"}}]",
    "type": "internal_server_error", "param": None, "code": None}}
VERDICT = '{"winner": "Essay B", "justification": "Clearer.", "confidence": 4}'
INVENTED = '{"Essay A": 2018.09}'  # what SmolLM2 wrote in json_object mode, keys unnamed


def chat_completion(content: str, *, logprobs: list[dict[str, Any]] | None = None,
                    ) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "finish_reason": "stop",
                              "message": {"role": "assistant", "content": content}}
    if logprobs is not None:
        choice["logprobs"] = {"content": logprobs}
    return {"id": "chatcmpl-local", "object": "chat.completion", "model": "local",
            "choices": [choice],
            "usage": {"prompt_tokens": 300, "completion_tokens": 25, "total_tokens": 325}}


@dataclass
class ModelServer:
    """Answers like a local model server: a `refusal` for the response_format types in
    `refused` ("json_schema", "json_object", "text" = none sent) and for logprobs when
    `refuse_logprobs`; in json_object mode a prompt that does not name the verdict's keys
    gets invented keys; in text mode the answer comes in a code fence."""

    refused: frozenset[str] = frozenset({"json_schema"})
    refusal: Reply = field(default_factory=lambda: Reply(500, LLAMA_CPP_JSON_SCHEMA_ERROR))
    refuse_logprobs: bool = False
    logprobs_refusal: Reply = field(default_factory=lambda: Reply(400, {"error": {
        "message": "logprobs is not supported by this server", "type": "invalid_request_error"}}))
    answer: str = VERDICT
    logprobs: list[dict[str, Any]] | None = None

    def __call__(self, body: dict[str, Any]) -> Reply:
        kind = (body.get("response_format") or {}).get("type", "text")
        if kind in self.refused:
            return self.refusal
        if self.refuse_logprobs and "logprobs" in body:
            return self.logprobs_refusal
        content = self.answer
        if kind == "json_object" and not _names_keys(body):
            content = INVENTED
        elif kind == "text":
            content = f"Here is my verdict:\n```json\n{content}\n```"
        return Reply(200, chat_completion(content,
                                          logprobs=self.logprobs if body.get("logprobs") else None))


def _names_keys(body: dict[str, Any]) -> bool:
    text = " ".join(str(m.get("content")) for m in body.get("messages") or ())
    return all(f'"{key}"' in text for key in ("winner", "justification", "confidence"))


class FakeVendor:
    def __init__(self) -> None:
        self.replies: list[Reply] = []
        # Used once the scripted replies run out: a reply computed from the request body.
        self.responder: Callable[[dict[str, Any]], Reply] | None = None
        self.received: list[Received] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        vendor = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server naming)
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                vendor.received.append(Received("POST", self.path,
                                                {k.lower(): v for k, v in self.headers.items()},
                                                body))
                vendor._answer(self, body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def _next_reply(self, body: bytes) -> Reply:
        if self.replies:
            return self.replies.pop(0)
        if self.responder is not None:
            return self.responder(json.loads(body))
        return Reply(500, {"error": "no script"})

    def _answer(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        self._send(handler, self._next_reply(body))

    def _send(self, handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        if reply.delay_s:
            time.sleep(reply.delay_s)
        payload = reply.body
        if isinstance(payload, dict | list):
            payload = json.dumps(payload)
        data = payload.encode() if isinstance(payload, str) else (payload or b"")
        try:
            handler.send_response(reply.status)
            handler.send_header("content-type", "application/json")
            handler.send_header("content-length", str(len(data)))
            for key, value in reply.headers.items():
                handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    @contextmanager
    def running(self) -> Iterator[FakeVendor]:
        thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
