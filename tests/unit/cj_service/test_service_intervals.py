"""The intervals and bias figures the results carry: each contains its estimate and is the
width its standard error says (docs/statistics.md section 9), hard and soft verdicts alike."""

import numpy as np
import pytest

from cj_service.adapters import result_messages
from cj_service.domain import drift
from cj_service.service.workflow import results, statistics
from tests.unit.cj_service.test_service_results import essays
from tests.unit.cj_service.test_service_statistics import rows_for


def compute(*args, **kwargs):
    """The final results as the cj.v1 message they are stored and published as."""
    return result_messages.message(results.compute(*args, **kwargs))

Z95 = 1.959963984540054


def pairs(n: int, m: int, *, seed: int) -> list[tuple[int, int]]:
    rng = np.random.default_rng(seed)
    return [tuple(rng.choice(n, 2, replace=False)) for _ in range(m)]


@pytest.mark.parametrize("soft", [False, True])
def test_every_interval_contains_its_score_and_spans_its_standard_error(soft):
    q = np.linspace(2, -2, 12)
    rows = rows_for(q, pairs(q.size, 120, seed=3), soft=soft)
    out = compute(essays(12), rows, grade_scale_id="", seed=1)
    for e in out.essays:
        assert e.ci_low <= e.score <= e.ci_high
        assert e.ci_high - e.ci_low == pytest.approx(2 * Z95 * e.se, rel=1e-6)
    fit = out.fit
    assert fit.position_bias_ci_low <= fit.position_bias <= fit.position_bias_ci_high
    assert fit.position_bias_ci_high - fit.position_bias_ci_low == pytest.approx(
        2 * Z95 * fit.position_bias_se, rel=1e-6)


def test_the_bias_is_reported_per_quarter_with_its_drift():
    q = np.linspace(2, -2, 12)
    rows = rows_for(q, pairs(q.size, 120, seed=4))
    out = compute(essays(12), rows, grade_scale_id="", seed=1)
    periods = out.fit.bias_by_period
    assert [p.first_comparison for p in periods] == [0, 30, 60, 90]
    assert periods[-1].end_comparison == 120
    assert all(0.0 <= p.a_share <= 1.0 and p.position_bias_se > 0 for p in periods)
    # The figures are the drift module's on the same verdicts and the reported scores.
    v = statistics.verdicts(12, rows)
    expected = drift.bias_drift(v.comps.idx_a, v.comps.idx_b, v.comps.y, None,
                                statistics.fit(v).scores, prior_sd=statistics.fit(v).prior_sd)
    assert [p.position_bias for p in periods] == pytest.approx(
        [p.position_bias for p in expected.bias_by_period])
    assert out.fit.bias_drift == pytest.approx(expected.bias_drift)
    assert out.fit.bias_drift_se == pytest.approx(expected.bias_drift_se)
    assert 0 < out.fit.bias_drift_se < float("inf")
    assert out.fit.bias_drift_flagged == expected.bias_drift_flagged
