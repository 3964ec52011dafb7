"""P(Essay A is better) from the token logprobs of a JSON verdict.

The answer reads `{"winner":"Essay A",...}`; the token holding the letter after "Essay "
decides the verdict. Its top alternatives give the odds of A against B.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from llm_provider.domain.verdict import ESSAY_A

_MARKER = '"winner"'
_ESSAY = ESSAY_A[:-1]  # "Essay "


@dataclass(frozen=True)
class TokenLogprob:
    token: str
    logprob: float
    top: tuple[tuple[str, float], ...] = ()


def letter_position(text: str) -> int | None:
    """Index of the A/B letter of the winner value in the JSON text, if it can be found."""
    key = text.find(_MARKER)
    if key < 0:
        return None
    essay = text.find(_ESSAY, key + len(_MARKER))
    if essay < 0:
        return None
    pos = essay + len(_ESSAY)
    return pos if pos < len(text) and text[pos] in "AB" else None


def probability_a(tokens: Sequence[TokenLogprob]) -> float | None:
    """P(A) from the alternatives at the deciding token; None when logprobs cannot tell."""
    text = "".join(t.token for t in tokens)
    pos = letter_position(text)
    if pos is None:
        return None
    start = 0
    for token in tokens:
        if start <= pos < start + len(token.token):
            return _odds(token, text[start:pos])
        start += len(token.token)
    return None


def _odds(token: TokenLogprob, prefix: str) -> float | None:
    mass = {"A": 0.0, "B": 0.0}
    candidates = token.top or ((token.token, token.logprob),)
    for alt, logprob in candidates:
        if alt.startswith(prefix) and len(alt) > len(prefix) and alt[len(prefix)] in mass:
            mass[alt[len(prefix)]] += math.exp(logprob)
    chosen = token.token[len(prefix)]
    if mass[chosen] == 0.0:
        mass[chosen] = math.exp(token.logprob)
    other = "B" if chosen == "A" else "A"
    if mass[other] == 0.0:
        # Not among the top alternatives: at most the mass the listed tokens leave over.
        mass[other] = max(0.0, 1.0 - sum(math.exp(lp) for _, lp in candidates))
    total = mass["A"] + mass["B"]
    return mass["A"] / total if total > 0 else None
