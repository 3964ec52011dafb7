"""The run folder and its JSON artefact: schema-valid, real SEs, manifest of exactly its files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from cli.artefact.build import build
from cli.artefact.runfolder import ARTEFACT, RESULTS_CSV, folder_name, validate
from cli.artefact.write import write_run
from cli.errors import CliError
from tests.unit.cli.factory import run_data


def test_a_built_artefact_matches_the_schema() -> None:
    validate(build(run_data(), manifest=[], tool_version="1"))


def test_the_reliability_standard_error_is_recorded_and_null_where_there_is_none() -> None:
    data = run_data()
    assert build(data, manifest=[], tool_version="1")["bt"]["fit"]["reliability_se"] == 0.16
    data.results.fit.reliability_se = float("inf")  # a batch under 4 essays
    artefact = build(data, manifest=[], tool_version="1")
    assert artefact["bt"]["fit"]["reliability_se"] is None
    validate(json.loads(json.dumps(artefact, allow_nan=False)))


def test_an_artefact_with_a_zero_standard_error_is_refused() -> None:
    artefact = build(run_data(), manifest=[], tool_version="1")
    artefact["bt"]["essays"][0]["se"] = 0.0
    with pytest.raises(CliError, match=r"bt/essays/0/se: 0.0 is less than or equal to"):
        validate(artefact)


def test_a_judged_comparison_must_carry_its_verdict_and_prompt_hash() -> None:
    artefact = build(run_data(), manifest=[], tool_version="1")
    artefact["comparisons"][0]["prompt_sha256"] = None
    with pytest.raises(CliError, match="comparisons/0/prompt_sha256"):
        validate(artefact)


def test_the_artefact_records_every_comparison_with_tokens_cost_and_hash() -> None:
    artefact = build(run_data(), manifest=[], tool_version="1")
    first = artefact["comparisons"][0]
    assert len(artefact["comparisons"]) == 3
    assert first["verdict"] == "essay_a"
    assert first["tokens"]["prompt"] == 1000
    assert first["cost_usd"] == pytest.approx(0.0012)
    assert len(first["prompt_sha256"]) == 64
    assert artefact["costs"]["by_model"]["simulated/simulated-priced"]["calls"] == 3


def test_the_run_folder_holds_csv_and_an_artefact_whose_manifest_lists_the_other_files(
    tmp_path: Path,
) -> None:
    folder = write_run(run_data(), tmp_path, with_report=False)
    artefact = json.loads((folder / ARTEFACT).read_text())
    assert [m["path"] for m in artefact["manifest"]] == [RESULTS_CSV]
    entry = artefact["manifest"][0]
    assert entry["sha256"] == hashlib.sha256((folder / RESULTS_CSV).read_bytes()).hexdigest()
    validate(artefact)


def test_with_the_report_the_manifest_lists_charts_and_markdown(tmp_path: Path) -> None:
    folder = write_run(run_data(), tmp_path, with_report=True)
    listed = {m["path"] for m in json.loads((folder / ARTEFACT).read_text())["manifest"]}
    assert listed == {RESULTS_CSV, "report.md", "essays_on_scale.png", "reliability.png",
                      "position_bias.png"}


def test_two_batches_get_two_folders_and_neither_overwrites_the_other(tmp_path: Path) -> None:
    first = write_run(run_data("a" * 32), tmp_path, with_report=False)
    before = (first / ARTEFACT).read_bytes()
    second = write_run(run_data("c" * 32), tmp_path, with_report=False)
    assert first != second
    assert "a" * 32 in first.name and "c" * 32 in second.name
    assert (first / ARTEFACT).read_bytes() == before


def test_the_folder_name_is_stable_for_a_batch() -> None:
    data = run_data()
    assert folder_name(data.assessment) == folder_name(data.assessment)
    assert folder_name(data.assessment).endswith(data.batch_id)
