"""Strict verdict parsing: one clean verdict or INVALID_RESPONSE, never a default winner."""

from __future__ import annotations

import pytest

from llm_provider.domain.errors import INVALID_RESPONSE, ProviderFailure
from llm_provider.domain.verdict import (
    Verdict,
    parse_verdict,
    parse_verdict_json,
    parse_verdict_text,
)


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
    '{"winner":"Essay A","justification":"x","confidence":2018}',
    '{"Essay A": 2018.09}',
])
def test_anything_else_is_an_invalid_response(answer):
    with pytest.raises(ProviderFailure) as caught:
        parse_verdict_json(answer)
    assert caught.value.kind == INVALID_RESPONSE and caught.value.retryable


def test_keys_of_its_own_are_refused():
    with pytest.raises(ProviderFailure) as caught:
        parse_verdict({"winner": "Essay A", "justification": "x", "confidence": 3, "score": 1})
    assert caught.value.kind == INVALID_RESPONSE and "score" in caught.value.message


@pytest.mark.parametrize("text", [
    '{"winner": "Essay B", "justification": "Clearer.", "confidence": 4}',
    '```json\n{"winner": "Essay B", "justification": "Clearer.", "confidence": 4}\n```',
    '```\n{"winner": "Essay B", "justification": "Clearer.", "confidence": 4}\n```',
    'My verdict: {"winner": "Essay B", "justification": "Clearer.", "confidence": 4} Thanks!',
    'Sure {\n```json\n{"winner": "Essay B", "justification": "Clearer.", "confidence": 4}```',
])
def test_a_text_answer_may_wrap_the_one_object(text):
    assert parse_verdict_text(text) == Verdict("B", 4, "Clearer.")


@pytest.mark.parametrize("text", [
    "Essay B is better.",
    '{"winner": "Essay A", "justification": "x", "confidence": 3} '
    '{"winner": "Essay B", "justification": "y", "confidence": 3}',
    '```json\n{"a": 1}\n```\n```json\n{"winner": "Essay B"}\n```',
    '{"Essay A": 2018.09}',
    '```json\n{"winner": "Essay A", "justification": "x", "confidence": 2018}\n```',
    '{"winner": "Essay A", "justification": "x", "confidence": 3, "extra": true}',
])
def test_a_text_answer_is_still_held_to_the_rules(text):
    with pytest.raises(ProviderFailure) as caught:
        parse_verdict_text(text)
    assert caught.value.kind == INVALID_RESPONSE


def test_json_modes_do_not_dig_the_object_out_of_prose():
    with pytest.raises(ProviderFailure):
        parse_verdict_json('```json\n{"winner": "Essay B", "justification": "x", '
                           '"confidence": 4}```')
