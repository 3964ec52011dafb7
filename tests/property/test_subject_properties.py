"""Every NATS subject a service consumes, fed hostile payloads on the real servers: no
consumer dies, and neither the batch forged results are aimed at nor a bystander batch stalls
or loses its events."""

from __future__ import annotations

import pytest

from tests.property import payloads
from tests.property.campaign import explore_subject

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def test_every_consumed_subject_has_a_payload_strategy():
    assert payloads.consumers() <= set(payloads.TARGETS)


@pytest.mark.parametrize("name", sorted(payloads.TARGETS))
def test_no_payload_kills_its_consumer_or_stalls_a_batch(fuzzer, name):
    fuzzer.canaries.submit(seed=11)
    if name == "cj_results_consumer":
        fuzzer.canaries.submit(targeted=True, seed=12)
    explore_subject(fuzzer, payloads.TARGETS[name], profile="huleedu-property")
    assert fuzzer.check_health(name) == []
    fuzzer.canaries.submit(seed=13)  # after every payload: the bus must still carry its events
    problems = fuzzer.canaries.settle(fuzzer.tally)
    assert not problems, "\n".join(problems)
