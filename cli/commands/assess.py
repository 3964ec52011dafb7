"""`huleedu assess DIR`: upload, submit, follow with a progress bar, show the ranking."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli import rpc
from cli.commands import plan_view
from cli.commands.common import addresses, err, guarded
from cli.commands.finish import finish
from cli.errors import EXIT_BAD_INPUT, CliError, bad_input
from cli.flows.plan import default_budget, find_model, parse_judge, unknown_model_message
from cli.flows.prepare import build_inventory
from cli.flows.send import send
from cli.flows.submit import Ask
from cli.flows.upload import UploadStats
from cli.settings import Addresses
from contracts.huleedu.llm.v1 import llm_pb2

DEFAULT_JUDGE = "simulated/simulated-judge"
Opt = typer.Option


@guarded
def assess(
    ctx: typer.Context,
    directory: Annotated[Path | None, typer.Argument(
        help="folder of essays (.txt .md .docx .pdf)")] = None,
    anchors: Annotated[Path | None, Opt(
        help="anchors.csv (file,grade) or a folder with grades in file names")] = None,
    assignment: Annotated[str, Opt(help="assignment whose registered context applies")] = "",
    instructions: Annotated[Path | None, Opt(help="instructions for the judge (file)")] = None,
    prompt: Annotated[Path | None, Opt(help="the student prompt (file)")] = None,
    rubric: Annotated[Path | None, Opt(help="judge rubric (file)")] = None,
    judge: Annotated[str, Opt(envvar="HULEEDU_JUDGE", help="provider/model")] = DEFAULT_JUDGE,
    budget: Annotated[int, Opt(min=0, help="max comparisons (default: 5 per essay)")] = 0,
    scale: Annotated[str | None, Opt(help="grade scale id (default: from anchor grades)")] = None,
    label: Annotated[str, Opt(help="name a deliberate repeat of an identical run")] = "",
    seed: Annotated[int, Opt(min=0, help="pair-selection seed (0 = random)")] = 0,
    plan: Annotated[bool, Opt("--plan", help="show inventory, calls, cost; no submit")] = False,
    resume: Annotated[str | None, Opt(help="re-attach to a running batch by id")] = None,
    out_dir: Annotated[Path | None, Opt("--out", help="write the run folder here")] = None,
    report: Annotated[bool, Opt(help="with --out: also write charts and report.md")] = True,
) -> None:
    """Rank a folder of essays by comparative judgement and project grades from anchors."""
    mesh = addresses(ctx)
    if resume:
        finish(mesh, resume, out_dir=out_dir, with_report=report)
        return
    if directory is None:
        raise bad_input("give the folder of essays (huleedu assess DIR) or --resume BATCH")
    inventory = build_inventory(directory, anchors=anchors, scale=scale,
                                instructions=instructions, prompt=prompt, rubric=rubric)
    total = len(inventory.all_inputs)
    ask = Ask(judge=parse_judge(judge), budget=budget or default_budget(total),
              assignment_id=assignment, label=label, seed=seed)
    if plan:
        plan_view.show(mesh, inventory, ask)
        return
    check_judge(mesh, ask)
    stats = UploadStats()
    batch_id, duplicate = send(mesh, inventory, ask, stats=stats)
    again = " (same inputs as an earlier run: re-attached, nothing is paid twice)"
    err().print(f"uploaded {stats.uploaded} text(s), {stats.already_stored} already stored; "
                f"batch {batch_id}" + (again if duplicate else ""), highlight=False)
    finish(mesh, batch_id, out_dir=out_dir, with_report=report)


def check_judge(mesh: Addresses, ask: Ask) -> None:
    """Fail before uploading anything when the judge is not in the manifest."""
    with rpc.llm(mesh) as llm:
        reply = llm.call("ListModels", llm_pb2.ListModelsRequest(include_deprecated=True))
    models = list(reply.models)
    if find_model(models, ask.judge) is None:
        raise CliError(unknown_model_message(models, ask.judge), EXIT_BAD_INPUT)
