"""The simulated judge read from its own justifications: which texts it had no truth for."""

from cj_service.domain import simulated_judge as sj
from llm_provider.domain import simulation


def test_the_marker_is_llm_providers_own_wording():
    assert sj.NO_TRUTH_MARK == simulation.NO_TRUTH_MARK


def test_the_sides_without_truth_are_read_from_llm_providers_sentences():
    judged = simulation.Judgement("A", 0.7, 3)
    assert sj.unknown_sides(simulation.justification(judged)) == frozenset()
    assert sj.unknown_sides(simulation.justification(judged, ["B"])) == {"B"}
    assert sj.unknown_sides(simulation.justification(judged, ["A", "B"])) == {"A", "B"}
    assert sj.unknown_sides("Essay A is better: its argument and voice are clearer") == set()


def test_texts_without_truth_are_collected_once_across_verdicts():
    judged = simulation.Judgement("B", 0.3, 2)
    only_a = simulation.justification(judged, ["A"])
    both = simulation.justification(judged, ["A", "B"])
    verdicts = [(3, 5, only_a), (5, 3, only_a), (7, 8, "Simulated judge: Essay B is better."),
                (1, 9, both)]
    assert sj.no_truth_texts([3], verdicts) == [1, 3, 5, 9]


def test_only_the_simulated_provider_is_simulated():
    assert sj.is_simulated("simulated")
    assert not sj.is_simulated("anthropic") and not sj.is_simulated("")
