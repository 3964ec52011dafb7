"""The summary states the position bias's interval, its value per quarter and its drift."""

from cli.render.table import drift_text, summary_lines
from contracts.huleedu.cj.v1 import cj_pb2


def fit(*, drift: float, se: float, flagged: bool) -> cj_pb2.FitStatistics:
    periods = [cj_pb2.BiasPeriod(first_comparison=i * 40, end_comparison=(i + 1) * 40,
                                 a_share=0.55 + 0.05 * i, position_bias=0.1 * i,
                                 position_bias_se=0.3) for i in range(4)]
    return cj_pb2.FitStatistics(position_bias=0.2, position_bias_se=0.1,
                                position_bias_ci_low=0.0, position_bias_ci_high=0.4,
                                bias_by_period=periods, bias_drift=drift, bias_drift_se=se,
                                bias_drift_flagged=flagged)


def test_a_significant_drift_is_named():
    text = drift_text(fit(drift=0.9, se=0.3, flagged=True))
    assert "+0.00 ± 0.30, +0.10 ± 0.30, +0.20 ± 0.30, +0.30 ± 0.30" in text
    assert "55%, 60%, 65%, 70%" in text
    assert "drift +0.90 ± 0.30: DRIFT" in text


def test_a_drift_within_noise_is_reported_without_the_flag():
    assert "DRIFT" not in drift_text(fit(drift=0.2, se=0.3, flagged=False))


def test_too_few_verdicts_say_so_and_no_periods_say_nothing():
    assert "too few verdicts" in drift_text(fit(drift=0.0, se=float("inf"), flagged=False))
    assert drift_text(cj_pb2.FitStatistics()) == ""


def test_the_summary_carries_the_bias_interval_and_the_drift():
    results = cj_pb2.GetAssessmentResultsResponse(fit=fit(drift=0.9, se=0.3, flagged=True))
    lines = summary_lines(results)
    assert "position bias +0.20 ± 0.10 (95% CI [+0.00, +0.40])" in lines[0]
    assert any("DRIFT" in line for line in lines)
