"""Anchor essays of known grade: an anchors.csv (file, grade) or a folder with grades in names.

Grades are checked against the grade scale before anything is sent, so a typo in a grade is
a one-line message naming the file and the scale's grades, not a failed batch.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from cj_service.domain.grade_scales import GradeScale, UnknownGradeScale, get_scale, list_scales
from cli.errors import bad_input
from cli.io.extract import SUPPORTED
from cli.io.inventory import InputFile, essay_files, read_input


def scale_named(scale_id: str) -> GradeScale:
    try:
        return get_scale(scale_id)
    except UnknownGradeScale as exc:
        raise bad_input(str(exc)) from None


def read_anchors(source: Path, *, scale_id: str | None) -> tuple[tuple[InputFile, ...], str]:
    """The anchors and the scale they are on (given, or the first scale holding every grade)."""
    if not source.exists():
        raise bad_input(f"--anchors {source}: no such file or folder")
    pairs = _csv_rows(source) if source.is_file() else _folder_rows(source, scale_id)
    if not pairs:
        raise bad_input(f"--anchors {source}: no anchors listed")
    scale = scale_named(scale_id) if scale_id else _infer_scale([g for _, g, _ in pairs], source)
    for _path, grade, where in pairs:
        if grade not in scale.labels:
            raise bad_input(f"{where}: grade {grade!r} is not on scale {scale.id} "
                            f"({', '.join(scale.labels)})")
    anchors = tuple(read_input(p, essay_id=f"anchor/{p.name}", anchor_grade=g) for p, g, _ in pairs)
    return anchors, scale.id


def _csv_rows(path: Path) -> list[tuple[Path, str, str]]:
    if path.suffix.lower() != ".csv":
        raise bad_input(f"--anchors {path}: give a .csv (file,grade) or a folder of anchor essays")
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    if rows and [c.strip().lower() for c in rows[0][:2]] == ["file", "grade"]:
        rows = rows[1:]
    out = []
    for number, row in enumerate(rows, start=2):
        if not row or not "".join(row).strip():
            continue
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            raise bad_input(f"{path} line {number}: expected `file,grade`, got {','.join(row)!r}")
        file = (path.parent / row[0].strip()).resolve()
        if not file.is_file():
            raise bad_input(f"{path} line {number}: anchor file {row[0].strip()} does not exist")
        out.append((file, row[1].strip(), f"{path} line {number}"))
    return out


def _folder_rows(folder: Path, scale_id: str | None) -> list[tuple[Path, str, str]]:
    scales = [scale_named(scale_id)] if scale_id else list(list_scales())
    out = []
    for file in essay_files(folder):
        grade = _grade_in_name(file, scales)
        if grade is None:
            raise bad_input(f"{file}: no grade in the file name (e.g. `C+_anchor.txt`, "
                            f"`anchor_B.pdf`); supported files: {', '.join(SUPPORTED)}")
        out.append((file, grade, str(file)))
    return out


def _grade_in_name(path: Path, scales: list[GradeScale]) -> str | None:
    """The first or last token of the file stem that is a grade on one of `scales`."""
    tokens = [t for t in re.split(r"[_\s]+", path.stem) if t]
    labels = {g for s in scales for g in s.labels}
    for token in (tokens[:1] + tokens[-1:]) if tokens else []:
        if token in labels:
            return token
        if token.lower().startswith("grade") and token[5:].lstrip("-") in labels:
            return token[5:].lstrip("-")
    return None


def _infer_scale(grades: list[str], source: Path) -> GradeScale:
    for scale in list_scales():
        if all(g in scale.labels for g in grades):
            return scale
    raise bad_input(f"--anchors {source}: no grade scale has all of {sorted(set(grades))}; "
                    f"known scales: {', '.join(s.id for s in list_scales())}")
