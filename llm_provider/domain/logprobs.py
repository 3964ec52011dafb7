"""P(Essay A is better) from the token logprobs of a JSON verdict.

The answer reads `{"winner":"Essay A",...}`; the token holding the letter after "Essay "
decides the verdict. Only its alternatives that spell an allowed answer ("Essay A" or
"Essay B", then the closing quote) count, renormalised over the two: a server whose grammar
constrains the answer may still report the unconstrained distribution, where other tokens
hold most of the mass. A P(A) on the other side of 0.5 from the verdict is dropped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from llm_provider.domain.verdict import ESSAY_A, Verdict

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
    """P(A) from the allowed alternatives at the deciding token; None when they cannot tell."""
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


def allowed_letter(alternative: str, prefix: str) -> str | None:
    """"A" or "B" when the alternative spells an allowed answer at this token, else None:
    the same text up to the letter, the letter, then nothing or the closing quote."""
    if not alternative.startswith(prefix) or len(alternative) <= len(prefix):
        return None
    letter, rest = alternative[len(prefix)], alternative[len(prefix) + 1:]
    return letter if letter in "AB" and (not rest or rest.startswith('"')) else None


def _odds(token: TokenLogprob, prefix: str) -> float | None:
    if not token.top:
        return None  # only the chosen token: nothing to weigh it against
    mass = {"A": 0.0, "B": 0.0}
    for alternative, logprob in token.top:
        letter = allowed_letter(alternative, prefix)
        if letter is not None:
            mass[letter] += math.exp(logprob)
    chosen = token.token[len(prefix)]
    if mass[chosen] == 0.0:
        mass[chosen] = math.exp(token.logprob)
    other = "B" if chosen == "A" else "A"
    if mass[other] == 0.0:
        mass[other] = _unlisted_bound(token.top)
    total = mass["A"] + mass["B"]
    return mass["A"] / total if total > 0 else None


def _unlisted_bound(top: tuple[tuple[str, float], ...]) -> float:
    """Most mass a token missing from the top list can have: no more than the least listed
    alternative, nor than what the listed ones leave over."""
    listed = [math.exp(lp) for _, lp in top]
    return max(0.0, min(min(listed), 1.0 - sum(listed)))


def contradicts(winner: str, p_a: float) -> bool:
    return (winner == "A" and p_a < 0.5) or (winner == "B" and p_a > 0.5)


def with_probability(verdict: Verdict, tokens: Sequence[TokenLogprob]) -> Verdict:
    """The verdict with its soft P(A), or flagged when the logprobs contradict it."""
    p_a = probability_a(tokens)
    if p_a is None:
        return verdict
    if contradicts(verdict.winner, p_a):
        return replace(verdict, probability_a=None, probability_a_contradicted=True)
    return replace(verdict, probability_a=p_a)
