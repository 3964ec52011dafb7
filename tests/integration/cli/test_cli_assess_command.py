"""`huleedu assess` against the real mesh: upload, submit, follow, table, run folder, rerun."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import docx
import pytest
from fpdf import FPDF

from cli.artefact.runfolder import ARTEFACT, validate
from cli.io.extract import extract_text
from tests.fixtures import unique_name
from tests.integration.cli.mesh_support import MeshHandle
from tests.integration.cli.support import batch_id_in, huleedu, small_sample

pytestmark = pytest.mark.integration
JUDGE = "simulated/simulated-priced"


def assess(mesh: MeshHandle, essays: Path, anchors: Path, *extra: str):  # type: ignore[no-untyped-def]
    return huleedu(mesh, "assess", str(essays), "--anchors", str(anchors), "--judge", JUDGE,
                   "--budget", "20", *extra)


def test_assess_ranks_the_folder_and_writes_a_valid_run_folder(
    cli_mesh: MeshHandle, tmp_path: Path
) -> None:
    essays, anchors = small_sample(tmp_path)
    result = assess(cli_mesh, essays, anchors, "--out", str(tmp_path / "runs"),
                    "--label", unique_name("run"))
    assert result.exit_code == 0, result.output
    batch = batch_id_in(result.stderr)
    assert f"Results of batch {batch}" in result.stdout
    assert "essay_09.txt" in result.stdout and "A_anchor.txt [anchor A]" in result.stdout
    folder = next((tmp_path / "runs").glob(f"*{batch}"))
    artefact = json.loads((folder / ARTEFACT).read_text())
    validate(artefact)
    assert artefact["batch"]["state"] == "completed"
    assert len(artefact["comparisons"]) >= 20
    sha = {i["display_name"]: i["sha256"] for i in artefact["inputs"]}
    text = extract_text(essays / "essay_09.txt").encode()
    assert sha["essay_09.txt"] == hashlib.sha256(text).hexdigest()
    assert {m["path"] for m in artefact["manifest"]} >= {"results.csv", "report.md"}


def test_a_rerun_with_the_same_inputs_reattaches_and_pays_nothing_twice(
    cli_mesh: MeshHandle, tmp_path: Path
) -> None:
    essays, anchors = small_sample(tmp_path)
    label = unique_name("rerun")
    first = assess(cli_mesh, essays, anchors, "--label", label)
    assert first.exit_code == 0, first.output
    second = assess(cli_mesh, essays, anchors, "--label", label)
    assert second.exit_code == 0, second.output
    assert batch_id_in(second.stderr) == batch_id_in(first.stderr)
    assert "re-attached, nothing is paid twice" in second.stderr
    assert "uploaded 0 text(s), 10 already stored" in second.stderr
    assert _comparisons(cli_mesh, first) == _comparisons(cli_mesh, second)


def _comparisons(mesh: MeshHandle, result) -> str:  # type: ignore[no-untyped-def]
    batch = batch_id_in(result.stderr)
    csv_out = huleedu(mesh, "results", batch, "--format", "json")
    return str(len(json.loads(csv_out.stdout)["comparisons"]))


def test_resume_reattaches_to_an_existing_batch(cli_mesh: MeshHandle, tmp_path: Path) -> None:
    essays, anchors = small_sample(tmp_path)
    first = assess(cli_mesh, essays, anchors, "--label", unique_name("resume"))
    batch = batch_id_in(first.stderr)
    resumed = huleedu(cli_mesh, "assess", "--resume", batch)
    assert resumed.exit_code == 0, resumed.output
    assert f"Results of batch {batch}" in resumed.stdout


def test_word_and_pdf_essays_are_read_and_ranked(cli_mesh: MeshHandle, tmp_path: Path) -> None:
    essays, anchors = small_sample(tmp_path)
    _as_docx(essays / "essay_16.txt", essays / "essay_16.docx")
    _as_pdf(essays / "essay_10.txt", essays / "essay_10.pdf")
    result = assess(cli_mesh, essays, anchors, "--label", unique_name("formats"))
    assert result.exit_code == 0, result.output
    assert "essay_16.docx" in result.stdout and "essay_10.pdf" in result.stdout


def _as_docx(source: Path, target: Path) -> None:
    document = docx.Document()
    for line in source.read_text().splitlines():
        document.add_paragraph(line)
    document.save(str(target))
    source.unlink()


def _as_pdf(source: Path, target: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, source.read_text().replace("’", "'"))
    pdf.output(str(target))
    source.unlink()


def test_plan_prices_the_run_from_the_manifest_and_submits_nothing(
    cli_mesh: MeshHandle, tmp_path: Path
) -> None:
    essays, anchors = small_sample(tmp_path)
    result = assess(cli_mesh, essays, anchors, "--plan", "--label", unique_name("plan"))
    assert result.exit_code == 0, result.output
    assert "6 essays, 4 anchors on swedish_8_anchor" in result.stdout
    assert "expected calls: up to 20 comparisons" in result.stdout
    assert "estimated cost: up to $0.0" in result.stdout
    assert "$1.0/$5.0 per million" in result.stdout
    assert "nothing was uploaded or submitted" in result.stdout
    assert "batch " not in result.stderr


def test_plan_warns_when_the_judges_provider_has_no_key_on_llm_provider(
    cli_mesh: MeshHandle, tmp_path: Path
) -> None:
    essays, anchors = small_sample(tmp_path)
    result = huleedu(cli_mesh, "assess", str(essays), "--anchors", str(anchors), "--plan",
                     "--judge", "anthropic/claude-haiku-4-5")
    assert result.exit_code == 0, result.output
    flat = " ".join(result.stdout.split())
    assert "WARNING: provider anthropic has no API key on llm_provider" in flat
    assert "ANTHROPIC_API_KEY" in flat and "nothing was uploaded or submitted" in flat


def test_a_judge_whose_provider_has_no_key_is_refused_by_the_service(
    cli_mesh: MeshHandle, tmp_path: Path
) -> None:
    essays, anchors = small_sample(tmp_path)
    result = huleedu(cli_mesh, "assess", str(essays), "--anchors", str(anchors), "--judge",
                     "anthropic/claude-haiku-4-5", "--label", unique_name("nokey"))
    assert result.exit_code == 2, result.output
    flat = " ".join(result.stderr.split())
    assert "ANTHROPIC_API_KEY" in flat and "batch " not in flat


def test_the_local_mesh_gives_a_submission_without_a_judge_the_simulated_default(
    cli_mesh: MeshHandle,
) -> None:
    import grpc

    from contracts.huleedu.cj.v1 import cj_pb2, cj_service_pb2_grpc
    from deploy.local.services import DEV_DEFAULT_JUDGE

    essays = [cj_pb2.EssayInput(essay_id=f"e{i}", text=f"Essay {i}. " * (i + 2)) for i in range(3)]
    with grpc.insecure_channel(cli_mesh.env["CJ_ADDR"]) as channel:
        stub = cj_service_pb2_grpc.CJAssessmentServiceStub(channel)
        submitted = stub.SubmitAssessment(cj_pb2.SubmitAssessmentRequest(
            request_id=unique_name("nojudge"), essays=essays,
            stopping=cj_pb2.StoppingOptions(budget=2)), timeout=30)
        a = submitted.assessment
        stub.CancelAssessment(cj_pb2.CancelAssessmentRequest(assessment_id=a.assessment_id),
                              timeout=30)
    assert f"{a.judge.provider}/{a.judge.model}" == DEV_DEFAULT_JUDGE and a.simulated_judge
