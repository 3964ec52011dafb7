"""`huleedu results` and `huleedu report` for a finished batch on the real mesh."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.artefact.runfolder import ARTEFACT, validate
from cli.artefact.write import CHARTS
from tests.integration.cli.mesh_support import MeshHandle
from tests.integration.cli.support import batch_id_in, huleedu, one_line_error, small_sample

pytestmark = pytest.mark.integration
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def batch(cli_mesh: MeshHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    essays, anchors = small_sample(tmp_path_factory.mktemp("results"))
    result = huleedu(cli_mesh, "assess", str(essays), "--anchors", str(anchors), "--budget", "24",
                     "--judge", "simulated/simulated-priced", "--label", "results-module")
    assert result.exit_code == 0, result.output
    yield batch_id_in(result.stderr)


def test_results_as_csv_have_one_row_per_essay_and_grade_columns(
    cli_mesh: MeshHandle, batch: str
) -> None:
    result = huleedu(cli_mesh, "results", batch, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 10
    assert [int(r["rank"]) for r in rows] == list(range(1, 11))
    assert all(float(r["se"]) > 0 for r in rows)
    assert {"p_F", "p_A", "p_C+"} <= set(rows[0])


def test_results_as_json_are_the_schema_valid_artefact(cli_mesh: MeshHandle, batch: str) -> None:
    result = huleedu(cli_mesh, "results", batch, "--format", "json")
    assert result.exit_code == 0, result.output
    artefact = json.loads(result.stdout)
    validate(artefact)
    assert artefact["batch"]["batch_id"] == batch
    assert len(artefact["inputs"]) == 10
    judged = [c for c in artefact["comparisons"] if c["status"] == "judged"]
    assert len(judged) >= 24
    assert all(c["prompt_sha256"] and c["tokens"]["prompt"] > 0 for c in judged)
    assert artefact["costs"]["total_usd"] == pytest.approx(sum(c["cost_usd"] for c in judged))


def test_results_table_and_run_folder(cli_mesh: MeshHandle, batch: str, tmp_path: Path) -> None:
    result = huleedu(cli_mesh, "results", batch, "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert f"Results of batch {batch}" in result.stdout
    folder = next(tmp_path.glob(f"*{batch}"))
    assert sorted(p.name for p in folder.iterdir()) == [ARTEFACT, "results.csv"]


def test_report_writes_readable_charts_and_the_markdown_report(
    cli_mesh: MeshHandle, batch: str, tmp_path: Path
) -> None:
    result = huleedu(cli_mesh, "report", batch, "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    folder = Path(result.stdout.strip().splitlines()[-1])
    assert folder.parent == tmp_path and batch in folder.name
    for name in CHARTS:
        assert (folder / name).read_bytes().startswith(PNG_MAGIC)
    report = (folder / "report.md").read_text()
    assert "Kendall τ between anchor grade order" in report
    assert "Largest judge–model disagreements" in report
    manifest = {m["path"] for m in json.loads((folder / ARTEFACT).read_text())["manifest"]}
    assert manifest == {*CHARTS, "report.md", "results.csv"}


def test_an_unknown_batch_is_one_line_and_exit_2(cli_mesh: MeshHandle) -> None:
    result = huleedu(cli_mesh, "results", "0" * 32)
    assert result.exit_code == 2
    assert "ASSESSMENT_NOT_FOUND" in one_line_error(result)


def test_a_cancelled_batch_shows_its_partial_results_under_a_banner(
    cli_mesh: MeshHandle, tmp_path: Path
) -> None:
    batch_id = _submit_and_cancel(cli_mesh)
    shown = huleedu(cli_mesh, "results", batch_id)
    assert shown.exit_code == 0, shown.output
    assert "PARTIAL: the assessment cancelled: test stops it" in shown.stdout
    assert "are not a finished assessment" in shown.stdout
    written = huleedu(cli_mesh, "report", batch_id, "--out", str(tmp_path))
    assert written.exit_code == 0, written.output
    folder = Path(written.stdout.strip().splitlines()[-1])
    assert "**PARTIAL: the assessment cancelled" in (folder / "report.md").read_text()
    assert json.loads((folder / ARTEFACT).read_text())["batch"]["partial"] is True


def _submit_and_cancel(mesh: MeshHandle) -> str:
    import grpc

    from contracts.huleedu.cj.v1 import cj_pb2, cj_service_pb2_grpc
    from contracts.huleedu.common.v1 import common_pb2
    from tests.fixtures import unique_name

    essays = [cj_pb2.EssayInput(essay_id=f"e{i}", text=f"Essay {i}. " * (i + 3)) for i in range(4)]
    with grpc.insecure_channel(mesh.env["CJ_ADDR"]) as channel:
        stub = cj_service_pb2_grpc.CJAssessmentServiceStub(channel)
        submitted = stub.SubmitAssessment(cj_pb2.SubmitAssessmentRequest(
            request_id=unique_name("partial"), essays=essays,
            judge=common_pb2.JudgeConfig(provider="simulated", model="simulated-priced"),
            stopping=cj_pb2.StoppingOptions(budget=6)), timeout=30)
        batch_id = submitted.assessment.assessment_id
        stub.CancelAssessment(cj_pb2.CancelAssessmentRequest(
            assessment_id=batch_id, reason="test stops it"), timeout=30)
    return batch_id
