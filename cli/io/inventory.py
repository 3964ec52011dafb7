"""The inventory of one assessment: essays, anchors and context, each with its checksum."""

from __future__ import annotations

import hashlib
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path

from cli.errors import bad_input
from cli.io.extract import SUPPORTED, extract_text


@dataclass(frozen=True)
class InputFile:
    """One essay or anchor as it will be uploaded (UTF-8 text; its sha256 is its content id)."""

    essay_id: str
    display_name: str
    source: str  # path as the user gave it, for the artefact
    source_sha256: str  # of the original file bytes (pdf/docx included)
    text: str
    anchor_grade: str = ""

    @property
    def data(self) -> bytes:
        return self.text.encode("utf-8")

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class ContextFile:
    """Instructions, student prompt or rubric text read from a file."""

    kind: str
    source: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Inventory:
    essays: tuple[InputFile, ...]
    anchors: tuple[InputFile, ...] = ()
    grade_scale_id: str = ""
    context: dict[str, ContextFile] = field(default_factory=dict)

    @property
    def all_inputs(self) -> tuple[InputFile, ...]:
        return self.essays + self.anchors


def read_input(path: Path, *, essay_id: str, anchor_grade: str = "") -> InputFile:
    text = extract_text(path)
    return InputFile(
        essay_id=essay_id, display_name=path.name, source=str(path),
        source_sha256=hashlib.sha256(path.read_bytes()).hexdigest(), text=text,
        anchor_grade=anchor_grade,
    )


def essay_files(directory: Path, *, exclude: AbstractSet[Path] = frozenset()) -> list[Path]:
    """Supported files directly in `directory`, sorted; CliError when there are none."""
    if not directory.exists():
        raise bad_input(f"{directory}: no such directory")
    if not directory.is_dir():
        raise bad_input(f"{directory}: not a directory (give the folder that holds the essays)")
    files = sorted(
        p for p in directory.iterdir()
        if p.is_file() and p.suffix.lower() in SUPPORTED and p.resolve() not in exclude
    )
    if not files:
        raise bad_input(f"{directory}: no essays found ({', '.join(SUPPORTED)})")
    return files


def read_essays(
    directory: Path, *, exclude: AbstractSet[Path] = frozenset()
) -> tuple[InputFile, ...]:
    files = essay_files(directory, exclude=exclude)
    return tuple(read_input(p, essay_id=p.name) for p in files)


def read_context(kind: str, path: Path | None) -> ContextFile | None:
    if path is None:
        return None
    if not path.is_file():
        raise bad_input(f"--{kind} {path}: no such file")
    return ContextFile(kind=kind, source=str(path), text=extract_text(path))
