"""Stored batch row -> AssessmentProgress: the reliability travels with its standard error."""

from types import SimpleNamespace

import pytest

from cj_service.service import views


def batch_row(**kw):
    base = dict(
        comparisons_done=900, comparisons_failed=0, comparisons_in_flight=20, budget=2000,
        reliability=0.9, ssr=0.93, cost_usd=0.5, target_reliability=0.9, essay_count=190,
        anchor_count=10, prompt_tokens=1, completion_tokens=1, cache_read_tokens=0,
        cache_write_tokens=0,
    )
    return SimpleNamespace(**{**base, **kw})


def test_progress_reports_the_split_half_standard_error_over_all_essays():
    # 200 essays (anchors included) at 0.90: Fisher z through Spearman-Brown gives 0.0142
    assert views.progress(batch_row()).reliability_se == pytest.approx(0.0142, abs=5e-4)
    assert views.progress(batch_row(essay_count=20, anchor_count=0)).reliability_se > 0.04


def test_a_batch_under_four_essays_has_no_finite_standard_error():
    assert views.progress(batch_row(essay_count=3, anchor_count=0)).reliability_se == float("inf")
