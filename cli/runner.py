"""`make run`: assess the bundled samples against a running mesh, as `huleedu assess` would.

deploy/local/run.py calls `assess_samples` with the mesh's environment once the infrastructure
and the three services are up; the returned run folder is the last line `make run` prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cli.commands.assess import AssessRequest, run_assess
from cli.commands.common import err
from cli.errors import CliError
from cli.settings import Addresses

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
RUNS_VAR = "HULEEDU_RUNS_DIR"  # where run folders go (default: runs/ in the checkout)
BUDGET_VAR = "HULEEDU_RUN_BUDGET"  # comparisons (default: about ten per essay)
SIMULATED_JUDGE = "simulated/simulated-priced"  # free to run, but priced so costs show
TRUTH_VAR = "LLM_PROVIDER_SIMULATED_TRUTH_FILE"


def sample_request(
    *, judge: str | None, out: Path, samples: Path = SAMPLES, budget: int = 0,
    essays: Path | None = None,
) -> AssessRequest:
    return AssessRequest(
        directory=essays or samples / "essays", anchors=samples / "anchors.csv",
        instructions=samples / "instructions.txt", prompt=samples / "prompt.txt",
        rubric=samples / "rubric.txt", judge=judge or SIMULATED_JUDGE, budget=budget,
        out_dir=out, report=True,
    )


def assess_samples(
    env: Mapping[str, str], *, judge: str | None, out: Path | None = None, budget: int = 0,
    essays: Path | None = None,
) -> Path | None:
    """Run the sample assessment; print a one-line error and return None when it fails."""
    out = out or Path(env.get(RUNS_VAR) or ROOT / "runs")
    budget = budget or int(env.get(BUDGET_VAR) or 0)
    request = sample_request(judge=judge, out=out, budget=budget, essays=essays)
    if request.judge.startswith("simulated/") and not env.get(TRUTH_VAR):
        err().print(f"note: {TRUTH_VAR} is not set for llm_provider, so the simulated judge "
                    "ranks by a hash of each text, not by its quality (see samples/README.md)",
                    highlight=False)
    try:
        return run_assess(Addresses.resolve(env=env), request)
    except CliError as exc:
        if exc.exit_code == 130:  # Ctrl-C while following: let the launcher stop the mesh
            err().print(exc.message, highlight=False)
            raise KeyboardInterrupt from None
        err().print(f"error: {exc.message}", highlight=False)
        return None
