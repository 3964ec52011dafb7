"""Read everything `assess` was pointed at into an Inventory, checking it before any call."""

from __future__ import annotations

from pathlib import Path

from cli.errors import bad_input
from cli.io.anchors import read_anchors, scale_named
from cli.io.inventory import InputFile, Inventory, read_context, read_essays


def build_inventory(
    directory: Path, *, anchors: Path | None, scale: str | None, instructions: Path | None,
    prompt: Path | None, rubric: Path | None,
) -> Inventory:
    anchor_files: tuple[InputFile, ...] = ()
    scale_id = scale or ""
    if anchors is not None:
        anchor_files, scale_id = read_anchors(anchors, scale_id=scale)
    elif scale:
        scale_named(scale)  # an unknown scale is reported now, not after the upload
    exclude = {Path(a.source).resolve() for a in anchor_files}
    essays = read_essays(directory, exclude=exclude)
    if len(essays) + len(anchor_files) < 2:
        raise bad_input(f"{directory}: one essay is not enough to compare; add more")
    context = {
        kind: c for kind, path in [("instructions", instructions), ("prompt", prompt),
                                   ("rubric", rubric)]
        if (c := read_context(kind, path)) is not None
    }
    return Inventory(essays=essays, anchors=anchor_files, grade_scale_id=scale_id,
                     context=context)
