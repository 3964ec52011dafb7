"""`huleedu admin ...`: instructions, prompts, rubrics, anchors and scales (CJAdminService).

Every call sends `authorization: Bearer <token>` from --token or HULEEDU_ADMIN_TOKEN.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated

import typer
from google.protobuf import json_format
from rich.table import Table

from cli import rpc
from cli.commands.admin_anchors import anchor_app
from cli.commands.common import addresses, guarded, out
from cli.errors import bad_input
from cli.io.extract import extract_text
from contracts.huleedu.cj.v1 import cj_admin_pb2
from contracts.ids import derived_id

admin_app = typer.Typer(help="Manage judging context (needs an admin token).", no_args_is_help=True)
instructions_app = typer.Typer(help="Assessment instructions per assignment or course.",
                               no_args_is_help=True)
prompt_app = typer.Typer(help="An assignment's student prompt.", no_args_is_help=True)
rubric_app = typer.Typer(help="An assignment's judge rubric.", no_args_is_help=True)
admin_app.add_typer(instructions_app, name="instructions")
admin_app.add_typer(prompt_app, name="prompt")
admin_app.add_typer(rubric_app, name="rubric")
admin_app.add_typer(anchor_app, name="anchor")

ORIGINS = ["canonical_national", "research_experiment", "teacher_custom"]


Assignment = Annotated[str, typer.Option(help="assignment id")]
Course = Annotated[str, typer.Option(help="course id")]
File = Annotated[Path, typer.Argument(help="text file (.txt .md .docx .pdf)")]
TOKEN_HINT = "(on a development mesh: `export HULEEDU_ADMIN_TOKEN=$(huleedu token dev)`)"


@admin_app.callback()
def _token(ctx: typer.Context, token: Annotated[str, typer.Option(
        envvar="HULEEDU_ADMIN_TOKEN", help="admin JWT (default: $HULEEDU_ADMIN_TOKEN)")] = "",
) -> None:
    ctx.meta["admin_token"] = token


def client(ctx: typer.Context) -> rpc.Client:
    token = ctx.meta.get("admin_token", "")
    if not token:
        raise bad_input(f"admin commands need a token: pass --token or set HULEEDU_ADMIN_TOKEN "
                        f"{TOKEN_HINT}")
    return rpc.cj_admin(addresses(ctx), token=token)


def show(message) -> None:  # type: ignore[no-untyped-def]
    data = json_format.MessageToDict(message, preserving_proto_field_name=True)
    out().print_json(json.dumps(data))


def scope(assignment: str, course: str) -> cj_admin_pb2.InstructionScope:
    if bool(assignment) == bool(course):
        raise bad_input("give exactly one of --assignment or --course")
    return (cj_admin_pb2.InstructionScope(assignment_id=assignment) if assignment
            else cj_admin_pb2.InstructionScope(course_id=course))


def file_text(path: Path) -> str:
    if not path.is_file():
        raise bad_input(f"{path}: no such file")
    return extract_text(path)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@instructions_app.command("upsert")
@guarded
def instructions_upsert(
    ctx: typer.Context, file: File,
    scale: Annotated[str, typer.Option(help="grade scale id (immutable once set)")],
    assignment: Assignment = "", course: Course = "",
    origin: Annotated[str, typer.Option(help=" | ".join(ORIGINS))] = "research_experiment",
) -> None:
    """Create or update the instructions of an assignment or course."""
    if origin not in ORIGINS:
        raise bad_input(f"--origin {origin!r}: choose one of {', '.join(ORIGINS)}")
    text, sc = file_text(file), scope(assignment, course)
    request = cj_admin_pb2.UpsertAssessmentInstructionRequest(
        request_id=derived_id("huleedu-cli-instr", assignment, course, digest(text), scale, origin),
        scope=sc, instructions_text=text, grade_scale_id=scale,
        context_origin=cj_admin_pb2.ContextOrigin.Value(f"CONTEXT_ORIGIN_{origin.upper()}"))
    with client(ctx) as c:
        show(c.call("UpsertAssessmentInstruction", request))


@instructions_app.command("get")
@guarded
def instructions_get(ctx: typer.Context, assignment: Assignment = "", course: Course = "") -> None:
    """Show the instructions of an assignment or course."""
    request = cj_admin_pb2.GetAssessmentInstructionRequest(scope=scope(assignment, course))
    with client(ctx) as c:
        show(c.call("GetAssessmentInstruction", request).instruction)


@instructions_app.command("list")
@guarded
def instructions_list(
    ctx: typer.Context, scale: Annotated[str, typer.Option(help="only this scale")] = "",
    page_size: Annotated[int, typer.Option()] = 50, page_token: Annotated[str, typer.Option()] = "",
) -> None:
    """List instructions, one page at a time."""
    request = cj_admin_pb2.ListAssessmentInstructionsRequest(
        page_size=page_size, page_token=page_token, grade_scale_id=scale)
    with client(ctx) as c:
        reply = c.call("ListAssessmentInstructions", request)
    table = Table(title=f"Instructions ({reply.total_count} in all)", title_justify="left")
    for name in ("scope", "scale", "origin", "prompt", "rubric", "instructions"):
        table.add_column(name)
    for i in reply.instructions:
        kind = i.scope.WhichOneof("scope") or "?"
        table.add_row(f"{kind.split('_')[0]} {getattr(i.scope, kind, '')}", i.grade_scale_id,
                      cj_admin_pb2.ContextOrigin.Name(i.context_origin).removeprefix(
                          "CONTEXT_ORIGIN_").lower(),
                      "yes" if i.student_prompt_content_id else "-",
                      "yes" if i.judge_rubric_content_id else "-", i.instructions_text[:50])
    out().print(table)
    if reply.next_page_token:
        out().print(f"next page: --page-token {reply.next_page_token}", highlight=False)


@instructions_app.command("delete")
@guarded
def instructions_delete(ctx: typer.Context, assignment: Assignment = "", course: Course = "",
                        ) -> None:
    """Delete the instructions of an assignment or course."""
    request = cj_admin_pb2.DeleteAssessmentInstructionRequest(scope=scope(assignment, course))
    with client(ctx) as c:
        show(c.call("DeleteAssessmentInstruction", request))


def _upload(ctx: typer.Context, method: str, request_type, assignment: str, file: Path) -> None:  # type: ignore[no-untyped-def]
    text = file_text(file)
    request = request_type(request_id=derived_id(f"huleedu-cli-{method}", assignment, digest(text)),
                           assignment_id=assignment, text=text)
    with client(ctx) as c:
        show(c.call(method, request))


@prompt_app.command("upload")
@guarded
def prompt_upload(ctx: typer.Context, file: File, assignment: Assignment) -> None:
    """Store the student prompt of an assignment."""
    _upload(ctx, "UploadStudentPrompt", cj_admin_pb2.UploadStudentPromptRequest, assignment, file)


@prompt_app.command("get")
@guarded
def prompt_get(ctx: typer.Context, assignment: Assignment) -> None:
    """Print the student prompt of an assignment."""
    with client(ctx) as c:
        reply = c.call("GetStudentPrompt",
                       cj_admin_pb2.GetStudentPromptRequest(assignment_id=assignment))
    typer.echo(reply.text)


@rubric_app.command("upload")
@guarded
def rubric_upload(ctx: typer.Context, file: File, assignment: Assignment) -> None:
    """Store the judge rubric of an assignment."""
    _upload(ctx, "UploadJudgeRubric", cj_admin_pb2.UploadJudgeRubricRequest, assignment, file)


@rubric_app.command("get")
@guarded
def rubric_get(ctx: typer.Context, assignment: Assignment) -> None:
    """Print the judge rubric of an assignment."""
    with client(ctx) as c:
        reply = c.call("GetJudgeRubric",
                       cj_admin_pb2.GetJudgeRubricRequest(assignment_id=assignment))
    typer.echo(reply.text)


@admin_app.command("scales")
@guarded
def scales(ctx: typer.Context) -> None:
    """List the grade scales and their grades (lowest first)."""
    with client(ctx) as c:
        reply = c.call("ListGradeScales", cj_admin_pb2.ListGradeScalesRequest())
    table = Table(title="Grade scales", title_justify="left")
    for name in ("id", "name", "grades (lowest first)", "below lowest"):
        table.add_column(name)
    for s in reply.scales:
        table.add_row(s.id, s.display_name, " ".join(s.grades), s.below_lowest_grade or "-")
    out().print(table)
