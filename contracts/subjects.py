"""NATS subjects of the mesh. Every publisher and subscriber names subjects from here."""

from __future__ import annotations

import re

LLM_REQUESTS = "huleedu.llm.v1.requests"
"""Work-queue subject: one QueuedComparison per accepted comparison request."""

LLM_RESULTS_PREFIX = "huleedu.llm.v1.results"
LLM_RESULTS_ALL = f"{LLM_RESULTS_PREFIX}.>"
LLM_USAGE = "huleedu.llm.v1.usage"
"""One LLMUsageRecorded per published ComparisonResult."""

CJ_RESULTS_KEY = "cj"
"""The results_subject_key cj_service puts on its comparison requests."""

CJ_EVENTS_ALL = "huleedu.cj.v1.>"
CJ_ASSESSMENT_COMPLETED = "huleedu.cj.v1.assessment.completed"
CJ_ASSESSMENT_RESULT = "huleedu.cj.v1.assessment.result"
CJ_ASSESSMENT_FAILED = "huleedu.cj.v1.assessment.failed"
CJ_ASSESSMENT_CANCELLED = "huleedu.cj.v1.assessment.cancelled"
CJ_RESOURCE_CONSUMPTION = "huleedu.cj.v1.resource.consumption"

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def is_valid_results_key(key: str) -> bool:
    """A results key is one subject token: no dots, wildcards or spaces."""
    return bool(_TOKEN.match(key))


def results_subject(key: str) -> str:
    """Subject the llm_provider publishes results to for a request's results_subject_key."""
    if not is_valid_results_key(key):
        raise ValueError(f"invalid results subject key {key!r}")
    return f"{LLM_RESULTS_PREFIX}.{key}"
