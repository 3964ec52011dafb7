"""Every bad input ends in one line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.local.procs import free_port
from tests.integration.cli.mesh_support import MeshHandle
from tests.integration.cli.support import huleedu, one_line_error, small_sample

pytestmark = pytest.mark.integration


def test_an_unreachable_service_names_it_and_exits_3(tmp_path: Path) -> None:
    dead = f"127.0.0.1:{free_port()}"
    result = huleedu(None, "results", "0" * 32, env={"CJ_ADDR": dead})
    assert result.exit_code == 3
    line = one_line_error(result)
    assert f"cannot reach cj service at {dead}" in line and "make up" in line


def test_assess_with_llm_provider_down_says_so_before_uploading(
    cli_mesh: MeshHandle, tmp_path: Path
) -> None:
    essays, anchors = small_sample(tmp_path)
    dead = f"127.0.0.1:{free_port()}"
    result = huleedu(cli_mesh, "assess", str(essays), "--anchors", str(anchors),
                     env={"LLM_PROVIDER_ADDR": dead})
    assert result.exit_code == 3
    assert f"cannot reach llm_provider at {dead}" in one_line_error(result)


@pytest.mark.parametrize(("judge", "message"), [
    ("simulated/no-such-model", "unknown model 'no-such-model' for provider simulated; choose "
                                "one of simulated-judge, simulated-priced"),
    ("nobody/model", "unknown judge provider 'nobody'"),
    ("just-a-model", "expected provider/model"),
])
def test_an_unknown_judge_is_refused(
    cli_mesh: MeshHandle, tmp_path: Path, judge: str, message: str
) -> None:
    essays, anchors = small_sample(tmp_path)
    result = huleedu(cli_mesh, "assess", str(essays), "--anchors", str(anchors), "--judge", judge)
    assert result.exit_code == 2
    assert message in one_line_error(result)


def test_a_missing_essay_folder(cli_mesh: MeshHandle, tmp_path: Path) -> None:
    result = huleedu(cli_mesh, "assess", str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert "nowhere: no such directory" in one_line_error(result)


def test_a_missing_anchors_file(cli_mesh: MeshHandle, tmp_path: Path) -> None:
    essays, _ = small_sample(tmp_path)
    result = huleedu(cli_mesh, "assess", str(essays), "--anchors", str(tmp_path / "nope.csv"))
    assert result.exit_code == 2
    assert "nope.csv: no such file or folder" in one_line_error(result)


def test_a_missing_prompt_file(cli_mesh: MeshHandle, tmp_path: Path) -> None:
    essays, anchors = small_sample(tmp_path)
    result = huleedu(cli_mesh, "assess", str(essays), "--prompt", str(tmp_path / "p.txt"))
    assert result.exit_code == 2
    assert "--prompt" in one_line_error(result)


def test_an_unreadable_pdf_is_named(cli_mesh: MeshHandle, tmp_path: Path) -> None:
    essays, anchors = small_sample(tmp_path)
    (essays / "scan.pdf").write_bytes(b"%PDF-1.7\n%garbage that is not a pdf")
    result = huleedu(cli_mesh, "assess", str(essays), "--anchors", str(anchors))
    assert result.exit_code == 2
    assert "scan.pdf: unreadable PDF" in one_line_error(result)


def test_an_invalid_grade_for_the_scale(cli_mesh: MeshHandle, tmp_path: Path) -> None:
    essays, anchors = small_sample(tmp_path)
    anchors.write_text(anchors.read_text().replace(",C\n", ",Z\n"))
    result = huleedu(cli_mesh, "assess", str(essays), "--anchors", str(anchors),
                     "--scale", "swedish_8_anchor")
    assert result.exit_code == 2
    assert "grade 'Z' is not on scale swedish_8_anchor" in one_line_error(result)


def test_an_unknown_scale(cli_mesh: MeshHandle, tmp_path: Path) -> None:
    essays, _ = small_sample(tmp_path)
    result = huleedu(cli_mesh, "assess", str(essays), "--scale", "letters_1_to_3")
    assert result.exit_code == 2
    assert "unknown grade scale 'letters_1_to_3'" in one_line_error(result)


def test_plan_without_llm_provider_says_the_price_manifest_is_unavailable(
    tmp_path: Path,
) -> None:
    essays, anchors = small_sample(tmp_path)
    dead = f"127.0.0.1:{free_port()}"
    result = huleedu(None, "assess", str(essays), "--anchors", str(anchors), "--plan",
                     env={"LLM_PROVIDER_ADDR": dead})
    assert result.exit_code == 0, result.output
    assert "expected calls: up to 50 comparisons" in result.stdout
    assert f"estimated cost: unknown (the price manifest is not available: cannot reach " \
           f"llm_provider at {dead}" in result.stdout
