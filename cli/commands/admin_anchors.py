"""`huleedu admin anchor register|list|delete`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.commands.common import guarded, out
from contracts.huleedu.cj.v1 import cj_admin_pb2
from contracts.ids import derived_id

anchor_app = typer.Typer(help="Anchor essays of known grade for an assignment.",
                         no_args_is_help=True)


@anchor_app.command("register")
@guarded
def register(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(help="the anchor essay")],
    assignment: Annotated[str, typer.Option()], grade: Annotated[str, typer.Option()],
    label: Annotated[str, typer.Option(help="unique per assignment (default: file name)")] = "",
) -> None:
    """Register (or update) an anchor essay of known grade."""
    from cli.commands.admin import client, digest, file_text, show

    text = file_text(file)
    label = label or file.name
    request = cj_admin_pb2.RegisterAnchorRequest(
        request_id=derived_id("huleedu-cli-anchor", assignment, label, grade, digest(text)),
        assignment_id=assignment, label=label, grade=grade, text=text)
    with client(ctx) as c:
        show(c.call("RegisterAnchor", request))


@anchor_app.command("list")
@guarded
def list_anchors(ctx: typer.Context, assignment: Annotated[str, typer.Option()]) -> None:
    """List an assignment's anchors with counts per grade."""
    from cli.commands.admin import client

    anchors, counts, token = [], [], ""
    with client(ctx) as c:
        while True:
            reply = c.call("ListAnchors", cj_admin_pb2.ListAnchorsRequest(
                assignment_id=assignment, page_size=1000, page_token=token))
            anchors += list(reply.anchors)
            counts = list(reply.counts_by_grade)
            token = reply.next_page_token
            if not token:
                break
    table = Table(title=f"Anchors of {assignment}", title_justify="left")
    for name in ("anchor id", "label", "grade", "scale", "content id"):
        table.add_column(name)
    for a in anchors:
        table.add_row(a.anchor_id, a.label, a.grade, a.grade_scale_id, a.content_id[:12])
    out().print(table)
    out().print("per grade: " + (", ".join(f"{c.grade}={c.count}" for c in counts) or "none"),
                highlight=False)


@anchor_app.command("delete")
@guarded
def delete(ctx: typer.Context, anchor_id: Annotated[str, typer.Argument()]) -> None:
    """Delete an anchor by id."""
    from cli.commands.admin import client, show

    with client(ctx) as c:
        show(c.call("DeleteAnchor", cj_admin_pb2.DeleteAnchorRequest(anchor_id=anchor_id)))
