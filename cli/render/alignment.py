"""Anchor alignment and judge-model disagreement, computed from a batch's results (pure)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import kendalltau

from cli.render.table import INFIT_HIGH
from contracts.huleedu.cj.v1 import cj_pb2
from contracts.huleedu.llm.v1 import llm_pb2


@dataclass(frozen=True)
class AnchorAlignment:
    anchors: list[cj_pb2.EssayResult]  # by score, lowest first
    tau: float | None  # Kendall tau-b between grade order and score order
    inverted_pairs: list[tuple[cj_pb2.EssayResult, cj_pb2.EssayResult]]  # (higher grade, lower)
    zero_win: list[cj_pb2.EssayResult]


@dataclass(frozen=True)
class Surprise:
    comparison: cj_pb2.ComparisonRecord
    winner: str
    loser: str
    p_observed: float  # the model's probability of the verdict the judge gave


def grade_rank(grade: str, order: list[str]) -> int:
    return order.index(grade) if grade in order else -1


def anchor_alignment(essays: list[cj_pb2.EssayResult], order: list[str]) -> AnchorAlignment:
    anchors = sorted((e for e in essays if e.is_anchor and e.anchor_grade in order),
                     key=lambda e: e.score)
    ranks = [grade_rank(e.anchor_grade, order) for e in anchors]
    tau = None
    if len(anchors) >= 2 and len(set(ranks)) >= 2:
        value = kendalltau(ranks, [e.score for e in anchors]).statistic
        tau = None if math.isnan(value) else float(value)
    inverted = [(hi, lo) for i, lo in enumerate(anchors) for hi in anchors[:i]
                if grade_rank(hi.anchor_grade, order) > grade_rank(lo.anchor_grade, order)]
    zero = [e for e in anchors if e.wins == 0 and e.comparison_count > 0]
    return AnchorAlignment(anchors, tau, inverted, zero)


def misfits(essays: list[cj_pb2.EssayResult], *, limit: int = 10) -> list[cj_pb2.EssayResult]:
    high = [e for e in essays if e.comparison_count > 0 and e.infit > INFIT_HIGH]
    return sorted(high, key=lambda e: e.infit, reverse=True)[:limit]


def surprises(
    essays: list[cj_pb2.EssayResult], comparisons: list[cj_pb2.ComparisonRecord], *,
    position_bias: float, limit: int = 10,
) -> list[Surprise]:
    """Verdicts the fitted model found least likely (P(A) = σ(s_A − s_B + bias))."""
    score = {e.essay_id: e.score for e in essays}
    out = []
    for c in comparisons:
        if c.status != cj_pb2.COMPARISON_STATUS_JUDGED or c.essay_a_id not in score \
                or c.essay_b_id not in score:
            continue
        p_a = 1.0 / (1.0 + math.exp(-(score[c.essay_a_id] - score[c.essay_b_id] + position_bias)))
        a_won = c.winner == llm_pb2.WINNER_ESSAY_A
        winner, loser = (c.essay_a_id, c.essay_b_id) if a_won else (c.essay_b_id, c.essay_a_id)
        out.append(Surprise(c, winner, loser, p_a if a_won else 1.0 - p_a))
    return sorted(out, key=lambda s: s.p_observed)[:limit]


def a_win_counts(comparisons: list[cj_pb2.ComparisonRecord]) -> dict[str, tuple[int, int]]:
    """Per judge model: (verdicts for the essay shown first, all verdicts)."""
    counts: dict[str, list[int]] = {}
    for c in comparisons:
        if c.status != cj_pb2.COMPARISON_STATUS_JUDGED:
            continue
        entry = counts.setdefault(f"{c.provider}/{c.model}", [0, 0])
        entry[0] += c.winner == llm_pb2.WINNER_ESSAY_A
        entry[1] += 1
    return {k: (v[0], v[1]) for k, v in counts.items()}


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson interval of a proportion (sensible at 0 and n, unlike the normal one)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)
