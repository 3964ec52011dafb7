"""Plain-language warnings about a judge's verdicts: a judge that always picks one side, a
simulated judge without truth for some texts, a ranking that is mostly noise, a strong
position bias, P(A) that contradicted the verdicts.

A degenerate judge (27 of 30 verdicts "Essay A") still yields a fit with numbers that look
like any other; these sentences say what the numbers mean.
"""

from __future__ import annotations

ONE_SIDED = 0.8  # one side winning more than this share of verdicts
MIN_VERDICTS = 10  # fewer verdicts say too little to warn about sides
LOW_RELIABILITY = 0.5
STRONG_BIAS = 1.0  # logits


def judge_warnings(
    *,
    a_wins: int,
    verdicts: int,
    reliability: float | None,
    reliability_se: float | None,
    position_bias: float | None,
    position_bias_se: float | None,
    p_a_dropped: int = 0,
    no_truth_texts: int = 0,
) -> list[str]:
    """Every warning that applies, most serious first; [] when none does.

    reliability is None until there are enough verdicts to compute it; the bias None before
    the first fit."""
    found = [
        _one_sided(a_wins, verdicts),
        _no_truth(no_truth_texts),
        _unreliable(reliability, reliability_se),
        _biased(position_bias, position_bias_se),
        _dropped(p_a_dropped, verdicts),
    ]
    return [w for w in found if w]


def _one_sided(a_wins: int, verdicts: int) -> str:
    if verdicts < MIN_VERDICTS:
        return ""
    for side, wins in (("A", a_wins), ("B", verdicts - a_wins)):
        if wins > ONE_SIDED * verdicts:
            return (
                f"the judge chose Essay {side} in {100 * wins / verdicts:.0f}% of comparisons "
                f"({wins} of {verdicts}): these verdicts say little about the essays"
            )
    return ""


def _no_truth(texts: int) -> str:
    if texts <= 0:
        return ""
    if texts == 1:
        return "the simulated judge had no truth for 1 text: its place in the order is arbitrary"
    return f"the simulated judge had no truth for {texts} texts: their order is arbitrary"


def _unreliable(reliability: float | None, se: float | None) -> str:
    if reliability is None or reliability >= LOW_RELIABILITY:
        return ""
    return (
        f"the honest reliability is {reliability:.2f}{_pm(se)}, below {LOW_RELIABILITY}: "
        "the ranking is mostly noise and should not be used to grade"
    )


def _biased(bias: float | None, se: float | None) -> str:
    if bias is None or abs(bias) <= STRONG_BIAS:
        return ""
    side = "A" if bias > 0 else "B"
    return (
        f"strong position bias {bias:+.2f}{_pm(se)} logits: the judge favours the essay shown "
        f"as {side} whatever it says"
    )


def _dropped(dropped: int, verdicts: int) -> str:
    if dropped <= 0:
        return ""
    return (
        f"the judge's probability for Essay A contradicted its own verdict in {dropped} of "
        f"{verdicts} comparisons; those verdicts were used without it"
    )


def _pm(se: float | None) -> str:
    return f" ± {se:.2f}" if se is not None and 0 < se < float("inf") else ""
