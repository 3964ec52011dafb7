"""The submission: a request id derived from every input, and the request built from them."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from cli.errors import CliError
from cli.flows.plan import Judge, default_budget, estimate, parse_judge
from cli.flows.submit import INVENTORY_KEY, Ask, build_request, inventory_document, request_id_for
from cli.io.inventory import ContextFile, InputFile, Inventory
from contracts.huleedu.llm.v1 import llm_pb2


def inp(essay_id: str, text: str, grade: str = "") -> InputFile:
    return InputFile(essay_id=essay_id, display_name=essay_id, source=f"dir/{essay_id}",
                     source_sha256="0" * 64, text=text, anchor_grade=grade)


INVENTORY = Inventory(
    essays=(inp("a.txt", "first essay\n"), inp("b.txt", "second essay\n")),
    anchors=(inp("anchor/A.txt", "anchor text\n", "A"),), grade_scale_id="swedish_8_anchor",
    context={"prompt": ContextFile("prompt", "p.txt", "Write about phones.\n")},
)
ASK = Ask(judge=Judge("simulated", "simulated-judge"), budget=20)


def test_the_same_inputs_give_the_same_request_id() -> None:
    assert request_id_for(INVENTORY, ASK) == request_id_for(INVENTORY, ASK)


@pytest.mark.parametrize("change", [
    {"budget": 21}, {"label": "again"}, {"seed": 7}, {"assignment_id": "x"},
    {"judge": Judge("openai", "gpt-5-mini")},
])
def test_any_change_to_what_was_asked_changes_the_request_id(change: dict) -> None:
    assert request_id_for(INVENTORY, replace(ASK, **change)) != request_id_for(INVENTORY, ASK)


def test_a_changed_essay_text_changes_the_request_id() -> None:
    edited = replace(INVENTORY, essays=(inp("a.txt", "first essay!\n"), INVENTORY.essays[1]))
    assert request_id_for(edited, ASK) != request_id_for(INVENTORY, ASK)


def test_the_request_carries_essays_anchors_context_and_the_inventory_reference() -> None:
    ids = {f.essay_id: f.sha256 for f in INVENTORY.all_inputs}
    request = build_request(INVENTORY, ASK, request_id="r1", content_ids=ids,
                            context_ids={"prompt": "p" * 64}, inventory_id="i" * 64)
    assert [(e.essay_id, e.anchor_grade) for e in request.essays] == [
        ("a.txt", ""), ("b.txt", ""), ("anchor/A.txt", "A")]
    assert request.essays[0].content_id == INVENTORY.essays[0].sha256
    assert request.student_prompt_content_id == "p" * 64
    assert request.stopping.budget == 20
    assert (request.judge.provider, request.judge.model) == ("simulated", "simulated-judge")
    assert request.metadata[INVENTORY_KEY] == "i" * 64
    assert request.grade_scale_id == "swedish_8_anchor"


def test_the_inventory_document_lists_inputs_with_checksums() -> None:
    doc = json.loads(inventory_document(INVENTORY, ASK, request_id="r1", context_ids={}))
    assert [i["sha256"] for i in doc["inputs"]] == [f.sha256 for f in INVENTORY.all_inputs]
    assert doc["inputs"][2]["is_anchor"] is True


def test_judges_are_provider_slash_model() -> None:
    assert parse_judge("openai/gpt-5-mini") == Judge("openai", "gpt-5-mini")
    for bad in ("gpt-5", "/x", "openai/"):
        with pytest.raises(CliError, match="expected provider/model"):
            parse_judge(bad)


def test_the_cost_estimate_uses_the_manifest_prices() -> None:
    model = llm_pb2.ModelInfo(input_price_per_mtok=1.0, output_price_per_mtok=5.0)
    est = estimate(INVENTORY, budget=100, model=model)
    expected = 100 * (est.input_tokens_per_call * 1.0 + est.output_tokens_per_call * 5.0) / 1e6
    assert est.calls == 100
    assert est.cost_usd == pytest.approx(expected)
    assert estimate(INVENTORY, budget=100, model=None).cost_usd is None


def test_the_default_budget_is_about_ten_comparisons_per_essay() -> None:
    assert default_budget(32) == 160
