"""One private mesh (three real services as processes) shared by the CLI integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.cli.mesh_support import MeshHandle, running_mesh


@pytest.fixture(scope="session")
def cli_mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MeshHandle]:
    with running_mesh(tmp_path_factory.mktemp("cli-mesh")) as mesh:
        yield mesh
