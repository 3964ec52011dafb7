"""The results table: rank, essay, score ± SE, grade, probability, infit flag."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from cj_service.domain import judge_health, simulated_judge
from cli.flows.watch import outcome_text
from contracts.huleedu.cj.v1 import cj_pb2
from contracts.huleedu.common.v1 import common_pb2

INFIT_HIGH = 1.3  # mean-square above this: the judge disagreed with the model more than chance


def infit_flag(essay: cj_pb2.EssayResult) -> str:
    if essay.comparison_count == 0:
        return f"judge failed x{essay.failed_calls}" if essay.failed_calls else "unjudged"
    return "HIGH" if essay.infit > INFIT_HIGH else ""


def essay_label(essay: cj_pb2.EssayResult) -> str:
    name = essay.display_name or essay.essay_id
    return f"{name} [anchor {essay.anchor_grade}]" if essay.is_anchor else name


def results_table(results: cj_pb2.GetAssessmentResultsResponse, *, title: str = "") -> Table:
    table = Table(title=title or None, title_justify="left", header_style="bold")
    for name, justify in [("rank", "right"), ("essay", "left"), ("score ± SE", "right"),
                          ("grade", "center"), ("P(grade)", "right"), ("n", "right"),
                          ("wins", "right"), ("infit", "right"), ("flag", "left")]:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for e in results.essays:
        table.add_row(
            str(e.rank), Text(essay_label(e)), f"{e.score:+.2f} ± {e.se:.2f}", e.grade or "-",
            f"{e.grade_confidence:.2f}" if e.grade else "-", str(e.comparison_count),
            str(e.wins), f"{e.infit:.2f}", infit_flag(e),
            style="cyan" if e.is_anchor else None,
        )
    return table


SIMULATED = "SIMULATED judge — demonstrates the flow, not the essays' quality"


def is_simulated(assessment: cj_pb2.Assessment) -> bool:
    """The simulated judge ranked these essays (an older server only names the provider)."""
    return assessment.simulated_judge or simulated_judge.is_simulated(assessment.judge.provider)


def table_title(results: cj_pb2.GetAssessmentResultsResponse) -> str:
    """'Results of batch B', saying so when the simulated judge made the verdicts."""
    title = f"Results of batch {results.assessment.assessment_id}"
    return f"{title} ({SIMULATED})" if is_simulated(results.assessment) else title


def has_se(se: float) -> bool:
    """A standard error to show: older servers send 0, batches under 4 essays infinity."""
    return 0.0 < se < float("inf")


def plus_minus(se: float) -> str:
    """' ± 0.014' when there is a standard error to show, else nothing."""
    return f" ± {se:.3f}" if has_se(se) else ""


def estimates(usage: common_pb2.TokenUsage) -> str:
    """' (includes estimates)' when part of the tokens (and so the cost) is an estimate."""
    return " (includes estimates)" if usage.estimated else ""


def failed_attempts_text(progress: cj_pb2.AssessmentProgress) -> str:
    """'failed attempts: 12 timeout, 4 provider error, 3 unparseable' ('' when none)."""
    counts = judge_health.commonest(progress.failed_attempts, top=len(progress.failed_attempts))
    if not counts:
        return ""
    return "failed attempts: " + ", ".join(f"{n} {_KINDS.get(k, k.lower().replace('_', ' '))}"
                                           for k, n in counts)


_KINDS = {"INVALID_RESPONSE": "unparseable", "PROVIDER_ERROR": "provider error"}


def partial_line(results: cj_pb2.GetAssessmentResultsResponse) -> str:
    """The PARTIAL banner of a failed or cancelled batch's results ('' when complete)."""
    if not results.partial:
        return ""
    return (f"PARTIAL: the assessment {outcome_text(results.assessment)}: these results are "
            f"fitted on {results.fit.comparisons} verdicts and are not a finished assessment")


def warning_texts(assessment: cj_pb2.Assessment) -> list[Text]:
    """Each of the service's warnings about the judge, as a yellow 'WARNING:' line."""
    return [Text.assemble(("WARNING: ", "bold yellow"), w) for w in assessment.warnings]


def summary_lines(results: cj_pb2.GetAssessmentResultsResponse) -> list[str]:
    a, fit, cal = results.assessment, results.fit, results.calibration
    usage = a.progress.usage
    tokens_in = usage.prompt_tokens + usage.cache_read_tokens + usage.cache_write_tokens
    judges = ", ".join(results.judge_models) or f"{a.judge.provider}/{a.judge.model}"
    lines = [
        f"batch {a.assessment_id}: {a.progress.comparisons_done} comparisons "
        f"({a.progress.comparisons_failed} failed), reliability {fit.reliability:.3f}"
        f"{plus_minus(fit.reliability_se)} "
        f"(SSR {fit.ssr:.3f}), position bias {fit.position_bias:+.2f} "
        f"± {fit.position_bias_se:.2f}{_bias_ci(fit)}",
        f"cost ${a.progress.cost_usd:.4f}; tokens in {tokens_in}, out {usage.completion_tokens}"
        f"{estimates(usage)}; judge {judges}",
    ]
    lines += [t for t in (drift_text(fit),) if t]
    lines.append(failed_attempts_text(a.progress) or "failed attempts: none")
    lines += [t for t in (_dropped(a.progress),) if t]
    if cal.available:
        lines.append(f"grades on {cal.grade_scale_id} by {cal.method}; "
                     f"{len(cal.inversions)} anchor inversion(s)")
    elif cal.reason:
        lines.append(f"no grade projection: {cal.reason}")
    return lines


def _bias_ci(fit: cj_pb2.FitStatistics) -> str:
    """' (95% CI [-0.18, +0.56])' when the server sent the bias interval."""
    if fit.position_bias_ci_low == fit.position_bias_ci_high:
        return ""
    return f" (95% CI [{fit.position_bias_ci_low:+.2f}, {fit.position_bias_ci_high:+.2f}])"


def drift_text(fit: cj_pb2.FitStatistics) -> str:
    """The bias per quarter of the verdicts and its drift; DRIFT flagged when significant."""
    if not fit.bias_by_period:
        return ""
    quarters = ", ".join(f"{p.position_bias:+.2f} ± {p.position_bias_se:.2f}"
                         for p in fit.bias_by_period)
    shares = ", ".join(f"{p.a_share:.0%}" for p in fit.bias_by_period)
    text = f"position bias by quarter {quarters} (Essay A chosen {shares})"
    if not has_se(fit.bias_drift_se):
        return text + "; too few verdicts to test for drift"
    flag = ": DRIFT, the judge changed during the batch" if fit.bias_drift_flagged else ""
    return text + f"; drift {fit.bias_drift:+.2f} ± {fit.bias_drift_se:.2f}{flag}"


def _dropped(progress: cj_pb2.AssessmentProgress) -> str:
    n = progress.probability_a_dropped
    return f"P(A) dropped for contradicting the verdict: {n}" if n else ""
