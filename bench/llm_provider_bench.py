"""llm_provider throughput bench (simulated judge, real NATS JetStream, real service process).

(a) Saturation: a 2 s simulated call under a 600 requests/minute budget; 3,000 requests are
    submitted at once and the sustained result rate is reported as a fraction of the budget
    (results / (last result - first submission)). `--quick` uses 600 requests (about one
    minute) and says so on its last line.
(b) Overhead: a zero-latency judge with no budget. The queue is pre-filled through
    SubmitComparisons by a replica without workers; then a replica with workers drains it and
    results/s is measured from its first to its last published result. The baseline, measured
    in the same run on the same server, is raw JetStream in one Python process: publish N
    messages of the same size while a pull consumer fetches and acks them, N / elapsed.
    Baseline and service rounds alternate (`--rounds`, default 5) and the best of each is
    reported: the box is shared, and other load only ever slows a round down.

Usage: .venv/bin/python bench/llm_provider_bench.py [--quick] [--n-fast N]
Last line: rate_fraction_of_limit=… results_per_s=… jetstream_per_s=… ratio_to_jetstream=…
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import grpc
import nats
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jetstream_baseline import raw_jetstream  # noqa: E402

from contracts import channels, subjects  # noqa: E402
from contracts.huleedu.common.v1 import common_pb2  # noqa: E402
from contracts.huleedu.llm.v1 import llm_pb2, llm_service_pb2_grpc  # noqa: E402
from contracts.streams import Namespace  # noqa: E402
from deploy.local import infra  # noqa: E402
from deploy.local.procs import free_port  # noqa: E402

SUBMIT_BATCH = 500


def essay(i: int) -> str:
    words = " ".join(f"word{(i * 7 + k) % 97}" for k in range(120))
    return f"Essay {i}. {words}."


def request(i: int, *, model: str = "simulated-judge") -> llm_pb2.ComparisonRequest:
    return llm_pb2.ComparisonRequest(
        request_id=f"bench-{i}",
        results_subject_key="bench",
        prompt=llm_pb2.PromptParts(
            system_prompt="You are an examiner.",
            essay_a_text=essay(i % 50),
            essay_b_text=essay(i % 50 + 50),
        ),
        judge=common_pb2.JudgeConfig(provider="simulated", model=model),
    )


class Service:
    """`python -m llm_provider` as a child process on free ports."""

    def __init__(self, nats_url: str, ns: Namespace, extra: dict[str, str]):
        self.port = free_port()
        env = {
            **os.environ,
            "NATS_URL": nats_url,
            "NATS_NAMESPACE": ns.prefix,
            "LLM_PROVIDER_GRPC_PORT": str(self.port),
            "LLM_PROVIDER_METRICS_PORT": str(free_port()),
            "LOG_LEVEL": "WARNING",
            "LLM_PROVIDER_QUEUE_MAX_DEPTH": "1000000",
            **extra,
        }
        self.proc = subprocess.Popen([sys.executable, "-m", "llm_provider"], cwd=ROOT, env=env)
        self.channel = channels.insecure_channel(
            f"127.0.0.1:{self.port}", [channels.LLM_PROVIDER_SERVICE]
        )
        self.stub = llm_service_pb2_grpc.LLMProviderServiceStub(self.channel)

    async def ready(self) -> None:
        health = health_pb2_grpc.HealthStub(self.channel)
        for _ in range(300):
            try:
                reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            await asyncio.sleep(0.1)
        raise RuntimeError("llm_provider did not become SERVING")

    async def submit(self, requests: list[llm_pb2.ComparisonRequest]) -> None:
        for start in range(0, len(requests), SUBMIT_BATCH):
            chunk = requests[start : start + SUBMIT_BATCH]
            reply = await self.stub.SubmitComparisons(
                llm_pb2.SubmitComparisonsRequest(requests=chunk), timeout=60
            )
            refused = [o for o in reply.outcomes if not o.accepted]
            if refused:
                raise RuntimeError(f"refused: {refused[0]}")

    async def stop(self) -> None:
        await self.channel.close()
        self.proc.terminate()
        self.proc.wait(timeout=30)


async def result_times(js, ns: Namespace, n: int, *, timeout: float) -> tuple[float, float]:
    """Poll the results stream; (time of first result, time the n-th result was seen)."""
    stream = ns.name("HULEEDU_LLM_RESULTS")
    subject = ns.subject(subjects.results_subject("bench"))
    first, deadline = None, time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = await js.stream_info(stream, subjects_filter=subject)
        count = (info.state.subjects or {}).get(subject, 0)
        now = time.monotonic()
        if count and first is None:
            first = now
        if count >= n:
            return first or now, now
        await asyncio.sleep(0.02)
    raise TimeoutError(f"only {count} of {n} results after {timeout}s")


async def cleanup(js, ns: Namespace) -> None:
    for name in ("HULEEDU_LLM_REQUESTS", "HULEEDU_LLM_RESULTS"):
        with contextlib.suppress(Exception):
            await js.delete_stream(ns.name(name))
    for bucket in ("HULEEDU_LLM_ATTEMPTS", "HULEEDU_LLM_CANCELLED", "HULEEDU_LLM_REQUEST_IDS"):
        with contextlib.suppress(Exception):
            await js.delete_key_value(ns.name(bucket))


async def saturation(nats_url: str, js, *, n: int) -> float:
    ns = Namespace(f"bench_{uuid.uuid4().hex[:8]}")
    service = Service(
        nats_url,
        ns,
        {
            "LLM_PROVIDER_SIMULATED_LATENCY_MS": "2000",
            "LLM_PROVIDER_SIMULATED_RPM": "600",
            "LLM_PROVIDER_CONCURRENCY": "64",
            "LLM_PROVIDER_ACK_WAIT_S": "30",
        },
    )
    try:
        await service.ready()
        started = time.monotonic()
        await service.submit([request(i) for i in range(n)])
        _, last = await result_times(js, ns, n, timeout=n / 10 * 3 + 120)
        rate = n / (last - started)
        print(
            f"(a) {n} results at 600/min budget, 2 s calls: {rate:.2f}/s "
            f"over {last - started:.1f} s",
            flush=True,
        )
        return rate / 10.0
    finally:
        await service.stop()
        await cleanup(js, ns)


async def overhead(nats_url: str, js, *, n: int) -> float:
    ns = Namespace(f"bench_{uuid.uuid4().hex[:8]}")
    intake = Service(nats_url, ns, {"LLM_PROVIDER_WORKERS_ENABLED": "false"})
    try:
        await intake.ready()
        started = time.monotonic()
        await intake.submit([request(i) for i in range(n)])
        print(f"(b) intake: {n / (time.monotonic() - started):.0f} requests/s queued", flush=True)
    finally:
        await intake.stop()
    workers = Service(
        nats_url, ns, {"LLM_PROVIDER_CONCURRENCY": "512", "LLM_PROVIDER_FETCH_BATCH": "512"}
    )
    try:
        first, last = await result_times(js, ns, n, timeout=600)
        rate = (n - 1) / max(last - first, 1e-9)
        print(
            f"(b) workers: {rate:.0f} results/s ({n} results in {last - first:.2f} s)", flush=True
        )
        return rate
    finally:
        await workers.stop()
        await cleanup(js, ns)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="(a) with 600 requests, not 3,000")
    parser.add_argument("--n-fast", type=int, default=20_000, help="requests for (b)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating (b) rounds")
    parser.add_argument("--skip-a", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        nats_url, started = infra.resolve_nats(os.environ, data_dir=Path(tmp))
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        try:
            size = len(llm_pb2.QueuedComparison(request=request(0)).SerializeToString())
            baselines, ours = [], []
            for _ in range(args.rounds):
                baselines.append(await raw_jetstream(js, n=args.n_fast, size=size))
                ours.append(await overhead(nats_url, js, n=args.n_fast))
            baseline, results_per_s = max(baselines), max(ours)
            fraction = (
                0.0
                if args.skip_a
                else await saturation(nats_url, js, n=600 if args.quick else 3_000)
            )
        finally:
            await nc.close()
            if started is not None:
                started.stop()
    note = " (quick: 600 requests)" if args.quick else ""
    print(
        f"rate_fraction_of_limit={fraction:.3f} results_per_s={results_per_s:.0f} "
        f"jetstream_per_s={baseline:.0f} ratio_to_jetstream={results_per_s / baseline:.3f}" + note
    )


if __name__ == "__main__":
    asyncio.run(main())
