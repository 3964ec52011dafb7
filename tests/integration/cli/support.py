"""Helpers for CLI tests: invoke `huleedu` against a test mesh, build small essay folders."""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from pathlib import Path

from typer.testing import CliRunner, Result

from cli.main import app
from tests.integration.cli.mesh_support import SAMPLES, MeshHandle

ADDRESS_KEYS = ("CONTENT_ADDR", "LLM_PROVIDER_ADDR", "CJ_ADDR")
SUBSET_ESSAYS = ("essay_07.txt", "essay_12.txt", "essay_10.txt", "essay_17.txt",
                 "essay_16.txt", "essay_09.txt")
SUBSET_ANCHORS = ("F", "D", "C", "A")
BATCH_ID = re.compile(r"batch ([0-9a-f]{32})")


def huleedu(mesh: MeshHandle | None, *args: str, env: Mapping[str, str] | None = None) -> Result:
    """Run the CLI in-process with the mesh's addresses (plus `env`)."""
    base = {k: mesh.env[k] for k in ADDRESS_KEYS} if mesh else {}
    runner = CliRunner()
    return runner.invoke(app, list(args), env={"COLUMNS": "200", **base, **(env or {})})


def small_sample(folder: Path) -> tuple[Path, Path]:
    """Six essays of clearly different quality and four anchors, copied from samples/."""
    essays, anchors = folder / "essays", folder / "anchors"
    essays.mkdir(parents=True)
    anchors.mkdir()
    for name in SUBSET_ESSAYS:
        shutil.copy(SAMPLES / "essays" / name, essays / name)
    rows = ["file,grade"]
    for grade in SUBSET_ANCHORS:
        shutil.copy(SAMPLES / "anchors" / f"{grade}_anchor.txt", anchors / f"{grade}_anchor.txt")
        rows.append(f"anchors/{grade}_anchor.txt,{grade}")
    (folder / "anchors.csv").write_text("\n".join(rows) + "\n")
    return essays, folder / "anchors.csv"


def batch_id_in(text: str) -> str:
    found = BATCH_ID.search(text)
    assert found, f"no batch id in output:\n{text}"
    return found.group(1)


def one_line_error(result: Result) -> str:
    """The error a failed command printed: exactly one line, no traceback."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    assert lines[0].startswith("error: ")
    return lines[0]
