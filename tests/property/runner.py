"""One fuzz case against the real mesh, and hypothesis driving many of them.

``strict`` (the property tests) raises on the first broken case so hypothesis shrinks it and
reports the smallest input; otherwise (``make fuzz``) every case is tallied and the run goes
on, so one run lists every way in.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

import nats.errors
from google.protobuf.message import Message
from hypothesis import HealthCheck, Phase, example, given, seed, settings
from hypothesis import strategies as st

from tests.property.calls import Method, Outcome, invoke
from tests.property.canary import Canaries
from tests.property.mesh import FuzzMesh
from tests.property.messages import FRESH, copy_request_ids, with_fresh_ids
from tests.property.oracle import TRANSIENT, Finding, Tally, broken, describe
from tests.property.payloads import KNOWN, REPEATS, Delivery, Target, schema_headers
from tests.property.rpcs import SAME, VICTIM, RpcCase
from tests.property.world import World, running, start_victim

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
          HealthCheck.filter_too_much]
# `make test`: the same few dozen cases per RPC and subject every run, shrunk when one fails.
settings.register_profile(
    "huleedu-property", max_examples=30, derandomize=True, database=None, deadline=None,
    suppress_health_check=_QUIET, print_blob=False,
    phases=[Phase.explicit, Phase.generate, Phase.shrink])
# `make fuzz`: many random cases, none shrunk (every one is tallied instead).
settings.register_profile(
    "huleedu-fuzz", derandomize=False, database=None, deadline=None,
    suppress_health_check=_QUIET, phases=[Phase.explicit, Phase.generate])


class Fuzzer:
    def __init__(self, mesh: FuzzMesh, world: World, canaries: Canaries, tally: Tally,
                 *, strict: bool, rng_seed: int | None = None) -> None:
        self.mesh, self.world, self.canaries, self.tally = mesh, world, canaries, tally
        self.strict, self.rng_seed = strict, rng_seed
        self._dead: set[str] = set()
        self._known = 0
        self._victim = ""

    def explore(self, strategy: st.SearchStrategy[Any], case: Callable[[Any], None], *,
                profile: str, examples: int | None = None, seeds: Iterable[Any] = ()) -> None:
        """Run ``case`` on ``seeds`` and then on values hypothesis draws from ``strategy``."""
        def run(value: Any) -> None:
            case(value)

        test = given(strategy)(run)
        for value in seeds:
            test = example(value)(test)
        if self.rng_seed is not None:  # a fuzz run is reproducible from the seed it prints
            test = seed(self.rng_seed)(test)
        chosen = settings.get_profile(profile)
        settings(chosen, max_examples=examples or chosen.max_examples)(test)()

    def rpc_case(self, method: Method, case: RpcCase) -> None:
        request = self._resolve(case.request)
        first, found = self._send(method, request, case.metadata)
        if case.repeat is not None:
            again = request if case.repeat == SAME else self._resolve(case.repeat)
            if again is not request:
                copy_request_ids(request, again)
            second, more = self._send(method, again, case.metadata)
            found += more + self._repeat_findings(method, request, again, first, second)
        self._settle(found, method.key, request)

    def _resolve(self, body: Message) -> Message:
        """``body`` with its sentinels replaced: fresh ids, a running batch, a live comparison."""
        return with_fresh_ids(body, {VICTIM: self._running_batch, KNOWN: self._live_comparison})

    def _running_batch(self) -> str:
        """A batch to cancel: the last one while it still runs, else a new one."""
        if not (self._victim and running(self.mesh, self._victim)):
            self._victim = start_victim(self.mesh)
        return self._victim

    def _live_comparison(self) -> str:
        """A comparison a targeted canary awaits (a forged result races the real one)."""
        self._known += 1
        live = self.canaries.live_comparison(self._known)
        self.tally.notes["forged results for a live comparison" if live
                         else "forged results with no comparison in flight"] += 1
        return live or uuid.uuid4().hex

    def _send(self, method: Method, request: Message,
              metadata: tuple[tuple[str, str], ...]) -> tuple[Outcome, list[Finding]]:
        before = self.mesh.rows()
        outcome = invoke(self.mesh, method, request, metadata)
        self.tally.answers[method.key, outcome.code] += 1
        sent = describe(request)
        found = [Finding(method.key, kind, outcome.code, outcome.message, sent)
                 for kind in broken(outcome, request.SerializeToString())]
        if not outcome.ok:
            after = self.mesh.rows()
            changed = {t: after[t] - before[t] for t in before if after[t] != before[t]}
            if changed:
                found.append(Finding(method.key, "WRITE_ON_REFUSAL", outcome.code,
                                     f"rows {changed} after: {outcome.message}", sent))
        return outcome, found

    def _repeat_findings(self, method: Method, first_request: Message, again: Message,
                         first: Outcome, second: Outcome) -> list[Finding]:
        """A retry of an accepted request (same request_id, same body) must be accepted."""
        if not (first.ok and getattr(first_request, "request_id", "")):
            return []
        if again is first_request and not second.ok and second.code not in TRANSIENT:
            return [Finding(method.key, "RETRY_REFUSED", second.code, second.message,
                            describe(again))]
        if _wire(again) != _wire(first_request) and second.ok:
            self.tally.notes[f"{method.key}: reused request_id with another body accepted"] += 1
        return []

    def payload_case(self, target: Target, delivery: Delivery) -> None:
        subject = target.subject(self.mesh.ns).replace(FRESH, uuid.uuid4().hex)
        body = self._resolve(delivery.body) if isinstance(delivery.body, Message) \
            else delivery.body
        sends = [(body, _msg_id(delivery, body))]
        if delivery.repeat in REPEATS:
            sends.append((body, sends[0][1] if delivery.repeat == "same-id" else uuid.uuid4().hex))
        elif isinstance(delivery.repeat, Message):
            twin = self._resolve(delivery.repeat)
            if isinstance(body, Message):
                copy_request_ids(body, twin)
            sends.append((twin, uuid.uuid4().hex))
        try:
            for data, msg_id in sends:
                raw = data.SerializeToString() if isinstance(data, Message) else data
                self.mesh.publish(subject, raw, schema_headers(delivery, msg_id))
        except nats.errors.MaxPayloadError:
            self.tally.notes[f"{target.name}: over max_payload, not sent"] += 1
            return
        self._settle([], target.name, body)

    def _settle(self, found: list[Finding], target: str, sent: Message | bytes) -> None:
        """Tally the case and whether it killed a replica; raise in strict mode."""
        died = [name for name in self.mesh.dead() if name not in self._dead]
        self._dead.update(died)
        self.tally.crashes += len(died)
        text = describe(sent) if isinstance(sent, Message) else repr(sent[:80])
        crash = [Finding(target, "CRASH", "", f"{', '.join(died)} died", text)] if died else []
        self.tally.findings += crash
        self.tally.record(found)
        if self.strict and (found or crash):
            raise AssertionError("\n".join(
                f"{f.target} {f.kind} {f.code}: {f.message[:300]!r} <- {f.sent}"
                for f in found + crash))

    def check_health(self, target: str) -> list[str]:
        """Replicas that stopped answering health (crashes not yet counted are counted)."""
        bad = self.mesh.unhealthy()
        fresh = [name for name in bad if name not in self._dead]
        self._dead.update(fresh)
        self.tally.crashes += len(fresh)
        self.tally.findings += [Finding(target, "CRASH", "", f"{name} not serving", "")
                                for name in fresh]
        return bad


def _msg_id(delivery: Delivery, sent: Message | bytes) -> str:
    """A well-formed forged result for a live comparison carries the Nats-Msg-Id llm_provider
    gives that comparison's result (its request_id), so JetStream drops whichever of the two
    comes second: the forged one is then the provider's answer, as a poisoned verdict would be.
    Anything else gets its own id: dropping the real answer for an undecodable message would
    only test a lost message, which is not bad input."""
    drawn = delivery.body
    if (isinstance(drawn, Message) and getattr(drawn, "request_id", None) == KNOWN
            and delivery.schema == drawn.DESCRIPTOR.full_name):
        return str(getattr(sent, "request_id", ""))
    return uuid.uuid4().hex


def _wire(message: Message) -> bytes:
    return message.SerializeToString(deterministic=True)
