"""Metrics: per-instance registries, outcomes and timings per operation."""

from __future__ import annotations

import pytest

from content_service.metrics import Metrics


def _value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_two_instances_do_not_share_counts():
    first, second = Metrics(), Metrics()

    with first.observe("get"):
        pass

    assert _value(first, "huleedu_content_operations_total", operation="get", outcome="ok") == 1
    assert _value(second, "huleedu_content_operations_total", operation="get", outcome="ok") is None


def test_an_outcome_set_inside_the_block_labels_the_count_and_time_is_observed():
    metrics = Metrics()

    with metrics.observe("put") as seen:
        seen.outcome = "created"

    assert _value(metrics, "huleedu_content_operations_total",
                  operation="put", outcome="created") == 1
    assert _value(metrics, "huleedu_content_operation_duration_seconds_count",
                  operation="put") == 1


def test_an_unexpected_exception_counts_as_error_and_a_reasoned_one_keeps_its_reason():
    metrics = Metrics()

    with pytest.raises(RuntimeError), metrics.observe("stat"):
        raise RuntimeError("boom")
    with pytest.raises(RuntimeError), metrics.observe("stat") as seen:
        seen.outcome = "content_not_found"
        raise RuntimeError("aborted")

    for outcome in ("error", "content_not_found"):
        assert _value(metrics, "huleedu_content_operations_total",
                      operation="stat", outcome=outcome) == 1
