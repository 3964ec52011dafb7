"""Follow a batch to its end, print the ranking, and write the run folder when asked.

A batch that failed or was cancelled still shows (and writes) the results fitted on the
verdicts paid for, under a PARTIAL banner, and then exits with an error."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.text import Text

from cli import rpc
from cli.artefact.write import write_run
from cli.commands.common import err, out
from cli.commands.progress import live
from cli.errors import CliError
from cli.flows import collect, watch
from cli.flows.collect import RunData
from cli.render.table import (
    partial_line,
    results_table,
    summary_lines,
    table_title,
    warning_texts,
)
from cli.rpc import Client
from cli.settings import Addresses
from contracts.huleedu.cj.v1 import cj_pb2


def finish(
    mesh: Addresses, batch_id: str, *, out_dir: Path | None, with_report: bool
) -> Path | None:
    with rpc.cj(mesh) as cj:
        try:
            with live(err(), batch_id) as update:
                final = watch.follow(cj, batch_id, on_update=update)
        except KeyboardInterrupt:
            raise CliError(f"detached from batch {batch_id}; it keeps running. Re-attach with "
                           f"`huleedu assess --resume {batch_id}`", 130) from None
        err().print(f"batch {batch_id}: {watch.outcome_text(final)}", highlight=False)
        with rpc.content(mesh) as content:
            data = _partial_or_full(cj, content, final)
    folder = None
    if data is not None:
        show(out(), data.results)
        folder = write_run(data, out_dir, with_report=with_report) if out_dir else None
        if folder is not None:
            out().print(f"run folder: {folder}", highlight=False)
    if final.state != cj_pb2.ASSESSMENT_STATE_COMPLETED:
        raise CliError(f"batch {batch_id} {watch.outcome_text(final)}")
    return folder


def _partial_or_full(cj: Client, content: Client, final: cj_pb2.Assessment) -> RunData | None:
    """The batch's run data; None for a failed batch whose results cannot be read (an older
    service keeps none)."""
    try:
        return collect.collect(cj, content, final.assessment_id)
    except CliError:
        if final.state == cj_pb2.ASSESSMENT_STATE_COMPLETED:
            raise
        return None


def show(console: Console, results: cj_pb2.GetAssessmentResultsResponse) -> None:
    """Warnings and the PARTIAL banner first, then the ranked table and the summary."""
    for warning in warning_texts(results.assessment):
        console.print(warning)
    banner = partial_line(results)
    if banner:
        console.print(Text(banner, style="bold red"))
    console.print(results_table(results, title=table_title(results)))
    for line in summary_lines(results):
        console.print(line, highlight=False)
    if banner:
        console.print(Text(banner, style="bold red"))
