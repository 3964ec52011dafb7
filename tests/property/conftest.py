"""One real mesh per session for the property tests, the world built in it, and a strict
Fuzzer per test (the first broken case fails the test, shrunk by hypothesis)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures import unique_name
from tests.fixtures.scratch import scratch_dir
from tests.property.canary import Canaries, EventWatch
from tests.property.mesh import FuzzMesh, fuzz_mesh
from tests.property.oracle import Tally
from tests.property.runner import Fuzzer
from tests.property.world import World, build_world


@pytest.fixture(scope="session")
def mesh(nats_url: str, postgres_admin_url: str) -> Iterator[FuzzMesh]:
    with scratch_dir("property") as base, fuzz_mesh(
            base / "run", {"NATS_URL": nats_url, "DATABASE_URL": postgres_admin_url}) as found:
        yield found


@pytest.fixture(scope="session")
def world(mesh: FuzzMesh) -> World:
    return build_world(mesh, unique_name("prop"))


@pytest.fixture(scope="session")
def watch(mesh: FuzzMesh) -> EventWatch:
    return EventWatch(mesh)


@pytest.fixture
def fuzzer(mesh: FuzzMesh, world: World, watch: EventWatch) -> Fuzzer:
    return Fuzzer(mesh, world, Canaries(mesh, watch), Tally(), strict=True)
