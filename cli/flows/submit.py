"""Build and send SubmitAssessment with a request id derived from everything that was asked.

The same folder, anchors, context, judge, budget and label give the same request id, so a
re-run (or a retry after the laptop slept) gets the original batch back instead of paying
for a second one. `--label` names a deliberate repeat.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cli.flows.plan import Judge
from cli.io.inventory import Inventory
from contracts.huleedu.cj.v1 import cj_pb2
from contracts.huleedu.common.v1 import common_pb2
from contracts.ids import derived_id

INVENTORY_KEY = "huleedu.cli.inventory"
CLIENT_KEY = "huleedu.cli.client"


@dataclass(frozen=True)
class Ask:
    """Everything besides the files that identifies a submission."""

    judge: Judge
    budget: int
    assignment_id: str = ""
    label: str = ""
    seed: int = 0


def request_id_for(inventory: Inventory, ask: Ask) -> str:
    fingerprint = {
        "inputs": sorted((f.essay_id, f.sha256, f.anchor_grade) for f in inventory.all_inputs),
        "context": sorted((k, c.sha256) for k, c in inventory.context.items()),
        "scale": inventory.grade_scale_id, "judge": str(ask.judge), "budget": ask.budget,
        "assignment": ask.assignment_id, "label": ask.label, "seed": ask.seed,
    }
    return derived_id("huleedu-cli-assess", json.dumps(fingerprint, sort_keys=True))


def inventory_document(
    inventory: Inventory, ask: Ask, *, request_id: str, context_ids: dict[str, str]
) -> bytes:
    """The inputs with their checksums, stored beside the essays so any machine can report."""
    doc = {
        "schema": "huleedu.cli.inventory/1", "request_id": request_id,
        "grade_scale_id": inventory.grade_scale_id, "judge": str(ask.judge),
        "budget": ask.budget, "assignment_id": ask.assignment_id, "label": ask.label,
        "inputs": [_input_entry(f) for f in inventory.all_inputs],
        "context": {k: {"source": c.source, "sha256": c.sha256,
                        "content_id": context_ids.get(k, "")}
                    for k, c in sorted(inventory.context.items())},
    }
    return json.dumps(doc, indent=1, sort_keys=True).encode("utf-8")


def _input_entry(f) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {
        "essay_id": f.essay_id, "display_name": f.display_name, "source": f.source,
        "source_sha256": f.source_sha256, "content_id": f.sha256, "sha256": f.sha256,
        "bytes": len(f.data), "words": f.words, "is_anchor": bool(f.anchor_grade),
        "anchor_grade": f.anchor_grade,
    }


def build_request(
    inventory: Inventory, ask: Ask, *, request_id: str, content_ids: dict[str, str],
    context_ids: dict[str, str], inventory_id: str,
) -> cj_pb2.SubmitAssessmentRequest:
    essays = [
        cj_pb2.EssayInput(essay_id=f.essay_id, content_id=content_ids[f.essay_id],
                          display_name=f.display_name, anchor_grade=f.anchor_grade)
        for f in inventory.all_inputs
    ]
    instructions = inventory.context.get("instructions")
    return cj_pb2.SubmitAssessmentRequest(
        request_id=request_id, essays=essays, assignment_id=ask.assignment_id,
        student_prompt_content_id=context_ids.get("prompt", ""),
        judge_rubric_override_content_id=context_ids.get("rubric", ""),
        instructions_text=instructions.text if instructions else "",
        judge=common_pb2.JudgeConfig(provider=ask.judge.provider, model=ask.judge.model),
        stopping=cj_pb2.StoppingOptions(budget=ask.budget),
        grade_scale_id=inventory.grade_scale_id, correlation_id=request_id,
        metadata={INVENTORY_KEY: inventory_id, CLIENT_KEY: "huleedu-cli"}, seed=ask.seed,
    )
