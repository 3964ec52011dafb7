"""The step's shell reads the least-compared text from the verdicts it holds."""

from dataclasses import replace
from types import SimpleNamespace

import numpy as np

from cj_service.domain.comparisons import Comparisons
from cj_service.service.workflow import steps


def test_the_least_compared_essay_counts_its_judged_comparisons():
    comps = Comparisons.build(
        np.array([0, 0, 1]), np.array([1, 2, 2]), np.array([1.0, 0.0, 1.0]), n_items=4
    )
    v = SimpleNamespace(comps=comps)
    assert steps.fewest_comparisons(v) == 0  # text 3 never judged
    assert steps.fewest_comparisons(SimpleNamespace(comps=replace(comps, n_items=3))) == 2
    assert steps.fewest_comparisons(None) == 0
    unjudgeable = np.array([False, False, False, True])
    assert steps.fewest_comparisons(v, unjudgeable) == 2  # text 3 is left out, not awaited
