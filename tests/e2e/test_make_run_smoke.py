"""`make run`, minus starting the infrastructure: deploy.local's run path on a private mesh.

The launcher's `run` reuses a mesh recorded in its run directory, so the test starts one with
free ports (tests/integration/cli/mesh_support.py) and then calls exactly what `make run`
calls: the services answer, the CLI assesses the bundled samples on the simulated judge,
prints the table, writes the run folder with its report, and the last line is its path.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.artefact.runfolder import ARTEFACT, validate
from cli.artefact.write import CHARTS
from deploy.local import run
from tests.integration.cli.mesh_support import MeshHandle, running_mesh

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.fixture
def mesh(tmp_path: Path) -> Iterator[MeshHandle]:
    with running_mesh(tmp_path / "run") as handle:
        yield handle


def test_make_run_assesses_the_samples_and_ends_with_the_run_folder(
    mesh: MeshHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HULEEDU_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("HULEEDU_RUN_BUDGET", "64")
    previous = signal.getsignal(signal.SIGTERM)
    try:
        code = run.main(mesh.run_dir, replicas={"content": 1, "llm_provider": 1, "cj": 1},
                        judge=None)
    finally:
        signal.signal(signal.SIGTERM, previous)
    out = capsys.readouterr().out
    assert code == 0, out
    folder = Path(out.strip().splitlines()[-1])
    assert folder.parent == tmp_path / "runs" and folder.is_dir()
    assert "Results of batch" in out and "A_anchor.txt [anchor A]" in out
    artefact = json.loads((folder / ARTEFACT).read_text())
    validate(artefact)
    assert artefact["batch"]["state"] == "completed"
    assert len(artefact["inputs"]) == 32
    assert {m["path"] for m in artefact["manifest"]} == {*CHARTS, "report.md", "results.csv"}
