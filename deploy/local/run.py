"""``make run``: bring the mesh up, run an assessment against it, stop what was started.

The CLI author (issue 8) extends ``run_assessment`` below; everything around it (infra,
services, cleanup on exit or Ctrl-C) is already handled here.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping
from pathlib import Path
from types import FrameType

from deploy.local import mesh as mesh_mod
from deploy.local.report import describe


def run_assessment(mesh: mesh_mod.Mesh, *, judge: str | None) -> Path | None:
    """Run one assessment against ``mesh``; return the run folder (its path is printed last).

    >>> EXTENSION POINT (issue 8): call `huleedu assess` on the bundled sample set here,
    using ``mesh.env`` (CONTENT_ADDR, LLM_PROVIDER_ADDR, CJ_ADDR, NATS_URL) to find the mesh.
    """
    if mesh.skipped:
        print(f"not all services exist yet ({', '.join(mesh.skipped)}); nothing to assess")
        return None

    from cli.runner import assess_samples  # the CLI's own flow: same output as `huleedu assess`

    return assess_samples({**os.environ, **mesh.env}, judge=judge)


def main(
    run_dir: Path, *, replicas: Mapping[str, int], judge: str | None, own_infra: bool = False
) -> int:
    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt  # same cleanup path as Ctrl-C

    signal.signal(signal.SIGTERM, on_sigterm)
    mesh_mod.with_sample_truth(os.environ)  # the CLI's note and the services agree
    try:
        with mesh_mod.running(run_dir, replicas=replicas, own_infra=own_infra) as mesh:
            print("\n".join(describe(mesh)))
            folder = run_assessment(mesh, judge=judge)
    except KeyboardInterrupt:
        print("interrupted; mesh stopped")
        return 130
    if folder is not None:
        print(folder)
    return 0
