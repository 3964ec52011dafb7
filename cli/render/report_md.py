"""report.md: what a teacher or researcher pastes into their own write-up."""

from __future__ import annotations

from cli.flows.collect import RunData
from cli.flows.watch import outcome_text
from cli.render.alignment import AnchorAlignment, anchor_alignment, misfits, surprises
from cli.render.table import (
    INFIT_HIGH,
    SIMULATED,
    essay_label,
    infit_flag,
    is_simulated,
    partial_line,
    summary_lines,
)


def scale_order(data: RunData) -> list[str]:
    """Grades lowest first: from the boundaries when calibrated, else from the scale's data."""
    cal = data.results.calibration
    if cal.boundaries:
        return [cal.boundaries[0].lower_grade] + [b.upper_grade for b in cal.boundaries]
    from cj_service.domain.grade_scales import UnknownGradeScale, get_scale

    scale_id = cal.grade_scale_id or data.assessment.grade_scale_id
    try:
        return list(get_scale(scale_id).labels) if scale_id else []
    except UnknownGradeScale:
        return []


def report(data: RunData, *, charts: list[str]) -> str:
    res = data.results
    essays = list(res.essays)
    alignment = anchor_alignment(essays, scale_order(data))
    lines = [f"# Comparative judgement report: batch {data.batch_id}", ""]
    lines += _simulated(data.assessment)
    lines += [f"Outcome: {outcome_text(data.assessment)}", ""]
    banner = partial_line(res)
    lines += [f"**{banner}**", ""] if banner else []
    lines += _warnings(data.assessment)
    lines += [f"- {line}" for line in summary_lines(res)] + [""]
    lines += [f"![{c.rsplit('.', 1)[0]}]({c})" for c in charts] + [""]
    lines += _ranking(essays) + _uncertainty(essays) + _anchors(alignment, res)
    lines += _disagreements(data)
    if data.notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in data.notes] + [""]
    return "\n".join(lines)


def _simulated(assessment) -> list[str]:  # type: ignore[no-untyped-def]
    """Before anything else: a simulated judge's ranking says nothing about the essays."""
    if not is_simulated(assessment):
        return []
    return [f"**{SIMULATED}**: its verdicts come from a simulation (a noisy judge of a made-up "
            "or supplied quality), not from reading the essays; use this report to check the "
            "mesh, never to grade.", ""]


def _warnings(assessment) -> list[str]:  # type: ignore[no-untyped-def]
    """The service's warnings about the judge, before anything else is read."""
    if not assessment.warnings:
        return []
    return ["## Warnings", ""] + [f"- **WARNING:** {w}" for w in assessment.warnings] + [""]


def _ranking(essays) -> list[str]:  # type: ignore[no-untyped-def]
    rows = ["## Ranking", "", "| rank | essay | score ± SE | 95% CI | grade | P(grade) | infit |",
            "|---:|---|---:|---:|:---:|---:|---:|"]
    for e in essays:
        rows.append(f"| {e.rank} | {essay_label(e)} | {e.score:+.2f} ± {e.se:.2f} | "
                    f"[{e.ci_low:+.2f}, {e.ci_high:+.2f}] | {e.grade or '-'} | "
                    f"{e.grade_confidence:.2f} | {e.infit:.2f} {infit_flag(e)} |")
    failed = [e for e in essays if e.comparison_count == 0 and e.failed_calls]
    if failed:
        rows += ["", "Texts the judge could not compare (every call on their pairs failed, e.g. "
                 "too long for the model; their score is the prior's and their rank means "
                 "nothing): " + ", ".join(f"{essay_label(e)} ({e.failed_calls} failed calls)"
                                          for e in failed)]
    return rows + [""]


def _uncertainty(essays) -> list[str]:  # type: ignore[no-untyped-def]
    """Say so when the reported 95% intervals and ±1.96·SE disagree (they should roughly match)."""
    ratios = sorted((e.ci_high - e.ci_low) / (2 * 1.96 * e.se) for e in essays if e.se > 0)
    if not ratios:
        return []
    median = ratios[len(ratios) // 2]
    if 0.5 <= median <= 2.0:
        return []
    return ["## Uncertainty check", "",
            f"The reported 95% intervals are {median:.2f}× the width of ±1.96·SE (median over "
            "essays); the two uncertainty figures disagree, so read grade confidence with care.",
            ""]


def _anchors(al: AnchorAlignment, res) -> list[str]:  # type: ignore[no-untyped-def]
    out = ["## Anchor alignment", ""]
    if not al.anchors:
        return out + ["No anchors in this batch: grades cannot be projected.", ""]
    tau = "n/a (fewer than two distinct grades)" if al.tau is None else f"{al.tau:+.3f}"
    out += [f"- Kendall τ between anchor grade order and fitted score order: **{tau}** "
            "(1 = anchors in exactly the expected order)",
            f"- Inverted anchor pairs (higher grade scored below lower grade): "
            f"**{len(al.inverted_pairs)}**"]
    out += [f"  - {hi.display_name} ({hi.anchor_grade}, {hi.score:+.2f}) below "
            f"{lo.display_name} ({lo.anchor_grade}, {lo.score:+.2f})"
            for hi, lo in al.inverted_pairs]
    out.append(f"- Anchors that never won a comparison: **{len(al.zero_win)}**"
               + "".join(f"\n  - {e.display_name} ({e.anchor_grade}, {e.comparison_count} "
                         "comparisons)" for e in al.zero_win))
    out += [f"- Service-reported inversion: {i.essay_id} ({i.grade}) at {i.score:+.2f}, "
            f"expected [{i.expected_low:+.2f}, {i.expected_high:+.2f}]: {i.evidence}"
            for i in res.calibration.inversions]
    return out + [""]


def _disagreements(data: RunData) -> list[str]:
    essays = list(data.results.essays)
    names = {e.essay_id: e.display_name or e.essay_id for e in essays}
    out = ["## Largest judge–model disagreements", "",
           f"Essays whose verdicts the model fits worst (infit > {INFIT_HIGH}):", ""]
    bad = misfits(essays)
    out += [f"- {essay_label(e)}: infit {e.infit:.2f}, outfit {e.outfit:.2f}, "
            f"{e.wins}/{e.comparison_count} wins" for e in bad] or ["- none"]
    out += ["", "Verdicts the final model found least likely:", "",
            "| winner (judge) | loser | model P(verdict) | confidence | justification |",
            "|---|---|---:|:---:|---|"]
    for s in surprises(essays, data.comparisons, position_bias=data.results.fit.position_bias):
        why = s.comparison.justification.replace("|", "/").replace("\n", " ")[:140]
        out.append(f"| {names[s.winner]} | {names[s.loser]} | {s.p_observed:.3f} | "
                   f"{s.comparison.confidence or '-'} | {why} |")
    return out + [""]
