"""Results as CSV: one row per essay, one probability column per grade."""

from __future__ import annotations

import csv
import io

from contracts.huleedu.cj.v1 import cj_pb2

BASE_COLUMNS = [
    "rank", "essay_id", "display_name", "is_anchor", "anchor_grade", "score", "se", "ci_low",
    "ci_high", "comparisons", "wins", "infit", "outfit", "grade", "grade_confidence",
]


def grade_labels(results: cj_pb2.GetAssessmentResultsResponse) -> list[str]:
    """Grades in the order the service lists them (lowest first), over all essays."""
    seen: list[str] = []
    for essay in results.essays:
        for gp in essay.grade_probabilities:
            if gp.grade not in seen:
                seen.append(gp.grade)
    return seen


def results_csv(results: cj_pb2.GetAssessmentResultsResponse) -> str:
    grades = grade_labels(results)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(BASE_COLUMNS + [f"p_{g}" for g in grades])
    for e in results.essays:
        probs = {gp.grade: gp.probability for gp in e.grade_probabilities}
        writer.writerow([
            e.rank, e.essay_id, e.display_name, int(e.is_anchor), e.anchor_grade,
            f"{e.score:.6f}", f"{e.se:.6f}", f"{e.ci_low:.6f}", f"{e.ci_high:.6f}",
            e.comparison_count, e.wins, f"{e.infit:.4f}", f"{e.outfit:.4f}", e.grade,
            f"{e.grade_confidence:.4f}" if e.grade else "",
        ] + [f"{probs[g]:.4f}" if g in probs else "" for g in grades])
    return out.getvalue()
