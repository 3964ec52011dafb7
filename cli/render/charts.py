"""PNG charts a person can paste into a report (matplotlib, Agg backend, no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from cli.render.alignment import a_win_counts, wilson  # noqa: E402
from cli.render.table import INFIT_HIGH, has_se  # noqa: E402
from contracts.huleedu.cj.v1 import cj_pb2  # noqa: E402
from contracts.huleedu.llm.v1 import llm_pb2  # noqa: E402

STUDENT, ANCHOR, MISFIT = "#1f5fa8", "#d9731a", "#b8202f"
DPI = 130


def _save(fig: Figure, path: Path) -> Path:
    fig.savefig(path, dpi=DPI, bbox_inches="tight", facecolor="white")
    plt.close(fig)
    return path


def scale_chart(res: cj_pb2.GetAssessmentResultsResponse, path: Path) -> Path:
    """Every essay on the BT scale with its 95% interval; grade bands from the calibration."""
    essays = sorted(res.essays, key=lambda e: e.score)
    fig, ax = plt.subplots(figsize=(9.5, 1.6 + 0.27 * len(essays)))
    for y, e in enumerate(essays):
        colour = ANCHOR if e.is_anchor else (MISFIT if e.infit > INFIT_HIGH else STUDENT)
        # a bootstrap percentile interval need not contain the MAP score, so draw it as a
        # segment rather than as error bars around the score
        ax.hlines(y, min(e.ci_low, e.ci_high), max(e.ci_low, e.ci_high), color=colour,
                  linewidth=1.2)
        ax.plot(e.score, y, "D" if e.is_anchor else "o", color=colour, markersize=5)
    ax.set_yticks(range(len(essays)), [_tick(e) for e in essays], fontsize=8)
    _grade_bands(ax, res.calibration, essays)
    ax.set_xlabel("Bradley-Terry score (logits, centred); bars = 95% interval")
    ax.set_ylim(-0.8, len(essays) - 0.2)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(_scale_title(res), fontsize=10, loc="left", pad=12)
    return _save(fig, path)


def _tick(e: cj_pb2.EssayResult) -> str:
    name = (e.display_name or e.essay_id).rsplit(".", 1)[0][:28]
    if e.is_anchor:
        return f"ANCHOR {e.anchor_grade}: {name}"
    return f"{name}  → {e.grade}" if e.grade else name


def _grade_bands(ax, cal: cj_pb2.GradeCalibration, essays: list[cj_pb2.EssayResult]) -> None:  # type: ignore[no-untyped-def]
    """Alternate shading per grade band; grade names on a top axis so they never hit a point."""
    if not cal.available or not cal.boundaries:
        return
    lo = min(min(e.ci_low for e in essays), cal.boundaries[0].threshold) - 0.3
    hi = max(max(e.ci_high for e in essays), cal.boundaries[-1].threshold) + 0.3
    edges = [lo] + [b.threshold for b in cal.boundaries] + [hi]
    labels = [cal.boundaries[0].lower_grade] + [b.upper_grade for b in cal.boundaries]
    for i in range(len(labels)):
        ax.axvspan(edges[i], edges[i + 1], color="0.92" if i % 2 else "white", zorder=0)
    for b in cal.boundaries:
        ax.axvline(b.threshold, color="0.45", linestyle="--", linewidth=0.8)
    ax.set_xlim(lo, hi)
    top = ax.secondary_xaxis("top")
    centres = [(edges[i] + edges[i + 1]) / 2 for i in range(len(labels))]
    top.set_xticks(centres, labels, fontsize=9, fontweight="bold")
    top.tick_params(length=0)
    top.set_xlabel("projected grade band", fontsize=8)


def _scale_title(res: cj_pb2.GetAssessmentResultsResponse) -> str:
    cal = res.calibration
    grades = f"grade bands: {cal.grade_scale_id}" if cal.available else "no grade projection"
    return (f"Essays on the scale: {len(res.essays)} essays, {res.fit.comparisons} comparisons, "
            f"{grades}\nblue = student, orange diamond = anchor, red = high infit "
            f"(> {INFIT_HIGH})")


def reliability_chart(res: cj_pb2.GetAssessmentResultsResponse, path: Path) -> Path:
    history = sorted(res.history, key=lambda h: h.comparisons)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    xs = [h.comparisons for h in history]
    ax.plot(xs, [h.reliability for h in history], marker="o", markersize=3, color=STUDENT,
            label="honest reliability (stopping rule)")
    _se_band(ax, history)
    ax.plot(xs, [h.ssr for h in history], linestyle="--", color="0.5",
            label="SSR (inflated by adaptive pairing)")
    target = res.assessment.progress.target_reliability
    if target > 0:
        ax.axhline(target, color=ANCHOR, linestyle=":", label=f"target {target:.2f}")
    if not history:
        ax.text(0.5, 0.5, "no fit history reported", ha="center", transform=ax.transAxes)
    ax.set_xlabel("comparisons judged")
    ax.set_ylabel("reliability")
    ax.set_ylim(min([0.0] + [h.reliability for h in history]) - 0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=9)
    ax.set_title(f"Reliability as comparisons accumulate (final {res.fit.reliability:.3f})",
                 fontsize=10, loc="left")
    return _save(fig, path)


def _se_band(ax, history) -> None:  # type: ignore[no-untyped-def]
    """± one standard error around the honest figure, where the service reported one."""
    shown = [h for h in history if has_se(h.reliability_se)]
    if shown:
        ax.fill_between([h.comparisons for h in shown],
                        [h.reliability - h.reliability_se for h in shown],
                        [min(h.reliability + h.reliability_se, 1.0) for h in shown],
                        color=STUDENT, alpha=0.15, label="± 1 standard error")


def position_bias_chart(
    res: cj_pb2.GetAssessmentResultsResponse, comparisons: list[cj_pb2.ComparisonRecord],
    path: Path,
) -> Path:
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2), width_ratios=[1, 1.6])
    counts = a_win_counts(comparisons)
    names = sorted(counts)
    for i, name in enumerate(names):
        wins, n = counts[name]
        low, high = wilson(wins, n)
        share = wins / n if n else 0.5
        left.errorbar(i, share, yerr=[[share - low], [high - share]], fmt="o", color=STUDENT,
                      capsize=5)
        left.text(i, high + 0.02, f"{wins}/{n}", ha="center", fontsize=8)
    left.axhline(0.5, color="0.4", linestyle="--", linewidth=0.8)
    left.set_xticks(range(len(names)), [n.split("/", 1)[-1] for n in names], fontsize=8)
    left.set_xlim(-0.7, max(0.7, len(names) - 0.3))
    left.set_ylim(0, 1)
    left.set_ylabel("share of verdicts for the essay shown first (A)")
    left.set_title("A-wins per judge (95% Wilson)", fontsize=9)
    _running_share(right, comparisons)
    fit = res.fit
    fig.suptitle(f"Judge position bias: fitted β = {fit.position_bias:+.2f} ± "
                 f"{fit.position_bias_se:.2f} logits (0 = no bias)", fontsize=10, x=0.02,
                 ha="left")
    fig.tight_layout()
    return _save(fig, path)


def _running_share(ax, comparisons: list[cj_pb2.ComparisonRecord]) -> None:  # type: ignore[no-untyped-def]
    judged = [c for c in comparisons if c.status == cj_pb2.COMPARISON_STATUS_JUDGED]
    wins, shares = 0, []
    for i, c in enumerate(judged, start=1):
        wins += c.winner == llm_pb2.WINNER_ESSAY_A
        shares.append(wins / i)
    ax.plot(range(1, len(shares) + 1), shares, color=STUDENT)
    ax.axhline(0.5, color="0.4", linestyle="--", linewidth=0.8)
    ax.set_ylim(0, 1)
    ax.set_xlabel("comparisons judged (in order)")
    ax.set_ylabel("running share of A-wins")
    ax.set_title("A-win share over the batch", fontsize=9)
    ax.grid(alpha=0.3)
