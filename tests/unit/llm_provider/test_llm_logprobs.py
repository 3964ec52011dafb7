"""P(Essay A) read off the logprobs of the token that names the winner."""

from __future__ import annotations

import math

import pytest

from llm_provider.domain.logprobs import (
    TokenLogprob,
    allowed_letter,
    contradicts,
    letter_position,
    probability_a,
    with_probability,
)
from llm_provider.domain.verdict import Verdict


def tokens(*pieces: str, deciding: dict[str, float] | None = None) -> list[TokenLogprob]:
    out = []
    for piece in pieces:
        if deciding and piece in deciding:
            top = tuple((t, math.log(p)) for t, p in deciding.items())
            out.append(TokenLogprob(piece, math.log(deciding[piece]), top))
        else:
            out.append(TokenLogprob(piece, 0.0))
    return out


def test_the_alternatives_at_the_letter_give_the_odds():
    answer = tokens('{"winner":"', "Essay", " A", '","confidence":3}',
                    deciding={" A": 0.7, " B": 0.25, " C": 0.05})
    assert probability_a(answer) == pytest.approx(0.7 / 0.95)


def test_a_token_holding_the_whole_winner_still_works():
    answer = tokens('{"winner":"', "Essay B", '"}', deciding={"Essay B": 0.9, "Essay A": 0.1})
    assert probability_a(answer) == pytest.approx(0.1)


def test_a_missing_alternative_gets_the_leftover_mass():
    answer = tokens('{"winner":"', "Essay", " B", '"}', deciding={" B": 0.8})
    assert probability_a(answer) == pytest.approx(0.2)


def test_no_winner_field_means_no_probability():
    assert probability_a(tokens('{"verdict":"Essay A"}')) is None
    assert letter_position('{"winner":"Essay Z"}') is None


def test_only_alternatives_spelling_an_allowed_answer_count():
    # " Alpha" starts with A but is no allowed answer; " B" with a quote attached is.
    answer = tokens('{"winner":"', "Essay", " A", '"}',
                    deciding={" A": 0.5, " Alpha": 0.3, ' B"': 0.1, " Both": 0.1})
    assert probability_a(answer) == pytest.approx(0.5 / 0.6)
    assert allowed_letter(' B",', " ") == "B" and allowed_letter(" Bo", " ") is None
    assert allowed_letter("Essay A", "Essay ") == "A" and allowed_letter(" A", "Essay ") is None


def test_no_alternatives_at_all_cannot_tell():
    assert probability_a(tokens('{"winner":"', "Essay", " A", '"}')) is None


def test_an_unlisted_alternative_is_bounded_by_the_least_listed_one():
    answer = tokens('{"winner":"', "Essay", " A", '"}',
                    deciding={" A": 0.5, " The": 0.3, " Essay": 0.1})
    assert probability_a(answer) == pytest.approx(0.5 / 0.6)


def test_agreeing_probability_is_kept():
    answer = tokens('{"winner":"', "Essay", " B", '"}', deciding={" B": 0.6, " A": 0.2})
    verdict = with_probability(Verdict("B", 4, "x"), answer)
    assert verdict.probability_a == pytest.approx(0.25) and not verdict.probability_a_contradicted


@pytest.mark.parametrize(("winner", "deciding"), [
    ("B", {" B": 0.05, " A": 0.88}),  # llama.cpp: unconstrained mass on A, grammar chose B
    ("A", {" A": 0.3, " B": 0.6}),
])
def test_contradicting_probability_is_dropped_and_flagged(winner, deciding):
    answer = tokens('{"winner":"', "Essay", f" {winner}", '"}', deciding=deciding)
    verdict = with_probability(Verdict(winner, 4, "x"), answer)
    assert verdict.probability_a is None and verdict.probability_a_contradicted
    assert (verdict.winner, verdict.confidence) == (winner, 4)


def test_no_logprobs_leave_the_verdict_alone():
    assert with_probability(Verdict("A", 3, "x"), []) == Verdict("A", 3, "x")
    assert not contradicts("A", 0.5) and not contradicts("B", 0.5)
