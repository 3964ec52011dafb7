"""Results of a small made-up batch, as the cj service would return them (for pure tests)."""

from __future__ import annotations

import hashlib
import math

from google.protobuf.timestamp_pb2 import Timestamp

from cli.flows.collect import RunData
from contracts.huleedu.cj.v1 import cj_pb2
from contracts.huleedu.common.v1 import common_pb2
from contracts.huleedu.llm.v1 import llm_pb2

GRADES = ["F", "E", "D", "D+", "C", "C+", "B", "A"]


def ts(seconds: int) -> Timestamp:
    return Timestamp(seconds=seconds)


def essay(essay_id: str, rank: int, score: float, *, anchor: str = "", infit: float = 1.0,
          wins: int = 3, n: int = 6) -> cj_pb2.EssayResult:
    probs = [cj_pb2.GradeProbability(grade=g, probability=1 / len(GRADES)) for g in GRADES]
    return cj_pb2.EssayResult(
        essay_id=essay_id, display_name=essay_id.rsplit("/", 1)[-1], rank=rank, score=score,
        se=0.5, ci_low=score - 0.98, ci_high=score + 0.98, comparison_count=n, wins=wins,
        infit=infit, outfit=infit, is_anchor=bool(anchor), anchor_grade=anchor, grade="C",
        grade_confidence=0.4, grade_probabilities=probs)


def comparison(i: int, a: str, b: str, winner: int) -> cj_pb2.ComparisonRecord:
    return cj_pb2.ComparisonRecord(
        comparison_id=f"c{i}", essay_a_id=a, essay_b_id=b,
        status=cj_pb2.COMPARISON_STATUS_JUDGED, winner=winner, probability_a=0.7, confidence=4,
        justification="A is clearer | better", provider="simulated", model="simulated-priced",
        usage=common_pb2.TokenUsage(prompt_tokens=1000, completion_tokens=40), cost_usd=0.0012,
        prompt_sha256=hashlib.sha256(str(i).encode()).hexdigest(), attempts=1,
        created_at=ts(1_800_000_000 + i), completed_at=ts(1_800_000_001 + i))


def run_data(batch_id: str = "b" * 32) -> RunData:
    essays = [
        essay("s1", 1, 1.5), essay("anchor/A_anchor.txt", 2, 1.0, anchor="A"),
        essay("s2", 3, 0.2, infit=1.8), essay("anchor/C_anchor.txt", 4, -0.1, anchor="C"),
        essay("anchor/F_anchor.txt", 5, -1.4, anchor="F", wins=0), essay("s3", 6, -1.6),
    ]
    bounds = [cj_pb2.GradeBoundary(lower_grade=lo, upper_grade=hi, threshold=-2 + 0.5 * i)
              for i, (lo, hi) in enumerate(zip(GRADES, GRADES[1:], strict=False))]
    progress = cj_pb2.AssessmentProgress(
        comparisons_done=3, budget=10, reliability=0.8, ssr=0.85, cost_usd=0.0036,
        usage=common_pb2.TokenUsage(prompt_tokens=3000, completion_tokens=120),
        target_reliability=0.9)
    assessment = cj_pb2.Assessment(
        assessment_id=batch_id, state=cj_pb2.ASSESSMENT_STATE_COMPLETED,
        completion_reason=cj_pb2.COMPLETION_REASON_BUDGET_SPENT, progress=progress,
        essay_count=3, anchor_count=3, grade_scale_id="swedish_8_anchor",
        judge=common_pb2.JudgeConfig(provider="simulated", model="simulated-priced"),
        created_at=ts(1_800_000_000), finished_at=ts(1_800_000_100))
    results = cj_pb2.GetAssessmentResultsResponse(
        assessment=assessment, essays=essays,
        calibration=cj_pb2.GradeCalibration(
            available=True, grade_scale_id="swedish_8_anchor", method="ordinal_probit_map",
            boundaries=bounds),
        fit=cj_pb2.FitStatistics(reliability=0.8, ssr=0.85, position_bias=0.1,
                                 position_bias_se=0.2, comparisons=3, converged=True,
                                 reliability_se=0.16),
        history=[cj_pb2.FitSnapshot(comparisons=n, reliability=r, ssr=r + 0.05,
                                    reliability_se=se)
                 for n, r, se in [(1, 0.0, float("inf")), (2, 0.5, 0.3), (3, 0.8, 0.16)]],
        judge_models=["simulated/simulated-priced"])
    comps = [comparison(0, "s1", "s2", llm_pb2.WINNER_ESSAY_A),
             comparison(1, "s3", "s1", llm_pb2.WINNER_ESSAY_A),
             comparison(2, "anchor/F_anchor.txt", "s2", llm_pb2.WINNER_ESSAY_B)]
    inputs = [{"essay_id": e.essay_id, "display_name": e.display_name, "source": e.essay_id,
               "source_sha256": "0" * 64, "content_id": "1" * 64, "sha256": "1" * 64,
               "bytes": 10, "words": 2, "is_anchor": e.is_anchor, "anchor_grade": e.anchor_grade}
              for e in essays]
    return RunData(results=results, comparisons=comps,
                   inventory={"inputs": inputs, "context": {}})


def p_a(delta: float) -> float:
    return 1 / (1 + math.exp(-delta))
