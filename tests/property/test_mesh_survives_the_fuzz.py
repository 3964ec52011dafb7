"""A small round of everything at once (every subject, every RPC, the issue-20 inputs) with
canary batches alongside: the canaries complete with their events, no batch is left half
written, and every server still answers."""

from __future__ import annotations

import pytest

from tests.property.campaign import fuzz_round
from tests.property.canary import Canaries
from tests.property.oracle import Tally
from tests.property.runner import Fuzzer

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(900)]
EXAMPLES_PER_TARGET = 5


def test_canaries_finish_with_their_events_while_every_rpc_and_subject_is_fuzzed(
        mesh, world, watch):
    tally = Tally()
    fuzzer = Fuzzer(mesh, world, Canaries(mesh, watch), tally, strict=False)
    problems = fuzz_round(fuzzer, profile="huleedu-property", examples=EXAMPLES_PER_TARGET,
                          seed=21)
    summary = "\n".join([*problems, *tally.report(), tally.line()])
    assert (tally.crashes, tally.stalled, tally.blocked_events) == (0, 0, 0), summary
    assert not problems, summary
