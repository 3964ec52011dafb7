"""Generate contracts/huleedu/** from proto/ (python, grpc, mypy stubs).

`--check` regenerates into a temporary directory and fails on any difference, so the
committed generated code is provably reproducible from the .proto sources.
"""

from __future__ import annotations

import argparse
import difflib
import filecmp
import re
import shutil
import sys
import tempfile
from pathlib import Path

import grpc_tools
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"
PACKAGE = "contracts"
GENERATED = ROOT / PACKAGE / "huleedu"
BIN = Path(sys.executable).parent
# Imports like `from huleedu.x.v1 import y_pb2` must resolve inside the contracts package.
IMPORT_LINE = re.compile(r"^(from|import) huleedu\.", re.MULTILINE)
# In stubs only: fully qualified module references in annotations.
STUB_REF = re.compile(r"(?<![\w./])huleedu\.(?=\w+\.v1\.)")


def proto_files() -> list[str]:
    return sorted(str(p.relative_to(PROTO_DIR)) for p in PROTO_DIR.rglob("*.proto"))


def run_protoc(out: Path) -> None:
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_DIR}",
        f"-I{well_known}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        f"--plugin=protoc-gen-mypy={BIN / 'protoc-gen-mypy'}",
        f"--plugin=protoc-gen-mypy_grpc={BIN / 'protoc-gen-mypy_grpc'}",
        f"--mypy_out={out}",
        f"--mypy_grpc_out={out}",
        *proto_files(),
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")


def rewrite(path: Path) -> None:
    text = IMPORT_LINE.sub(lambda m: f"{m.group(1)} {PACKAGE}.huleedu.", path.read_text())
    if path.suffix == ".pyi":
        text = STUB_REF.sub(f"{PACKAGE}.huleedu.", text)
    path.write_text(text)


def generate(target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run_protoc(Path(tmp))
        produced = Path(tmp) / "huleedu"
        for path in produced.rglob("*.py*"):
            rewrite(path)
        for folder in [produced, *(p for p in produced.rglob("*") if p.is_dir())]:
            (folder / "__init__.py").touch()
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(produced, target)


def differences(expected: Path, actual: Path) -> list[str]:
    exp = {p.relative_to(expected) for p in expected.rglob("*") if p.is_file()}
    act = {
        p.relative_to(actual)
        for p in actual.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    problems = [f"missing: {p}" for p in sorted(exp - act)]
    problems += [f"unexpected: {p}" for p in sorted(act - exp)]
    for rel in sorted(exp & act):
        if not filecmp.cmp(expected / rel, actual / rel, shallow=False):
            diff = difflib.unified_diff(
                (actual / rel).read_text().splitlines(),
                (expected / rel).read_text().splitlines(),
                str(rel),
                str(rel),
                lineterm="",
                n=1,
            )
            problems.append("\n".join(list(diff)[:40]))
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if generated code is stale")
    args = parser.parse_args()
    if not args.check:
        generate(GENERATED)
        print(f"generated {len(proto_files())} protos into {GENERATED.relative_to(ROOT)}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "huleedu"
        generate(fresh)
        problems = differences(fresh, GENERATED)
    for problem in problems:
        print(problem)
    print("proto-check: " + ("STALE, run `make proto`" if problems else "up to date"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
