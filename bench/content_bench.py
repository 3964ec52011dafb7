"""Content service benchmark: Put throughput and BatchGet-of-200 latency over real gRPC + Postgres.

Run: ``.venv/bin/python bench/content_bench.py [--puts N] [--batches N] [--concurrency N]``.

Starts what it needs: PostgreSQL (DATABASE_URL, 127.0.0.1:5432, or the embedded wheel), a
throwaway database (dropped at the end), and ``python -m content_service`` as a subprocess on
free ports. The baseline is the raw gRPC health-check rate of the same server in the same run,
so ``ratio_put_to_health`` says how much a Put costs beyond the gRPC round trip itself.
Target: ``batchget200_p50_ms`` <= 20. The last line is the one-line summary.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contracts.channels import CONTENT_SERVICE, insecure_channel  # noqa: E402
from contracts.huleedu.content.v1 import content_pb2 as pb  # noqa: E402
from contracts.huleedu.content.v1.content_service_pb2_grpc import ContentServiceStub  # noqa: E402
from deploy.local import infra, pg_infra  # noqa: E402
from deploy.local.procs import free_port, run_sync, terminate  # noqa: E402

ESSAY_BYTES = 2048
BATCH = 200


def essay(index: int, run: str) -> bytes:
    text = f"Essay {index} of run {run}. " + "Pupils argued about the lighthouse keeper. " * 60
    return text.encode()[:ESSAY_BYTES]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@contextmanager
def throwaway_database() -> Iterator[str]:
    admin, started = infra.resolve_postgres(os.environ, data_dir=Path(tempfile.mkdtemp()) / "pg")
    name = f"bench_content_{os.getpid()}"
    url = run_sync(lambda: pg_infra.create_database(admin, name))
    try:
        yield url
    finally:
        run_sync(lambda: pg_infra.drop_database(admin, name))
        if started is not None:
            started.stop()


@contextmanager
def content_service(database_url: str) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CONTENT_GRPC_PORT": str(port),
        "CONTENT_METRICS_PORT": str(free_port()),
        "LOG_LEVEL": "INFO",
    }
    # INFO as in production: the one-line-per-RPC log is part of what each call costs.
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "content_service"], cwd=ROOT, env=env, stderr=log
        )
        try:
            yield f"127.0.0.1:{port}"
        finally:
            terminate(proc.pid, grace=10)
            proc.wait(timeout=10)


async def wait_serving(channel: grpc.aio.Channel, *, timeout: float = 60) -> None:
    stub = health_pb2_grpc.HealthStub(channel)
    deadline = time.monotonic() + timeout
    while True:
        try:
            reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=2)
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                return
        except grpc.aio.AioRpcError:
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.1)


async def timed_calls(
    calls: list[Callable[[], Awaitable[object]]], *, concurrency: int
) -> tuple[float, list[float]]:
    """Run ``calls`` with ``concurrency`` workers; return (calls per second, latencies in s)."""
    queue = iter(calls)
    latencies: list[float] = []

    async def worker() -> None:
        for call in queue:
            started = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(calls) / (time.perf_counter() - started), latencies


async def health_rate(channel: grpc.aio.Channel, *, count: int, concurrency: int) -> float:
    stub = health_pb2_grpc.HealthStub(channel)
    request = health_pb2.HealthCheckRequest()
    rate, _ = await timed_calls([lambda: stub.Check(request)] * count, concurrency=concurrency)
    return rate


async def put_rate(
    stub: ContentServiceStub, essays: list[bytes], *, concurrency: int
) -> tuple[float, list[float], list[str]]:
    ids: list[str] = []

    def call(data: bytes, index: int) -> Callable[[], Awaitable[object]]:
        async def put() -> None:
            reply = await stub.PutContent(
                pb.PutContentRequest(content=data, request_id=f"bench-{index}-{len(data)}")
            )
            ids.append(reply.metadata.content_id)

        return put

    rate, latencies = await timed_calls(
        [call(d, i) for i, d in enumerate(essays)], concurrency=concurrency
    )
    return rate, latencies, ids


async def batch_latencies(stub: ContentServiceStub, ids: list[str], *, count: int) -> list[float]:
    request = pb.BatchGetContentRequest(content_ids=ids)
    for _ in range(10):  # warm up connections and prepared statements
        await stub.BatchGetContent(request)
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        reply = await stub.BatchGetContent(request)
        latencies.append(time.perf_counter() - started)
        assert len(reply.items) == len(ids) and not reply.missing_ids
    return latencies


async def measure(address: str, args: argparse.Namespace) -> dict[str, float]:
    run = str(time.time_ns())
    async with insecure_channel(address, [CONTENT_SERVICE]) as channel:
        await wait_serving(channel)
        stub = ContentServiceStub(channel)
        await health_rate(channel, count=500, concurrency=args.concurrency)  # warm-up
        health = await health_rate(channel, count=args.health, concurrency=args.concurrency)
        essays = [essay(i, run) for i in range(args.puts)]
        puts, put_lat, ids = await put_rate(stub, essays, concurrency=args.concurrency)
        batch = await batch_latencies(stub, ids[:BATCH], count=args.batches)
    ms = 1000.0
    return {
        "health_per_s": health,
        "put_per_s": puts,
        "put_p50_ms": percentile(put_lat, 0.5) * ms,
        "put_p99_ms": percentile(put_lat, 0.99) * ms,
        "batchget200_p50_ms": percentile(batch, 0.5) * ms,
        "batchget200_p99_ms": percentile(batch, 0.99) * ms,
        "batchget200_mean_ms": statistics.fmean(batch) * ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--puts", type=int, default=3000)
    parser.add_argument("--health", type=int, default=5000)
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with throwaway_database() as url, content_service(url) as address:
        figures = asyncio.run(measure(address, args))
    for key, value in figures.items():
        print(f"{key}: {value:.2f}")
    print(
        f"put_per_s={figures['put_per_s']:.0f} "
        f"batchget200_p50_ms={figures['batchget200_p50_ms']:.2f} "
        f"batchget200_p99_ms={figures['batchget200_p99_ms']:.2f} "
        f"ratio_put_to_health={figures['put_per_s'] / figures['health_per_s']:.3f}"
    )


if __name__ == "__main__":
    main()
