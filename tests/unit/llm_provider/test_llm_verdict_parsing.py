"""Strict verdict parsing: one clean verdict or INVALID_RESPONSE, never a default winner."""

from __future__ import annotations

import pytest

from llm_provider.domain.errors import INVALID_RESPONSE, ProviderFailure
from llm_provider.domain.verdict import Verdict, parse_verdict, parse_verdict_json


def test_a_well_formed_answer_parses():
    verdict = parse_verdict_json('{"winner":"Essay B","justification":" Clearer. ","confidence":2}')
    assert verdict == Verdict("B", 2, "Clearer.")


def test_an_integral_float_confidence_is_accepted():
    answer = {"winner": "Essay A", "justification": "x", "confidence": 4.0}
    assert parse_verdict(answer).confidence == 4


@pytest.mark.parametrize("answer", [
    "", "Essay A", "{", "[]", "null",
    '{"winner":"Essay C","justification":"x","confidence":3}',
    '{"winner":"essay a","justification":"x","confidence":3}',
    '{"winner":"A","justification":"x","confidence":3}',
    '{"justification":"x","confidence":3}',
    '{"winner":"Essay A","confidence":3}',
    '{"winner":"Essay A","justification":7,"confidence":3}',
    '{"winner":"Essay A","justification":"x","confidence":0}',
    '{"winner":"Essay A","justification":"x","confidence":6}',
    '{"winner":"Essay A","justification":"x","confidence":4.5}',
    '{"winner":"Essay A","justification":"x","confidence":true}',
    '{"winner":"Essay A","justification":"x","confidence":"5"}',
])
def test_anything_else_is_an_invalid_response(answer):
    with pytest.raises(ProviderFailure) as caught:
        parse_verdict_json(answer)
    assert caught.value.kind == INVALID_RESPONSE and caught.value.retryable
