"""`huleedu results BATCH` and `huleedu report BATCH`."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cli import rpc
from cli.artefact.build import build
from cli.artefact.write import tool_version, write_run
from cli.commands.common import addresses, guarded, out
from cli.commands.finish import show
from cli.flows import collect
from cli.render.csvfile import results_csv
from cli.settings import Addresses

RUNS = Path("runs")


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _collect(mesh: Addresses, batch: str) -> collect.RunData:
    with rpc.cj(mesh) as cj, rpc.content(mesh) as content:
        return collect.collect(cj, content, batch)


@guarded
def results(
    ctx: typer.Context,
    batch: Annotated[str, typer.Argument(help="batch id")],
    fmt: Annotated[Format, typer.Option("--format", help="table, csv or json")] = Format.table,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="write the run folder (CSV + artefact) here")] = None,
) -> None:
    """Show a batch's ranking; with --out, write its run folder."""
    data = _collect(addresses(ctx), batch)
    console = out()
    if fmt is Format.table:
        show(console, data.results)
    elif fmt is Format.csv:
        typer.echo(results_csv(data.results), nl=False)
    else:
        typer.echo(json.dumps(build(data, manifest=[], tool_version=tool_version()), indent=2))
    if out_dir is not None:
        folder = write_run(data, out_dir, with_report=False)
        typer.echo(f"run folder: {folder}", err=fmt is not Format.table)


@guarded
def report(
    ctx: typer.Context,
    batch: Annotated[str, typer.Argument(help="batch id")],
    out_dir: Annotated[Path, typer.Option("--out", help="parent of the run folder")] = RUNS,
) -> None:
    """Write charts (PNG) and report.md, with the CSV and artefact, into the batch's run folder."""
    data = _collect(addresses(ctx), batch)
    folder = write_run(data, out_dir, with_report=True)
    for path in sorted(folder.iterdir()):
        typer.echo(f"  {path.name}")
    typer.echo(str(folder))
