"""Mesh throughput: end-to-end judgements/s through every service, beside raw JetStream.

The mesh (content, llm_provider, cj as real processes started by the deploy.local launcher,
a private nats-server with JetStream, PostgreSQL) runs batches judged by the zero-latency
simulated judge: cj plans pairs and submits them over gRPC, llm_provider queues them on its
work-queue stream, its workers judge them and publish results, cj applies and persists each
verdict and tops the batch up, until every batch has spent its budget.

    judgements_per_s = verdicts applied / (last batch finished - first submission)

The baseline, measured in the same run on the same nats-server, is raw JetStream in one
Python process: publish N messages of a ComparisonResult's size while a pull consumer
fetches and acks them, N / elapsed. Baseline rounds run before and after the mesh round and
the best is kept (the box is shared; other load only ever slows a round down).

Usage: .venv/bin/python bench/mesh_bench.py [--batches 10] [--essays 100] [--per-essay 30]
Last line: judgements_per_s=… jetstream_per_s=… ratio_to_jetstream=…
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

# The services inherit this: their fits are many small matrix operations, and OpenBLAS
# threads on this busy 2-core box only contend (make sets it too; a direct run must).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import nats  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contracts import channels  # noqa: E402
from contracts.huleedu.cj.v1 import cj_pb2  # noqa: E402
from contracts.huleedu.common.v1 import common_pb2  # noqa: E402
from deploy.local import infra, pg_infra  # noqa: E402
from deploy.local import mesh as mesh_mod  # noqa: E402
from deploy.local.nats_infra import start_nats_server  # noqa: E402
from deploy.local.procs import port_open, run_sync  # noqa: E402
from deploy.local.services import SERVICES, ServiceSpec  # noqa: E402
from tests.e2e.chaos_support_client import Caller, essay_text  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from jetstream_baseline import raw_jetstream  # noqa: E402

FREE_JUDGE = common_pb2.JudgeConfig(provider="simulated", model="simulated-judge")
RESULT_SIZE = 420  # bytes of a typical ComparisonResult with a short justification


def bench_specs(tag: str) -> tuple[ServiceSpec, ...]:
    """SERVICES on a free block of ports, each with a database of its own for this run."""
    rng = random.Random()
    for _ in range(50):
        base = rng.randrange(20_000, 40_000, 100)
        specs = tuple(
            dataclasses.replace(
                s,
                grpc_port=base + k,
                metrics_port=base + 3 + k,
                database=f"{s.database}_{tag}" if s.database else None,
            )
            for k, s in enumerate(SERVICES)
        )
        if not any(
            port_open("127.0.0.1", p, timeout=0.1)
            for s in specs
            for i in range(4)
            for p in s.ports(i)
        ):
            return specs
    raise RuntimeError("no free ports")


async def mesh_round(env: dict[str, str], args: argparse.Namespace) -> tuple[float, int]:
    caller = Caller(
        channels.channel(env["CONTENT_ADDR"], [channels.CONTENT_SERVICE]),
        channels.channel(env["CJ_ADDR"], [channels.CJ_ASSESSMENT_SERVICE]),
    )
    tag = uuid.uuid4().hex[:6]
    uploads = [
        await caller.upload([essay_text(f"{tag}{b}", i) for i in range(args.essays)])
        for b in range(args.batches)
    ]
    stopping = cj_pb2.StoppingOptions(
        budget=args.essays * args.per_essay,
        target_reliability=0.999999,  # run to the budget: a throughput measure
        max_in_flight=args.max_in_flight,
    )
    started = time.monotonic()
    batch_ids = await asyncio.gather(
        *(
            caller.submit(ids, stopping=stopping, judge=FREE_JUDGE, seed=b + 1)
            for b, ids in enumerate(uploads)
        )
    )
    done = await caller.wait_finished(list(batch_ids), timeout_s=1_800, interval_s=0.5)
    elapsed = time.monotonic() - started
    judged = sum(a.progress.comparisons_done for a in done.values())
    ends = Counter(
        (cj_pb2.AssessmentState.Name(a.state), cj_pb2.CompletionReason.Name(a.completion_reason))
        for a in done.values()
    )
    print(
        f"mesh: {judged} verdicts applied in {elapsed:.2f} s = {judged / elapsed:.0f}/s "
        f"({args.batches} batches x {args.essays} essays, ended {dict(ends)}, reliability "
        f"{min(a.progress.reliability for a in done.values()):.4f}.."
        f"{max(a.progress.reliability for a in done.values()):.4f})",
        flush=True,
    )
    await caller.content_channel.close()
    await caller.cj_channel.close()
    return judged / elapsed, judged


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its reaped children, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def postgres_seconds() -> float:
    """CPU of every postgres process (server and backends) on this machine, from /proc."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if "(postgres)" in text:
            fields = text.rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:13]) / os.sysconf("SC_CLK_TCK")
    return total


def cpu_report(before: dict[str, float], after: dict[str, float], judged: int) -> str:
    return " ".join(
        f"{name}={1000 * (after[name] - before[name]) / max(judged, 1):.2f}" for name in before
    )


def start_mesh(tmp: Path, args: argparse.Namespace, tag: str):
    nats_server = start_nats_server(tmp / "nats")
    admin_url, pg = infra.resolve_postgres(os.environ, data_dir=tmp / "pg" / "data")
    env = {
        **{k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")},
        "NATS_URL": nats_server.url,
        "DATABASE_URL": admin_url,
        "LOG_LEVEL": "WARNING",
        "LLM_PROVIDER_SIMULATED_LATENCY_MS": "0",
        "LLM_PROVIDER_SIMULATED_NOISE_SD": "1.0",  # a noiseless judge with P(A) is an oracle
        "LLM_PROVIDER_QUEUE_MAX_DEPTH": "1000000",
    }
    specs = bench_specs(tag)
    replicas = {s.name: args.replicas for s in specs}
    mesh = mesh_mod.up(tmp / "run", replicas=replicas, env=env, specs=specs, say=lambda _: None)
    return nats_server, admin_url, pg, specs, mesh


def stop_mesh(tmp: Path, nats_server, admin_url: str, pg, specs) -> None:
    mesh_mod.down(tmp / "run", say=lambda _: None)
    for spec in specs:
        if spec.database:
            run_sync(lambda db=spec.database: pg_infra.drop_database(admin_url, db))
    nats_server.stop()
    if pg is not None:
        pg.stop()


async def measure(
    nats_url: str, env: dict[str, str], args: argparse.Namespace, pids: dict[str, int]
) -> tuple[float, float]:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    try:
        baselines = [await raw_jetstream(js, n=args.n_raw, size=RESULT_SIZE)]
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        before["postgres"], before["bench"] = postgres_seconds(), time.process_time()
        rate, judged = await mesh_round(env, args)
        after = {name: cpu_seconds(pid) for name, pid in pids.items()}
        after["postgres"], after["bench"] = postgres_seconds(), time.process_time()
        print(f"cpu ms per judgement: {cpu_report(before, after, judged)}", flush=True)
        baselines.append(await raw_jetstream(js, n=args.n_raw, size=RESULT_SIZE))
    finally:
        await nc.close()
    return rate, max(baselines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--essays", type=int, default=100)
    parser.add_argument("--per-essay", type=int, default=30, help="budget per essay")
    parser.add_argument("--max-in-flight", type=int, default=200)
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--n-raw", type=int, default=50_000)
    args = parser.parse_args()
    tag = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="huleedu-mesh-bench-") as tmp_name:
        tmp = Path(tmp_name)
        nats_server, admin_url, pg, specs, mesh = start_mesh(tmp, args, tag)
        try:
            pids = {f"{r.service}[{r.replica}]": r.pid for r in mesh.replicas}
            pids["nats-server"] = nats_server.pid
            print("pids: " + " ".join(f"{k}={v}" for k, v in pids.items()), flush=True)
            rate, baseline = asyncio.run(measure(nats_server.url, mesh.env, args, pids))
        finally:
            stop_mesh(tmp, nats_server, admin_url, pg, specs)
    print(
        f"judgements_per_s={rate:.0f} jetstream_per_s={baseline:.0f} "
        f"ratio_to_jetstream={rate / baseline:.3f}"
    )


if __name__ == "__main__":
    main()
