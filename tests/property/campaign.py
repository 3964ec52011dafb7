"""A fuzz round over everything: canaries submitted, every consumed subject and every RPC
fuzzed, a last canary submitted after all of it, then the canaries, the rows and the servers'
health checked. The survival test runs one small round; `make fuzz` runs long ones.
"""

from __future__ import annotations

from tests.property import rpcs
from tests.property.calls import Method, methods
from tests.property.oracle import Finding
from tests.property.payloads import TARGETS, Target
from tests.property.runner import Fuzzer
from tests.property.seeds import payload_seeds, rpc_seeds

HEADROOM = 8 * 1024  # NATS headers and protocol framing around a payload
# A batch whose stored texts do not match its counts was written in part.
_PARTIAL_SQL = """
SELECT b.id, b.essay_count + b.anchor_count AS wanted, count(e.batch_id) AS stored
FROM batches b LEFT JOIN batch_essays e ON e.batch_id = b.id
GROUP BY b.id HAVING count(e.batch_id) <> b.essay_count + b.anchor_count
"""


def explore_rpc(fuzzer: Fuzzer, method: Method, *, profile: str,
                examples: int | None = None) -> None:
    fuzzer.explore(rpcs.cases(method, fuzzer.world), lambda c: fuzzer.rpc_case(method, c),
                   profile=profile, examples=examples, seeds=rpc_seeds(method, fuzzer.world))


def explore_subject(fuzzer: Fuzzer, target: Target, *, profile: str,
                    examples: int | None = None) -> None:
    ceiling = fuzzer.mesh.max_payload - HEADROOM
    fuzzer.explore(target.deliveries(ceiling), lambda d: fuzzer.payload_case(target, d),
                   profile=profile, examples=examples, seeds=payload_seeds(target.name))


def partial_batches(fuzzer: Fuzzer) -> list[str]:
    rows = fuzzer.mesh.fetch("cj", _PARTIAL_SQL)
    return [f"batch {r['id']} holds {r['stored']} of its {r['wanted']} texts" for r in rows]


def fuzz_round(fuzzer: Fuzzer, *, profile: str, examples: int | None, seed: int) -> list[str]:
    """Fuzz every subject and RPC ``examples`` times (the profile's count when None) with
    canaries alongside; returns what went wrong beyond the tallied cases."""
    canaries = fuzzer.canaries
    canaries.submit(seed=seed)
    canaries.submit(targeted=True, seed=seed)
    for target in TARGETS.values():
        explore_subject(fuzzer, target, profile=profile, examples=examples)
        if fuzzer.check_health(target.name):
            return [f"a server stopped answering after fuzzing {target.name}"]
    for method in methods():
        explore_rpc(fuzzer, method, profile=profile, examples=examples)
        if fuzzer.check_health(method.key):
            return [f"a server stopped answering after fuzzing {method.key}"]
    canaries.submit(seed=seed + 1)  # after every case: the bus must still carry its events
    problems = canaries.settle(fuzzer.tally)
    partial = partial_batches(fuzzer)
    fuzzer.tally.unknown += len(partial)
    fuzzer.tally.findings += [Finding("cj batches", "PARTIAL_ROWS", "", p, "") for p in partial]
    return problems + partial
