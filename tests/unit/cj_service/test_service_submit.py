"""The default in-flight window scales down to the batch: at most one pair per two texts."""

from cj_service.service.workflow.submit import default_window


def test_the_default_window_is_at_most_one_pair_per_two_texts():
    assert default_window(100, 34) == 17
    assert default_window(100, 200) == 100
    assert default_window(100, 1000) == 100
    assert default_window(100, 3) == 1 and default_window(100, 1) == 1
