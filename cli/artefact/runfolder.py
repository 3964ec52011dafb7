"""One folder per batch, named by its id: files of different runs never overwrite each other.

The manifest lists every file in the folder except the artefact itself, so it describes
exactly this batch's files (the folder holds nothing else) as they are on disk.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import jsonschema

from cli.errors import CliError
from contracts.huleedu.cj.v1 import cj_pb2

ARTEFACT = "artefact.json"
RESULTS_CSV = "results.csv"
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "artefact.schema.json"


def folder_name(assessment: cj_pb2.Assessment) -> str:
    created = assessment.created_at
    stamp = created.ToDatetime().strftime("%Y%m%d-%H%M%S") if created.seconds else "undated"
    return f"cj-run-{stamp}-{assessment.assessment_id}"


def run_folder(out: Path, assessment: cj_pb2.Assessment) -> Path:
    folder = out / folder_name(assessment)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"--out {out}: cannot create {folder.name} ({exc.strerror})") from None
    return folder


def write_atomic(path: Path, data: bytes) -> Path:
    """Write via a temporary file and rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest(folder: Path) -> list[dict[str, Any]]:
    files = sorted(p for p in folder.rglob("*")
                   if p.is_file() and p.name != ARTEFACT and not p.name.startswith("."))
    return [{"path": p.relative_to(folder).as_posix(), "sha256": sha256_file(p),
             "bytes": p.stat().st_size} for p in files]


def load_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text())


def validate(artefact: dict[str, Any]) -> None:
    """Raise CliError naming the first violation; an invalid artefact is never written."""
    validator = jsonschema.Draft202012Validator(
        load_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    error = next(iter(sorted(validator.iter_errors(artefact), key=lambda e: list(e.path))), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        raise CliError(f"artefact does not match {SCHEMA_PATH.name} at {where}: {error.message}")


def write_artefact(folder: Path, artefact: dict[str, Any]) -> Path:
    validate(artefact)
    text = json.dumps(artefact, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
    return write_atomic(folder / ARTEFACT, text.encode("utf-8"))
