"""`assess --plan`: the inventory, the expected calls and their cost; nothing is submitted."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from cli import rpc
from cli.commands.common import out
from cli.errors import CliError
from cli.flows.plan import estimate, find_model, provider_warnings, unknown_model_message
from cli.flows.submit import Ask, request_id_for
from cli.io.inventory import Inventory
from cli.settings import Addresses
from contracts.huleedu.llm.v1 import llm_pb2


def inventory_table(inventory: Inventory) -> Table:
    table = Table(title="Inventory", title_justify="left", header_style="bold")
    for name in ("essay", "kind", "words", "sha256"):
        table.add_column(name)
    for f in inventory.all_inputs:
        kind = f"anchor {f.anchor_grade}" if f.anchor_grade else "essay"
        table.add_row(Text(f.display_name), kind, str(f.words), f.sha256[:12])
    for kind, c in sorted(inventory.context.items()):
        table.add_row(Text(c.source), kind, str(len(c.text.split())), c.sha256[:12])
    return table


def show(mesh: Addresses, inventory: Inventory, ask: Ask) -> None:
    console = out()
    console.print(inventory_table(inventory))
    console.print(f"{len(inventory.essays)} essays, {len(inventory.anchors)} anchors"
                  + (f" on {inventory.grade_scale_id}" if inventory.grade_scale_id else "")
                  + f"; judge {ask.judge}; request id {request_id_for(inventory, ask)}",
                  highlight=False)
    model, note = _manifest_entry(mesh, ask)
    est = estimate(inventory, budget=ask.budget, model=model)
    console.print(f"expected calls: up to {est.calls} comparisons (fewer if the reliability "
                  f"target is reached first; failed calls are retried)", highlight=False)
    console.print(f"estimated tokens per call: ~{est.input_tokens_per_call} in, "
                  f"~{est.output_tokens_per_call} out (4 characters per token)", highlight=False)
    if est.cost_usd is not None and model is not None:
        console.print(f"estimated cost: up to ${est.cost_usd:.4f} at ${model.input_price_per_mtok}"
                      f"/${model.output_price_per_mtok} per million tokens in/out",
                      highlight=False)
    else:
        console.print(f"estimated cost: unknown ({note})", highlight=False)
    for warning in _provider_warnings(mesh, ask):
        console.print(Text.assemble(("WARNING: ", "bold yellow"), warning))
    console.print("plan only: nothing was uploaded or submitted", highlight=False)


def _provider_warnings(mesh: Addresses, ask: Ask) -> list[str]:
    """What would stop the judge: llm_provider has no credentials for its provider."""
    try:
        with rpc.llm(mesh) as llm:
            providers = list(llm.call("ListProviders", llm_pb2.ListProvidersRequest()).providers)
    except CliError:
        return []  # the manifest note above already says llm_provider could not be asked
    return provider_warnings(providers, ask.judge)


def _manifest_entry(mesh: Addresses, ask: Ask) -> tuple[llm_pb2.ModelInfo | None, str]:
    try:
        with rpc.llm(mesh) as llm:
            models = list(llm.call("ListModels",
                                   llm_pb2.ListModelsRequest(include_deprecated=True)).models)
    except CliError as exc:
        return None, f"the price manifest is not available: {exc.message}"
    model = find_model(models, ask.judge)
    if model is None:
        raise CliError(unknown_model_message(models, ask.judge), 2)
    return model, ""
