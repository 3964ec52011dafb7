"""Follow a batch until it completes, fails or is cancelled, reporting progress as it goes."""

from __future__ import annotations

import time
from collections.abc import Callable

from cli.rpc import Client
from contracts.huleedu.cj.v1 import cj_pb2

TERMINAL = {
    cj_pb2.ASSESSMENT_STATE_COMPLETED, cj_pb2.ASSESSMENT_STATE_FAILED,
    cj_pb2.ASSESSMENT_STATE_CANCELLED,
}
POLL_INTERVAL_S = 0.5


def get(client: Client, assessment_id: str) -> cj_pb2.Assessment:
    request = cj_pb2.GetAssessmentRequest(assessment_id=assessment_id)
    return client.call("GetAssessment", request).assessment


def follow(
    client: Client, assessment_id: str, *, on_update: Callable[[cj_pb2.Assessment], None],
    interval: float = POLL_INTERVAL_S, sleep: Callable[[float], None] = time.sleep,
) -> cj_pb2.Assessment:
    """Poll GetAssessment until the batch is terminal; return its last state."""
    while True:
        assessment = get(client, assessment_id)
        on_update(assessment)
        if assessment.state in TERMINAL:
            return assessment
        sleep(interval)


def state_name(assessment: cj_pb2.Assessment) -> str:
    return cj_pb2.AssessmentState.Name(assessment.state).removeprefix("ASSESSMENT_STATE_").lower()


def outcome_text(assessment: cj_pb2.Assessment) -> str:
    """`completed (reliability reached)`, `failed (judge failure rate): detail`, ..."""
    state = state_name(assessment)
    if assessment.state == cj_pb2.ASSESSMENT_STATE_COMPLETED:
        why = cj_pb2.CompletionReason.Name(assessment.completion_reason)
        why = why.removeprefix("COMPLETION_REASON_")
    elif assessment.state == cj_pb2.ASSESSMENT_STATE_FAILED:
        why = cj_pb2.FailureReason.Name(assessment.failure_reason).removeprefix("FAILURE_REASON_")
    else:
        why = ""
    if why and "UNSPECIFIED" not in why:
        state = f"{state} ({why.lower().replace('_', ' ')})"
    text = state
    return f"{text}: {assessment.detail}" if assessment.detail else text
