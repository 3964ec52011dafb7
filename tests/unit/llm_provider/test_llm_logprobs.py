"""P(Essay A) read off the logprobs of the token that names the winner."""

from __future__ import annotations

import math

import pytest

from llm_provider.domain.logprobs import TokenLogprob, letter_position, probability_a


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
