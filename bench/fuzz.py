"""Long fuzz of the real mesh (`make fuzz`): every RPC of every service and every NATS subject a
service consumes, thousands of hypothesis cases (tests/property: hostile strings, sizes and
numbers at every bound, forged page tokens and tokens, duplicates, the issue-20 inputs) with
canary batches of sample essays alongside, on content_service, llm_provider (simulated judge)
and cj_service started as processes by the deploy.local launcher.

Counts, over the whole run:
  unknown         cases whose answer broke the error contract (UNKNOWN or INTERNAL, text from
                  inside a service such as SQL, a write on refusal, a refused retry), plus
                  batches left half written
  crashes         replicas that died or stopped answering health
  stalled         canaries that did not finish in time (a targeted one may fail, not stall)
  blocked_events  events of finished canaries that never reached a subscriber

FUZZ_EXAMPLES (3000) cases in all, spread over every target and FUZZ_ROUNDS (3) rounds;
FUZZ_SEED fixes hypothesis's randomness (printed first). Every broken case is listed with
its input. Last line: cases=… unknown=… crashes=… stalled=… blocked_events=…; exit status 1
when any count but cases is not 0.
"""

from __future__ import annotations

import math
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

# The services inherit this: their fits are many small matrix operations (see the Makefile).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fixtures import unique_name  # noqa: E402
from tests.fixtures.scratch import scratch_dir  # noqa: E402
from tests.property.calls import methods  # noqa: E402
from tests.property.campaign import fuzz_round  # noqa: E402
from tests.property.canary import Canaries, EventWatch  # noqa: E402
from tests.property.mesh import FuzzMesh, fuzz_mesh  # noqa: E402
from tests.property.oracle import Tally  # noqa: E402
from tests.property.payloads import TARGETS  # noqa: E402
from tests.property.runner import Fuzzer  # noqa: E402
from tests.property.world import build_world  # noqa: E402


def run(mesh: FuzzMesh, tally: Tally, *, total: int, rounds: int, rng_seed: int) -> list[str]:
    per_target = max(1, math.ceil(total / (rounds * (len(methods()) + len(TARGETS)))))
    world = build_world(mesh, unique_name("fuzz"))
    fuzzer = Fuzzer(mesh, world, Canaries(mesh, EventWatch(mesh)), tally, strict=False,
                    rng_seed=rng_seed)
    problems: list[str] = []
    for n in range(rounds):
        problems += fuzz_round(fuzzer, profile="huleedu-fuzz", examples=per_target,
                               seed=rng_seed + 2 * n)
        print(f"round {n + 1}/{rounds}: {tally.line()}", flush=True)
        if tally.crashes:
            break
    return problems


def keep_logs(mesh: FuzzMesh) -> Path:
    kept = Path(tempfile.mkdtemp(prefix="huleedu-fuzz-logs-"))
    shutil.copytree(mesh.logs(), kept, dirs_exist_ok=True)
    return kept


def main() -> int:
    total = int(os.environ.get("FUZZ_EXAMPLES", "3000"))
    rounds = max(1, int(os.environ.get("FUZZ_ROUNDS", "3")))
    rng_seed = int(os.environ.get("FUZZ_SEED") or random.randrange(2**31))
    print(f"fuzz: FUZZ_EXAMPLES={total} FUZZ_ROUNDS={rounds} FUZZ_SEED={rng_seed}", flush=True)
    tally = Tally()
    with scratch_dir("fuzz") as base, fuzz_mesh(base / "run", {}) as mesh:
        problems = run(mesh, tally, total=total, rounds=rounds, rng_seed=rng_seed)
        logs = keep_logs(mesh) if tally.failed() or problems else None
    for line in [*problems, *tally.report()]:
        print(line)
    if logs is not None:
        print(f"service logs kept in {logs}")
    print(tally.line(), flush=True)
    return 1 if tally.failed() else 0


if __name__ == "__main__":
    sys.exit(main())
