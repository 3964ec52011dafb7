"""Follow a batch to its end, print the ranking, and write the run folder when asked."""

from __future__ import annotations

from pathlib import Path

from cli import rpc
from cli.artefact.write import write_run
from cli.commands.common import err, out
from cli.commands.progress import live
from cli.errors import CliError
from cli.flows import collect, watch
from cli.render.table import results_table, summary_lines
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
        if final.state != cj_pb2.ASSESSMENT_STATE_COMPLETED:
            raise CliError(f"batch {batch_id} {watch.outcome_text(final)}")
        with rpc.content(mesh) as content:
            data = collect.collect(cj, content, batch_id)
    console = out()
    console.print(results_table(data.results, title=f"Results of batch {batch_id}"))
    for line in summary_lines(data.results):
        console.print(line, highlight=False)
    if out_dir is None:
        return None
    folder = write_run(data, out_dir, with_report=with_report)
    console.print(f"run folder: {folder}", highlight=False)
    return folder
