"""`huleedu assess DIR`: upload, submit, follow with a progress bar, show the ranking."""

from __future__ import annotations

from dataclasses import dataclass
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
from cli.io.inventory import Inventory
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
    request = AssessRequest(
        directory=directory, anchors=anchors, assignment=assignment, instructions=instructions,
        prompt=prompt, rubric=rubric, judge=judge, budget=budget, scale=scale, label=label,
        seed=seed, resume=resume, out_dir=out_dir, report=report)
    if plan:
        show_plan(addresses(ctx), request)
    else:
        run_assess(addresses(ctx), request)


@dataclass(frozen=True)
class AssessRequest:
    """What `huleedu assess` was asked to do (also built by `make run`, see cli.runner)."""

    directory: Path | None
    anchors: Path | None = None
    assignment: str = ""
    instructions: Path | None = None
    prompt: Path | None = None
    rubric: Path | None = None
    judge: str = DEFAULT_JUDGE
    budget: int = 0
    scale: str | None = None
    label: str = ""
    seed: int = 0
    resume: str | None = None
    out_dir: Path | None = None
    report: bool = True


def _prepare(request: AssessRequest) -> tuple[Inventory, Ask]:
    if request.directory is None:
        raise bad_input("give the folder of essays (huleedu assess DIR) or --resume BATCH")
    inventory = build_inventory(
        request.directory, anchors=request.anchors, scale=request.scale,
        instructions=request.instructions, prompt=request.prompt, rubric=request.rubric)
    budget = request.budget or default_budget(len(inventory.all_inputs))
    ask = Ask(judge=parse_judge(request.judge), budget=budget,
              assignment_id=request.assignment, label=request.label, seed=request.seed)
    return inventory, ask


def show_plan(mesh: Addresses, request: AssessRequest) -> None:
    plan_view.show(mesh, *_prepare(request))


def run_assess(mesh: Addresses, request: AssessRequest) -> Path | None:
    """Submit (or re-attach), follow to the end, print the table; the run folder if written."""
    if request.resume:
        return finish(mesh, request.resume, out_dir=request.out_dir, with_report=request.report)
    inventory, ask = _prepare(request)
    check_judge(mesh, ask)
    stats = UploadStats()
    batch_id, duplicate = send(mesh, inventory, ask, stats=stats)
    again = " (same inputs as an earlier run: re-attached, nothing is paid twice)"
    err().print(f"uploaded {stats.uploaded} text(s), {stats.already_stored} already stored; "
                f"batch {batch_id}" + (again if duplicate else ""), highlight=False)
    return finish(mesh, batch_id, out_dir=request.out_dir, with_report=request.report)


def check_judge(mesh: Addresses, ask: Ask) -> None:
    """Fail before uploading anything when the judge is not in the manifest."""
    with rpc.llm(mesh) as llm:
        reply = llm.call("ListModels", llm_pb2.ListModelsRequest(include_deprecated=True))
    models = list(reply.models)
    if find_model(models, ask.judge) is None:
        raise CliError(unknown_model_message(models, ask.judge), EXIT_BAD_INPUT)
