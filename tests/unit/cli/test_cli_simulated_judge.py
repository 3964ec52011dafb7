"""A simulated judge's results say so: table title, report.md, artefact; --plan warns about a
judge whose provider has no key."""

from __future__ import annotations

import io

from rich.console import Console

from cli.artefact.build import build
from cli.artefact.runfolder import validate
from cli.commands.finish import show
from cli.flows.plan import Judge, provider_warnings
from cli.render.report_md import report
from cli.render.table import table_title
from contracts.huleedu.common.v1 import common_pb2
from contracts.huleedu.llm.v1 import llm_pb2
from tests.unit.cli.factory import run_data


def real_judge_data():
    data = run_data()
    data.results.assessment.judge.CopyFrom(
        common_pb2.JudgeConfig(provider="anthropic", model="claude-haiku-4-5"))
    return data


def test_the_results_table_title_says_the_judge_was_simulated():
    data = run_data()
    data.results.assessment.simulated_judge = True
    batch = data.results.assessment.assessment_id
    assert table_title(data.results) == (
        f"Results of batch {batch} (SIMULATED judge — demonstrates the flow, not the essays' "
        "quality)")
    assert table_title(real_judge_data().results) == f"Results of batch {batch}"
    console = Console(file=io.StringIO(), width=200)
    show(console, data.results)
    assert "SIMULATED judge — demonstrates the flow" in console.file.getvalue()


def test_report_md_says_so_before_anything_else():
    lines = report(run_data(), charts=[]).splitlines()
    assert lines[2].startswith("**SIMULATED judge — demonstrates the flow, not the essays' "
                               "quality**")
    assert "SIMULATED" not in report(real_judge_data(), charts=[])


def test_the_artefact_flags_the_simulated_judge_and_keeps_the_judge_string():
    simulated = build(run_data(), manifest=[], tool_version="1")
    assert simulated["batch"]["judge"] == "simulated/simulated-priced"
    assert simulated["batch"]["judge_simulated"] is True
    real = build(real_judge_data(), manifest=[], tool_version="1")
    assert real["batch"]["judge_simulated"] is False
    validate(simulated)
    validate(real)


def test_the_plan_warns_when_the_judges_provider_has_no_key():
    providers = [
        llm_pb2.ProviderInfo(provider="anthropic", enabled=True, configured=False),
        llm_pb2.ProviderInfo(provider="openai_compatible", enabled=False, configured=False),
        llm_pb2.ProviderInfo(provider="simulated", enabled=True, configured=True),
    ]
    (missing,) = provider_warnings(providers, Judge("anthropic", "claude-haiku-4-5"))
    assert "no API key" in missing and "ANTHROPIC_API_KEY" in missing
    (disabled,) = provider_warnings(providers, Judge("openai_compatible", "smollm2"))
    assert "LLM_PROVIDER_OPENAI_COMPATIBLE_ENABLED=true" in disabled
    assert provider_warnings(providers, Judge("simulated", "simulated-judge")) == []
