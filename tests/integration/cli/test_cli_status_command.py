"""`huleedu status` and `huleedu models`, in-process and through the installed console script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.local.procs import free_port
from tests.integration.cli.mesh_support import MeshHandle
from tests.integration.cli.support import ADDRESS_KEYS, huleedu, one_line_error

pytestmark = pytest.mark.integration


def test_status_shows_every_service_serving(cli_mesh: MeshHandle) -> None:
    result = huleedu(cli_mesh, "status")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("SERVING") == 3


def test_status_fails_when_a_service_is_down(cli_mesh: MeshHandle) -> None:
    result = huleedu(cli_mesh, "status", env={"CONTENT_ADDR": f"127.0.0.1:{free_port()}"})
    assert result.exit_code == 3
    assert "unreachable" in result.stdout
    assert "not every service is serving" in one_line_error(result)


def test_models_lists_the_manifest_with_prices(cli_mesh: MeshHandle) -> None:
    result = huleedu(cli_mesh, "models", "--provider", "simulated")
    assert result.exit_code == 0, result.output
    assert "simulated/simulated-judge" in result.stdout
    assert "simulated/simulated-priced" in result.stdout
    assert "openai/" not in result.stdout


def test_the_installed_console_script_talks_to_the_mesh(cli_mesh: MeshHandle) -> None:
    script = Path(sys.executable).with_name("huleedu")
    env = {**os.environ, **{k: cli_mesh.env[k] for k in ADDRESS_KEYS}}
    done = subprocess.run([str(script), "status"], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("SERVING") == 3
