"""Upload an inventory's texts and submit the batch; return (batch id, was it a duplicate)."""

from __future__ import annotations

from cli import rpc
from cli.flows.submit import Ask, build_request, inventory_document, request_id_for
from cli.flows.upload import JSON, UploadStats, ensure_stored, put
from cli.io.inventory import Inventory
from cli.settings import Addresses


def send(
    mesh: Addresses, inventory: Inventory, ask: Ask, *, stats: UploadStats
) -> tuple[str, bool]:
    request_id = request_id_for(inventory, ask)
    with rpc.content(mesh) as content:
        inputs = inventory.all_inputs
        ids = ensure_stored(content, [f.data for f in inputs], stats=stats)
        content_ids = {f.essay_id: cid for f, cid in zip(inputs, ids, strict=True)}
        context_ids = {
            kind: ensure_stored(content, [c.text.encode("utf-8")], stats=stats)[0]
            for kind, c in inventory.context.items() if kind in ("prompt", "rubric")
        }
        doc = inventory_document(inventory, ask, request_id=request_id, context_ids=context_ids)
        inventory_id = put(content, doc, content_type=JSON)
    request = build_request(inventory, ask, request_id=request_id, content_ids=content_ids,
                            context_ids=context_ids, inventory_id=inventory_id)
    with rpc.cj(mesh) as cj:
        response = cj.call("SubmitAssessment", request)
    return response.assessment.assessment_id, response.duplicate
