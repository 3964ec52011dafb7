"""The final result of an assessment: ranks, scores with SE and CI, fit statistics, bias
drift and grades, from the verdicts paid for (pure; finish.py runs it off the event loop).

The cj.v1 message of it is built at the edges (adapters/result_messages.py), where it is
stored and published.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from cj_service.domain import drift, grade_scales, grading
from cj_service.domain.assessment import Fit
from cj_service.domain.reliability import split_half_se
from cj_service.service.workflow import statistics
from cj_service.service.workflow.records import Verdict

NO_VERDICTS = "no verdicts to fit"
NO_SCALE = "no grade scale (no assignment or grade_scale_id)"


@dataclass(frozen=True)
class EssayInfo:
    essay_id: str
    display_name: str
    is_anchor: bool
    anchor_grade: str


@dataclass(frozen=True)
class FinalResults:
    """The fit of every verdict (None when there was nothing to fit: `unfitted_reason` says
    why) and, with a scale and anchors, the grades projected on it (else `no_grades` says
    why). Per-essay arrays follow `essays`; `failed` counts each essay's failed calls."""

    essays: Sequence[EssayInfo]
    failed: np.ndarray
    grade_scale_id: str
    summary: statistics.FitSummary | None = None
    unfitted_reason: str = ""
    wins: np.ndarray | None = None
    judges: tuple[str, ...] = ()
    drift: drift.DriftReport | None = None
    projection: grading.GradeProjection | None = None
    no_grades: str = ""
    anchors_per_grade: dict[str, int] = field(default_factory=dict)

    @property
    def fit(self) -> Fit | None:
        """The figures the assessment keeps of it."""
        s = self.summary
        if s is None:
            return None
        return Fit(float(s.reliability), float(s.ssr), float(s.beta), float(s.beta_se))

    @property
    def reliability_se(self) -> float:
        s = self.summary
        return 0.0 if s is None else split_half_se(s.reliability, int(s.scores.size))


def compute(
    essays: Sequence[EssayInfo],
    judged: Sequence[Verdict],
    *,
    grade_scale_id: str,
    seed: int,
    unfitted_reason: str = NO_VERDICTS,
    failed: Sequence[tuple[int, int]] = (),
) -> FinalResults:
    """Final fit (bias, soft labels), 95% intervals, bias drift, grades.

    failed: (idx_a, idx_b) of every call that ended in an error, for each essay's count."""
    rng = np.random.default_rng([seed, 0xF17A1])
    n = len(essays)
    fails = _failed_counts(failed, n)
    if not judged or n < 2:
        return FinalResults(essays, fails, grade_scale_id, unfitted_reason=unfitted_reason,
                            no_grades=unfitted_reason)
    v = statistics.verdicts(n, judged)
    summary = statistics.fit(v)
    c = v.comps
    report = drift.bias_drift(c.idx_a, c.idx_b, c.y, None, summary.scores,
                              prior_sd=summary.prior_sd)
    fitted = FinalResults(essays, fails, grade_scale_id, summary=summary, wins=v.wins,
                          judges=v.judges, drift=report)
    return _graded(fitted, rng)


def _failed_counts(failed: Sequence[tuple[int, int]], n: int) -> np.ndarray:
    """Failed calls per essay from the (idx_a, idx_b) of each."""
    ends = np.array(failed, dtype=np.int64).reshape(-1)
    return np.bincount(ends, minlength=n)


def _graded(r: FinalResults, rng: np.random.Generator) -> FinalResults:
    if not r.grade_scale_id:
        return replace(r, no_grades=NO_SCALE)
    assert r.summary is not None
    anchors = [i for i, e in enumerate(r.essays) if e.is_anchor and e.anchor_grade]
    projection = grading.project_grades(
        r.summary.scores,
        r.summary.fit.se,  # the posterior sd (the interval's wider se underweights certainty)
        anchor_index=np.array(anchors, dtype=int),
        anchor_grades=[r.essays[i].anchor_grade for i in anchors],
        scale=grade_scales.get_scale(r.grade_scale_id),
        rng=rng,
    )
    counts = {g: n for g, n in projection.anchors_per_grade.items() if n}
    if not projection.available:
        return replace(r, no_grades=projection.reason, anchors_per_grade=counts)
    return replace(r, projection=projection, anchors_per_grade=counts)
