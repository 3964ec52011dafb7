"""Write a batch's run folder: results CSV, optional report, then the validated artefact."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from cli.artefact.build import build
from cli.artefact.runfolder import RESULTS_CSV, manifest, run_folder, write_artefact, write_atomic
from cli.flows.collect import RunData
from cli.render.csvfile import results_csv

CHARTS = ("essays_on_scale.png", "reliability.png", "position_bias.png")
REPORT_MD = "report.md"


def tool_version() -> str:
    try:
        return metadata.version("huleedu-cj-mesh")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def write_report(folder: Path, data: RunData) -> list[Path]:
    from cli.render import charts
    from cli.render.report_md import report

    scale, reliability, bias = (folder / name for name in CHARTS)
    written = [
        charts.scale_chart(data.results, scale),
        charts.reliability_chart(data.results, reliability),
        charts.position_bias_chart(data.results, data.comparisons, bias),
    ]
    text = report(data, charts=list(CHARTS))
    written.append(write_atomic(folder / REPORT_MD, text.encode("utf-8")))
    return written


def write_run(data: RunData, out: Path, *, with_report: bool) -> Path:
    """The run folder of `data`'s batch under `out`, with the artefact written last."""
    folder = run_folder(out, data.assessment)
    write_atomic(folder / RESULTS_CSV, results_csv(data.results).encode("utf-8"))
    if with_report:
        write_report(folder, data)
    artefact = build(data, manifest=manifest(folder), tool_version=tool_version())
    write_artefact(folder, artefact)
    return folder
