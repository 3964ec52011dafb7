"""Chaos: 2 replicas of every service on a 3-node JetStream cluster (R3 streams), batches
running while replicas are kill -9'd and restarted, a NATS node is killed (and later
restarted) and PostgreSQL is restarted; the simulated judge answers 30% of calls with
429/500. Every batch must complete and the ledger must balance (see chaos_support_checks).

`make test` runs the short profile (one kill per service); `make chaos` sets
HULEEDU_CHAOS=long (several kills per service, more batches) and runs it three times.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nats
import pytest

from contracts import channels
from contracts.huleedu.cj.v1 import cj_pb2
from contracts.streams import Namespace
from tests.e2e.chaos_support import SERVICE_NAMES, ChaosMesh, call_outcomes, start_chaos_mesh
from tests.e2e.chaos_support_checks import Ledger, balance, diagnose
from tests.e2e.chaos_support_client import Caller, essay_text
from tests.fixtures.scratch import scratch_dir


@dataclass(frozen=True)
class Profile:
    name: str
    first_batches: int  # submitted before the first fault; more follow while faults run
    essays: int
    comparisons_per_essay: int
    max_in_flight: int
    kill_rounds: int  # kill -9 + restart of a random replica, per service
    keep_running: int  # before each fault, submit a batch if fewer than this are running
    timeout_s: float


SHORT = Profile("short", 2, 12, 6, 6, 1, 1, 150)
LONG = Profile("long", 4, 24, 8, 8, 4, 3, 480)
PROFILE = LONG if os.environ.get("HULEEDU_CHAOS") == "long" else SHORT
FAULT_RATE_ENV = {"LLM_PROVIDER_SIMULATED_RATE_429": "0.15",
                  "LLM_PROVIDER_SIMULATED_RATE_500": "0.15"}
CHAOS_ENV = {
    **FAULT_RATE_ENV,
    "LLM_PROVIDER_SIMULATED_LATENCY_MS": "250", "LLM_PROVIDER_SIMULATED_LATENCY_SIGMA": "0.5",
    "LLM_PROVIDER_SIMULATED_RETRY_AFTER_S": "0.2", "LLM_PROVIDER_BACKOFF_BASE_S": "0.2",
    "LLM_PROVIDER_BACKOFF_MAX_S": "2", "LLM_PROVIDER_BREAKER_COOLDOWN_S": "2",
    "LLM_PROVIDER_ACK_WAIT_S": "10", "CJ_RECOVERY_INTERVAL_S": "2",
    "CJ_WATCHDOG_INTERVAL_S": "2", "LOG_LEVEL": "INFO",
}

pytestmark = [pytest.mark.e2e, pytest.mark.integration,
              pytest.mark.timeout(PROFILE.timeout_s + 240)]


@pytest.fixture
def chaos_mesh() -> Iterator[ChaosMesh]:
    with scratch_dir("chaos") as base:
        mesh = start_chaos_mesh(Path(base), replicas=2, extra_env=CHAOS_ENV)
        try:
            yield mesh
        finally:
            mesh.stop()


def fault_plan(rng: random.Random, kill_rounds: int) -> list[tuple[str, str]]:
    """Replica kills in random order, with NATS node loss and a Postgres restart among them."""
    plan = [("replica", name) for _ in range(kill_rounds) for name in SERVICE_NAMES]
    rng.shuffle(plan)
    node = str(rng.randrange(3))
    plan.insert(1, ("nats_down", node))
    plan.insert(len(plan) // 2 + 1, ("postgres", ""))
    plan.insert(len(plan) - 1, ("nats_up", node))
    return plan


class Workload:
    """Submits batches and keeps at least one running while the fault plan lasts."""

    def __init__(self, caller: Caller, profile: Profile) -> None:
        self.caller, self.profile = caller, profile
        self.submitted: list[str] = []
        self.finished: dict[str, cj_pb2.Assessment] = {}

    @property
    def running(self) -> int:
        return len(self.submitted) - len(self.finished)

    async def submit(self) -> str:
        tag = f"b{len(self.submitted)}-{random.getrandbits(32):x}"
        ids = await self.caller.upload([essay_text(tag, i) for i in range(self.profile.essays)])
        stopping = cj_pb2.StoppingOptions(
            budget=self.profile.essays * self.profile.comparisons_per_essay,
            target_reliability=0.999, max_in_flight=self.profile.max_in_flight,
        )
        batch_id = await self.caller.submit(ids, stopping=stopping)
        self.submitted.append(batch_id)
        return batch_id

    async def watch(self, until: asyncio.Event) -> None:
        """Record batches as they finish, until told to stop and all have finished."""
        while not (until.is_set() and self.running == 0):
            for batch_id in [b for b in self.submitted if b not in self.finished]:
                found = await self.caller.assessment(batch_id)
                if found.state not in (cj_pb2.ASSESSMENT_STATE_RUNNING,):
                    self.finished[batch_id] = found
            await asyncio.sleep(0.5)


async def run_faults(mesh: ChaosMesh, work: Workload, rng: random.Random) -> None:
    for action, target in fault_plan(rng, PROFILE.kill_rounds):
        if work.running < PROFILE.keep_running:
            await work.submit()  # every fault must land on live work
        before, running = len(mesh.faults), work.running
        if action == "replica":
            victim = await asyncio.to_thread(mesh.kill_replica, target, rng)
            await asyncio.sleep(rng.uniform(0.2, 2.0))
            await asyncio.to_thread(mesh.restart_replica, victim)
        elif action == "nats_down":
            await asyncio.to_thread(mesh.kill_nats_node, int(target))
        elif action == "nats_up":
            await asyncio.to_thread(mesh.restart_nats_node, int(target))
        else:
            await asyncio.to_thread(mesh.restart_postgres)
        mesh.faults[before].running_batches = running
        await asyncio.sleep(rng.uniform(0.5, 2.0))


async def stuck_report(mesh: ChaosMesh, work: Workload) -> str:
    stuck = [b for b in work.submitted if b not in work.finished]
    nc = await nats.connect(mesh.cluster.urls, max_reconnect_attempts=-1)
    try:
        where = await diagnose(mesh.cj_dsn, nc, Namespace(""), stuck)
    finally:
        await nc.close()
    faults = "; ".join(f"{f.at}s {f.action} {f.target}" for f in mesh.faults)
    return (f"{len(stuck)} of {len(work.submitted)} batches still running after "
            f"{PROFILE.timeout_s}s\n{where}\nfaults: {faults}\nlogs kept in {mesh.keep_logs()}")


async def settle(mesh: ChaosMesh, batch_ids: list[str], *, timeout_s: float) -> Ledger:
    """The ledger once late results have landed (or the deadline passed)."""
    nc = await nats.connect(mesh.cluster.urls, max_reconnect_attempts=-1)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            ledger = await balance(mesh.cj_dsn, nc, Namespace(""), batch_ids)
            if not ledger.problems or time.monotonic() > deadline:
                return ledger
            await asyncio.sleep(2.0)
    finally:
        await nc.close()


async def test_every_batch_completes_and_the_ledger_balances_through_kills_and_restarts(
    chaos_mesh, capsys
):
    rng = random.Random(int(os.environ.get("HULEEDU_CHAOS_SEED", time.time_ns() % 2**32)))
    env = chaos_mesh.env
    caller = Caller(channels.channel(env["CONTENT_ADDR"], [channels.CONTENT_SERVICE]),
                    channels.channel(env["CJ_ADDR"], [channels.CJ_ASSESSMENT_SERVICE]))
    work = Workload(caller, PROFILE)
    for _ in range(PROFILE.first_batches):
        await work.submit()
    stop = asyncio.Event()
    watcher = asyncio.create_task(work.watch(stop))
    await run_faults(chaos_mesh, work, rng)
    stop.set()
    try:
        await asyncio.wait_for(watcher, PROFILE.timeout_s)
    except TimeoutError:
        pytest.fail(await stuck_report(chaos_mesh, work))
    assert chaos_mesh.all_alive(), "a restarted replica or NATS node is not running"
    ledger = await settle(chaos_mesh, work.submitted, timeout_s=90)
    calls = call_outcomes(chaos_mesh)  # since the last restart of each llm_provider replica
    with capsys.disabled():  # the counts are the point of a chaos run: always show them
        print(f"\nchaos[{PROFILE.name}] {ledger.summary()} provider_calls={calls}")
        print("faults: " + "; ".join(f"{f.at}s {f.action} {f.target} (running={f.running_batches})"
                                     for f in chaos_mesh.faults))
    states = {b: cj_pb2.AssessmentState.Name(a.state) for b, a in work.finished.items()}
    assert set(states.values()) == {"ASSESSMENT_STATE_COMPLETED"}, states
    assert not ledger.problems, ledger.problems[:10]
    assert ledger.judged > 0 and ledger.batches == len(work.submitted)
    assert all(f.running_batches > 0 for f in chaos_mesh.faults if f.action == "kill -9")
    assert sum(v for k, v in calls.items() if k != "ok") > 0, calls  # faults were injected
