"""Everything a run folder needs about one batch, fetched from the services."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cli.errors import CliError
from cli.flows.submit import INVENTORY_KEY
from cli.rpc import Client
from contracts.huleedu.cj.v1 import cj_pb2
from contracts.huleedu.content.v1 import content_pb2

PAGE_SIZE = 1000


@dataclass
class RunData:
    results: cj_pb2.GetAssessmentResultsResponse
    comparisons: list[cj_pb2.ComparisonRecord]
    inventory: dict[str, Any] | None = None  # the CLI's inventory document, when it submitted
    notes: list[str] = field(default_factory=list)

    @property
    def assessment(self) -> cj_pb2.Assessment:
        return self.results.assessment

    @property
    def batch_id(self) -> str:
        return self.results.assessment.assessment_id


def results(cj: Client, assessment_id: str) -> cj_pb2.GetAssessmentResultsResponse:
    request = cj_pb2.GetAssessmentResultsRequest(assessment_id=assessment_id)
    return cj.call("GetAssessmentResults", request)


def comparisons(cj: Client, assessment_id: str) -> list[cj_pb2.ComparisonRecord]:
    out: list[cj_pb2.ComparisonRecord] = []
    token = ""
    while True:
        page = cj.call("ListAssessmentComparisons", cj_pb2.ListAssessmentComparisonsRequest(
            assessment_id=assessment_id, page_size=PAGE_SIZE, page_token=token))
        out.extend(page.comparisons)
        token = page.next_page_token
        if not token:
            return out


def inventory(content: Client, assessment: cj_pb2.Assessment) -> dict[str, Any] | None:
    content_id = assessment.metadata.get(INVENTORY_KEY, "")
    if not content_id:
        return None
    item = content.call("GetContent", content_pb2.GetContentRequest(content_id=content_id)).item
    try:
        return json.loads(item.content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CliError(f"inventory {content_id} of batch {assessment.assessment_id} "
                       "is not valid JSON") from None


def collect(cj: Client, content: Client, assessment_id: str) -> RunData:
    res = results(cj, assessment_id)
    data = RunData(results=res, comparisons=comparisons(cj, assessment_id))
    try:
        data.inventory = inventory(content, res.assessment)
    except CliError as err:  # the ranking is still worth writing; say what is missing
        data.notes.append(f"input checksums unavailable: {err.message}")
    if data.inventory is None and not data.notes:
        data.notes.append("batch was not submitted by this CLI: input checksums come from "
                          "the content ids the cj service reports")
    return data
