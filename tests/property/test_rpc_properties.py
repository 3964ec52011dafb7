"""Every RPC of every service, fed hostile requests on the real servers: no answer is UNKNOWN
or INTERNAL or carries text from inside the service, a refused request writes nothing, a
retried accepted request is accepted again, and no server dies."""

from __future__ import annotations

import pytest

from tests.property import rpcs
from tests.property.calls import methods
from tests.property.campaign import explore_rpc
from tests.property.mesh import ADDRESS_ENV

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
METHODS = methods()


def test_every_rpc_of_every_service_has_a_request_strategy():
    assert sorted(m.key for m in METHODS) == sorted(rpcs.TEMPLATES)
    assert {m.service for m in METHODS} <= set(ADDRESS_ENV)


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.key)
def test_no_request_gets_a_broken_answer_or_writes_when_refused(fuzzer, method):
    explore_rpc(fuzzer, method, profile="huleedu-property")
    assert fuzzer.check_health(method.key) == []
